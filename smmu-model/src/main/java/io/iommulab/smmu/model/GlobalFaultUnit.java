package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.Translation;

/**
 * The global fault unit: unidentified streams, stream match conflicts and invalid context banks
 * (contract "Stream matching and S2CR", dart-facts §4.3 "Faults").
 * <ul>
 * <li>No fault latched (sGFSR has no fault bit): sGFAR = iova, sGFSYNR0 = WNR, sGFSYNR1 = stream id,
 *     sGFSYNR2 = 0, then sGFSR = the fault's bit (status last, so a handler that sees it reads a
 *     complete record).</li>
 * <li>A fault already latched: sGFSR.MULTI is set and the first record stays.</li>
 * <li>Either way, global interrupt 0 is raised if sCR0.GFIE is set: the line is level-triggered
 *     and stays asserted while sGFSR holds a fault, so every new fault signals it again (model
 *     choice).</li>
 * </ul>
 * Software clears the record by writing sGFSR back (W1C, applied by the register file).
 *
 * <p>Locking: check-and-latch runs under this object's monitor; the interrupt is raised after it
 * is released, because the handler runs synchronously inside {@link IrqSource#raise()} and reads
 * and writes these registers.
 */
final class GlobalFaultUnit {

    private final RegisterFile regs;
    private final IrqSource irq;

    /**
     * @param regs the register file
     * @param irq  global interrupt 0, or null if the node has none (faults then latch silently)
     */
    GlobalFaultUnit(RegisterFile regs, IrqSource irq) {
        this.regs = regs;
        this.irq = irq;
    }

    /**
     * Records a global fault. Must be called without any model lock held.
     *
     * @return the failed translation for {@code fault}
     */
    Translation fault(SmmuFault fault, int sid, long iova, Access access) {
        synchronized (this) {
            int gfsr = regs.get(SGFSR);
            if ((gfsr & ~SGFSR_MULTI) == 0) {
                regs.set(SGFAR_LO, (int) iova);
                regs.set(SGFAR_HI, (int) (iova >>> 32));
                regs.set(SGFSYNR0, access == Access.WRITE ? SGFSYNR0_WNR : 0);
                regs.set(SGFSYNR1, sid & SGFSYNR1_SID);
                regs.set(SGFSYNR2, 0);
                regs.set(SGFSR, gfsr | fault.status());
            } else {
                regs.set(SGFSR, gfsr | SGFSR_MULTI);
            }
        }
        if (irq != null && (regs.get(SCR0) & SCR0_GFIE) != 0) {
            irq.raise();
        }
        return fault.translation();
    }
}
