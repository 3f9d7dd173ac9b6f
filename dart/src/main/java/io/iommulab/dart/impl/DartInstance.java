package io.iommulab.dart.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.dart.impl.hw.DartHardware;
import io.iommulab.dart.spi.DartFault;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartMmio;
import io.iommulab.dart.spi.DartParams;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.FaultInject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One probed DART: struct apple_dart plus its struct iommu_device.
 *
 * <p>Fields: {@code driver} the driver that probed it (its variant and fault rate limit);
 * {@code pdev} the platform device; {@code variant} the variant record; {@code params} what
 * PARAMS said (page size, bypass, IAS, OAS, streams, four-level); {@code hw} all register I/O;
 * {@code sid2group} the group of each stream, guarded by {@link AppleDartDriver#GROUPS_LOCK};
 * {@code attached} the domain each stream was last attached to (null: none since probe, so blocked
 * by the reset), what a live update preserves; {@code recordTables} the tables the previous
 * driver's record this instance was taken over with names, by domain id, when this driver knew the
 * record (null after a probe, or when the hardware was read instead); {@code irq} the fault handler registration (set once probe or restore
 * requested it, cleared by remove and preserve).
 */
public final class DartInstance implements IommuDevice {

    final AppleDartDriver driver;
    final PlatformDevice pdev;
    final DartHw variant;
    final DartParams params;
    final DartHardware hw;
    final IommuGroup[] sid2group = new IommuGroup[DartHw.MAX_STREAMS];
    private final AtomicReferenceArray<DomainOps> attached = new AtomicReferenceArray<>(DartHw.MAX_STREAMS);
    volatile Map<Integer, List<PageTableState>> recordTables;
    volatile IrqRegistration irq;

    DartInstance(AppleDartDriver driver, PlatformDevice pdev, DartHw variant, MmioWindow regs, DartParams params) {
        this.driver = driver;
        this.pdev = pdev;
        this.variant = variant;
        this.params = params;
        this.hw = new DartHardware(new DartMmio(pdev.name(), variant, regs, params.numStreams()),
                new FaultInject(pdev, PlatformDevice.SKIP_INVALIDATE, driver.log()));
    }

    @Override
    public PlatformDevice platformDevice() {
        return pdev;
    }

    @Override
    public int numStreams() {
        return params.numStreams();
    }

    /** @return the driver that probed (or took over) this DART */
    public AppleDartDriver driver() {
        return driver;
    }

    /** @return the DART's DT path */
    public String node() {
        return pdev.name();
    }

    /** @return the variant the DART was probed as */
    public DartHw variant() {
        return variant;
    }

    /** @return page size, bypass support, IAS, OAS, streams, four-level as probe read them */
    public DartParams params() {
        return params;
    }

    /** @return register I/O (for the shell's read-only views) */
    public DartHardware hardware() {
        return hw;
    }

    long pgsize() {
        return params.pageSize();
    }

    /** @return bypass forced: the DART page is larger than the CPU page, so no paging domain can work */
    boolean bypassForced() {
        return params.pageSize() > pdev.cpuPageSize();
    }

    /** Notes that the streams of {@code sidmap} now run {@code domain} (the attach wrote their TCR). */
    void attached(long[] sidmap, DomainOps domain) {
        // a loop, not a lambda: a live update attaches on code just loaded, inside the blackout,
        // where linking a lambda's call site the first time costs more than the whole attach
        int n = numStreams();
        for (int sid = Bitmap.findFirstBit(sidmap, n); sid < n; sid = Bitmap.findNextBit(sidmap, n, sid + 1)) {
            attached.set(sid, domain);
        }
    }

    /** @return the domain stream {@code sid} was last attached to, null if none since probe */
    DomainOps attachedTo(int sid) {
        return attached.get(sid);
    }

    /**
     * The fault interrupt handler (apple_dart_t8020_irq / _t8110_irq). The line may be shared (the
     * two DARTs of a dwc3 share one), so a DART without a latched error answers NONE. Logs the
     * upstream line rate-limited, clears the error, then reports the fault to the core (beyond
     * upstream, which reports nothing) so that domain fault handlers and {@code iommu:faults} see
     * it. Never throws.
     */
    IrqReturn handleIrq(int line) {
        return handleError("on interrupt " + line);
    }

    /**
     * A live update took this DART over: an error latched while no handler was registered (between
     * the previous driver letting go of the interrupt and this one requesting it; the line's raise
     * found nobody) is handled now, as the interrupt handler would have, so the fault is logged,
     * cleared and reported rather than lost.
     *
     * @return true if there was one
     */
    boolean replayLatchedError() {
        return handleError("latched while no handler was registered") == IrqReturn.HANDLED;
    }

    private IrqReturn handleError(String when) {
        DartFault fault;
        try {
            fault = hw.readFault();
        } catch (RuntimeException e) {
            driver.log().error("{}: cannot read the error registers {}: {}", node(), when, e.getMessage());
            return IrqReturn.NONE;
        }
        if (fault == null) {
            return IrqReturn.NONE;
        }
        driver.logFault(this, fault);
        try {
            hw.clearFault(fault);
        } catch (RuntimeException e) {
            driver.log().error("{}: cannot clear error 0x{}: {}", node(), Integer.toHexString(fault.status()), e.getMessage());
        }
        try {
            pdev.reportFault(new IommuFault(fault.sid(), fault.iova(), fault.write(), fault.status() & 0xffff_ffffL,
                    fault.name()));
        } catch (RuntimeException e) {
            driver.log().error("{}: reporting the fault of stream {} at 0x{} failed: {}", node(), fault.sid(),
                    Long.toHexString(fault.iova()), e.toString());
        }
        return IrqReturn.HANDLED;
    }

    @Override
    public String toString() {
        return "apple-dart " + variant.identity().name() + " " + node();
    }
}
