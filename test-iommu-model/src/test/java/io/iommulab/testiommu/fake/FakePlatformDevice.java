package io.iommulab.testiommu.fake;

import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * What the core hands a driver's probe, over fake hardware; records reported faults and answers
 * {@code shouldFail} with {@link #injected} (no fault injected unless a test sets it).
 */
public final class FakePlatformDevice implements PlatformDevice {

    private final FakeNode node;
    private final MmioWindow mmio;
    private final IrqLine irq;
    private final PageAllocator pages;
    private final PhysicalMemory memory;
    public final List<IommuFault> faults = new CopyOnWriteArrayList<>();
    /** the answer to {@code shouldFail(point)}, as the core's {@code iommu:inject} would give it */
    public volatile Predicate<String> injected = point -> false;
    /** what a driver's restore said it took the state over from (null: it said nothing) */
    public volatile TakeoverSource restoredFrom;

    public FakePlatformDevice(String path, MmioWindow mmio, IrqLine irq, PageAllocator pages, PhysicalMemory memory) {
        this.node = new FakeNode(path);
        this.mmio = mmio;
        this.irq = irq;
        this.pages = pages;
        this.memory = memory;
    }

    @Override
    public String name() {
        return node.path();
    }

    @Override
    public DtNode node() {
        return node;
    }

    @Override
    public MmioWindow ioremap(int index) {
        return mmio;
    }

    @Override
    public IrqLine irq(int index) {
        return irq;
    }

    @Override
    public PageAllocator pages() {
        return pages;
    }

    @Override
    public PhysicalMemory memory() {
        return memory;
    }

    @Override
    public long cpuPageSize() {
        return 4096;
    }

    @Override
    public boolean reportFault(IommuFault fault) {
        faults.add(fault);
        return false;
    }

    @Override
    public void quiesceDomains(String what, Runnable swap) {
        swap.run();
    }

    /** Nothing here holds calls back: the driver's calls fail as they would without the code. */
    @Override
    public void codeLeft(String what) {
    }

    @Override
    public void restoredFrom(TakeoverSource source) {
        restoredFrom = source;
    }

    @Override
    public boolean shouldFail(String point) {
        return injected.test(point);
    }
}
