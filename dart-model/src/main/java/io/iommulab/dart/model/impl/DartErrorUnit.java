package io.iommulab.dart.model.impl;

import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.Translation;

/**
 * The error unit: latches the first fault into ERROR / ERROR_ADDR_LO / ERROR_ADDR_HI and raises
 * the fault interrupt (contract step 8 of {@code dart-model/README.md}, dart-facts §1.7).
 *
 * <ul>
 * <li>ERROR.FLAG clear: the fault is latched (address first, ERROR last, so a handler that sees FLAG
 *     reads a complete record) and the interrupt is raised once.</li>
 * <li>FLAG already set: the first error stays, nothing is overwritten and no interrupt is raised;
 *     the transaction still fails. Software clears the latch by writing ERROR back (W1C, applied
 *     by the register file).</li>
 * <li>T8110: ERROR_MASK suppresses a code entirely; ERROR_STREAMS notes the SID of every unmasked
 *     fault (in the layout).</li>
 * </ul>
 *
 * <p>Locking: the check-and-latch runs under this object's monitor so two faulting transactions
 * cannot both latch. The interrupt is raised after the monitor is released: the driver's handler
 * runs synchronously inside {@link IrqSource#raise()} and reads and writes our registers (and may
 * run on a line shared with other DARTs).
 */
final class DartErrorUnit {

    /** ERROR.FLAG: bit 31 in both families. */
    private static final int FLAG = 1 << 31;

    private final RegisterFile regs;
    private final IrqSource irq;
    private final DartLayout layout;

    /**
     * @param regs   the register file (ERROR, ERROR_ADDR_*)
     * @param irq    the fault interrupt, or null if the node has none (faults then latch silently)
     * @param layout the family's error encoding
     */
    DartErrorUnit(RegisterFile regs, IrqSource irq, DartLayout layout) {
        this.regs = regs;
        this.irq = irq;
        this.layout = layout;
    }

    /**
     * Records a latching fault. Must be called without any model lock held.
     *
     * @return the failed translation for {@code fault}
     */
    Translation fault(int sid, long iova, DartFault fault) {
        int code = layout.code(fault);
        if (layout.masked(code)) {
            return fault.translation();
        }
        layout.noteFault(sid);
        boolean latched;
        synchronized (this) {
            latched = (regs.get(layout.errorReg()) & FLAG) == 0;
            if (latched) {
                regs.set(layout.errorAddrLo(), (int) iova);
                regs.set(layout.errorAddrHi(), (int) (iova >>> 32));
                regs.set(layout.errorReg(), layout.errorValue(sid, code));
            }
        }
        if (latched && irq != null) {
            irq.raise();
        }
        return fault.translation();
    }
}
