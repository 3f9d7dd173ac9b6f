package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;

/**
 * The platform device handed to an IOMMU driver's probe (or to its restore in a live update, which
 * says on it what it took the running state from: {@code restoredFrom}).
 */
final class PlatformDeviceImpl implements PlatformDevice {

    private final IommuCoreEngine engine;
    private final IommuInstance instance;
    private volatile TakeoverSource restoredFrom;
    /** the interrupt handlers the driver requested through this device, until it frees them */
    private final DevmIrqs irqs = new DevmIrqs();
    /** the machine's allocator, recording what this IOMMU's driver holds */
    private final PageAllocator pages;

    PlatformDeviceImpl(IommuCoreEngine engine, IommuInstance instance) {
        this.engine = engine;
        this.instance = instance;
        this.pages = engine.pageRecord().allocator(instance.path);
    }

    @Override
    public String name() {
        return instance.path;
    }

    @Override
    public DtNode node() {
        return instance.node;
    }

    @Override
    public MmioWindow ioremap(int index) {
        return engine.machine().ioremap(instance.node, index);
    }

    /** The machine's line, with what the driver requests on it recorded until freed ({@link #releaseIrqs}). */
    @Override
    public IrqLine irq(int index) {
        return irqs.track(engine.machine().irq(instance.node, index));
    }

    /**
     * The driver's code let go of the instance (a live update handed it to the next version): the
     * interrupt handlers it still has registered through this device are freed.
     *
     * @return what was freed
     */
    java.util.List<String> releaseIrqs() {
        return irqs.releaseAll();
    }

    /** The machine's allocator, with every block the driver holds recorded (its page tables, for the DMA sanitizer). */
    @Override
    public PageAllocator pages() {
        return pages;
    }

    @Override
    public PhysicalMemory memory() {
        return engine.machine().memory();
    }

    @Override
    public long cpuPageSize() {
        return engine.config().cpuPageSize();
    }

    @Override
    public boolean reportFault(IommuFault fault) {
        return engine.reportFault(instance, fault);
    }

    @Override
    public String toString() {
        return instance.path;
    }

    @Override
    public void quiesceDomains(String what, Runnable swap) {
        engine.quiesce(instance, what, swap);
    }

    @Override
    public void codeLeft(String what) {
        engine.codeLeft(instance, what);
    }

    @Override
    public void restoredFrom(TakeoverSource source) {
        restoredFrom = source;
    }

    /** @return what the driver's restore said it took the state over from, null if it said nothing */
    TakeoverSource restoredFrom() {
        return restoredFrom;
    }

    /** What {@code iommu:inject} set for this IOMMU, then the machine's fail-nth for the error points. */
    @Override
    public boolean shouldFail(String point) {
        return instance.injection.shouldFail(point);
    }
}
