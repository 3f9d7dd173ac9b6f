package io.iommulab.testiommu.model;

import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.Translation;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The error unit: latches the first fault into ERROR / ERROR_ADDR_LO / ERROR_ADDR_HI and raises the
 * fault interrupt for every fault. Software clears ERROR by writing the value back (W1C, applied
 * by the register file).
 */
final class TestIommuErrorUnit {

    private final RegisterFile regs;
    private final IrqSource irq;
    private final AtomicLong faults = new AtomicLong();

    TestIommuErrorUnit(RegisterFile regs, IrqSource irq) {
        this.regs = regs;
        this.irq = irq;
    }

    /**
     * Records a fault and raises the interrupt. Must be called without the model's stream locks
     * held: the handlers run on this thread and may issue MMIO and further work.
     */
    Translation fault(int sid, long iova, int code) {
        faults.incrementAndGet();
        // ERROR is written last: software reads ERROR first, then the address registers.
        synchronized (this) {
            if ((regs.get(TestIommuRegs.ERROR) & TestIommuRegs.ERROR_FLAG) == 0) {
                regs.set(TestIommuRegs.ERROR_ADDR_LO, (int) iova);
                regs.set(TestIommuRegs.ERROR_ADDR_HI, (int) (iova >>> 32));
                regs.set(TestIommuRegs.ERROR, TestIommuRegs.errorValue(sid, code));
            }
        }
        irq.raise();
        return Translation.fault(TestIommuRegs.codeName(code));
    }

    long faults() {
        return faults.get();
    }
}
