package io.iommulab.api.driver;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An IOMMU hardware instance handed to its driver's probe (= struct platform_device plus the
 * iommu_device registration). Implemented by the core.
 */
@ProviderType
public interface PlatformDevice {

    /** @return device name for messages, the DT path */
    String name();

    DtNode node();

    /** devm_platform_ioremap_resource: the MMIO window of {@code reg} entry {@code index}. */
    MmioWindow ioremap(int index);

    /** platform_get_irq */
    IrqLine irq(int index);

    /** @return page allocation for page tables (accounted to this device) */
    PageAllocator pages();

    PhysicalMemory memory();

    /** @return the configured CPU page size in bytes (Linux's PAGE_SIZE; 16 KiB on Asahi kernels by default) */
    long cpuPageSize();

    /**
     * Reports a decoded fault (report_iommu_fault). The core resolves the stream to its master and
     * domain, calls the domain's fault handler if one is set, records it for {@code iommu:faults}
     * and emits the {@code io_page_fault} trace event. Safe to call from an interrupt handler.
     *
     * @return true if a domain fault handler handled it
     */
    boolean reportFault(IommuFault fault);

    /**
     * Live update of the code behind a driver's domains (a new page-table format bundle): runs
     * {@code swap} while every domain of this device's driver is quiesced (map, unmap and
     * iova_to_phys held back, those running finished), then lets them continue on what the swap
     * installed. The core reports it with the other live updates.
     *
     * @param what what is swapped, for the report (e.g. {@code "pgtable apple-dart2: io.iommulab.pgtable 0.2.0"})
     */
    void quiesceDomains(String what, Runnable swap);

    /**
     * Live update of the code behind a driver's domains, its first half: {@code what} (the
     * page-table format the driver makes and finalises its domains with, e.g. {@code "pgtable
     * apple-dart: io.iommulab.pgtable 0.2.0"}) left and nothing replaces it yet. When it left
     * because its bundle is being updated, the core holds back this driver's calls that need it
     * (domain allocation, attach, detach and free wait, without the core's lock held; a master
     * probing meanwhile is deferred) until the driver's next {@link #quiesceDomains} on any of its
     * devices, which the driver calls when the new code arrives (even with no domain to move), or
     * until the live-update timeout passes since it left: a call still waiting then fails with
     * ETIMEDOUT naming {@code what}. When it left for good (its bundle stopped or uninstalled)
     * nothing is held back: the calls fail as the driver makes them fail without it.
     */
    void codeLeft(String what);

    /**
     * Live update: {@link IommuDriver#restore} tells the core where it took this instance's running
     * state from, the previous driver's record or the hardware; the live update's report counts
     * both ({@code LiveUpdateDTO.fromRecord}, {@code fromHardware}).
     */
    void restoredFrom(TakeoverSource source);

    /** Fault-injection point: a TLB invalidation the driver is about to issue (it skips it when told). */
    String SKIP_INVALIDATE = "skip-invalidate";

    /**
     * Fault injection, in the spirit of Linux's {@code should_fail()}: a driver asks at a named
     * point ({@link #SKIP_INVALIDATE}, ...) whether a tool wants this occurrence skipped or failed
     * (the shell's {@code iommu:inject}), and obeys. The error points of the machine's fail-nth
     * countdown ({@link io.iommulab.api.machine.FailNth#KZALLOC},
     * {@link io.iommulab.api.machine.FailNth#CB_ALLOC}) are answered here too: a driver asks them
     * where its Linux counterpart allocates, and fails that call with the point's errno, undoing
     * what the call did before. False unless something is injected; cheap.
     *
     * @param point the injection point's name
     * @return true to skip or fail this occurrence
     */
    default boolean shouldFail(String point) {
        return false;
    }
}
