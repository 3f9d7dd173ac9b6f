package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.Translation;

/**
 * The context fault units of all banks (contract "Context bank translation", dart-facts §4.2/§4.3).
 * <ul>
 * <li>SCTLR.CFRE clear: nothing is recorded and no interrupt is raised; the transaction still fails.</li>
 * <li>FSR has no fault bit: FAR = iova, FSYNR0 = PLVL | WNR | IND, CBFRSYNRA(bank) = stream id, then FSR =
 *     the fault's bit (status last).</li>
 * <li>A fault already latched: FSR.MULTI is set, the first record stays.</li>
 * <li>Recorded (either case) and SCTLR.CFIE set: the bank's context interrupt
 *     ({@code #global-interrupts + bank}) is raised, if the node has that interrupt.</li>
 * </ul>
 * Faults always terminate (FSR.SS is never set; RESUME does nothing).
 *
 * <p>Locking: check-and-latch under this object's monitor; interrupts raised after releasing it.
 */
final class ContextFaultUnit {

    private final RegisterFile regs;
    private final SmmuLayout layout;
    private final IrqSource[] irqs;

    /**
     * @param regs   the register file
     * @param layout where each bank's registers are
     * @param irqs   each bank's context interrupt (null entries: the node has no such interrupt)
     */
    ContextFaultUnit(RegisterFile regs, SmmuLayout layout, IrqSource[] irqs) {
        this.regs = regs;
        this.layout = layout;
        this.irqs = irqs.clone();
    }

    /**
     * Records a context fault of bank {@code n}. Must be called without any model lock held.
     *
     * @return the failed translation for {@code fault} at {@code level}
     */
    Translation fault(int n, SmmuBank bank, SmmuFault fault, int level, int sid, long iova, Access access, boolean fetch) {
        Translation t = fault.translation(level);
        if (!bank.cfre()) {
            return t;
        }
        int base = layout.bankBase(n);
        synchronized (this) {
            int fsr = regs.get(base + CB_FSR);
            if ((fsr & FSR_FAULT) == 0) {
                regs.set(base + CB_FAR_LO, (int) iova);
                regs.set(base + CB_FAR_HI, (int) (iova >>> 32));
                regs.set(base + CB_FSYNR0, (level & FSYNR0_PLVL) | (access == Access.WRITE ? FSYNR0_WNR : 0)
                        | (fetch ? FSYNR0_IND : 0));
                regs.set(gr1(CBFRSYNRA) + 4 * n, sid & CBFRSYNRA_SID);
                regs.set(base + CB_FSR, fsr | fault.status());
            } else {
                regs.set(base + CB_FSR, fsr | FSR_MULTI);
            }
        }
        IrqSource irq = irqs[n];
        if (bank.cfie() && irq != null) {
            irq.raise();
        }
        return t;
    }
}
