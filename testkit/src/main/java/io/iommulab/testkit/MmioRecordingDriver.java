package io.iommulab.testkit;

import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Passes every call to a real driver and records, per IOMMU, each MMIO write the driver makes (the
 * platform device it probes, or takes over in a live update, hands out windows that note writes,
 * with the value the register held before, then pass them to the machine's window), and the
 * masters the core hands to of_xlate. A test may also make the window of a node
 * report another size ({@link #windowSize}) to exercise a probe's size check, and inject faults
 * ({@link #faults}): the device answers {@code shouldFail} from them before asking the core.
 *
 * @param <D> the driver's class, so tests reach its own methods through {@link #inner}
 */
public final class MmioRecordingDriver<D extends IommuDriver> extends DelegatingDriver {

    /** One register write: IOMMU path, byte offset in the window, value. */
    public record Write(String iommu, long offset, int value) {
        @Override
        public String toString() {
            return String.format("%s+0x%x=0x%x", iommu, offset, value);
        }
    }

    /** One register write with what a read of the register returned just before it. */
    public record Change(Write write, int before) {
        @Override
        public String toString() {
            return String.format("%s (was 0x%x)", write, before);
        }
    }

    /** the wrapped driver */
    public final D inner;
    /** masters seen by of_xlate, by name */
    public final Map<String, IommuMaster> masters = new LinkedHashMap<>();
    /** window size as the driver sees it, by node path (identity when absent) */
    public final Map<String, LongUnaryOperator> windowSize = new LinkedHashMap<>();
    /** faults injected by the test, by IOMMU path; asked before the core's own injection */
    public final InjectedFaults faults = new InjectedFaults();
    private final List<Write> writes = new ArrayList<>();
    private final List<Change> changes = new ArrayList<>();

    public MmioRecordingDriver(D inner) {
        super(inner);
        this.inner = inner;
    }

    /** @return the writes recorded since the last call, and forgets them */
    public synchronized List<Write> take() {
        List<Write> out = List.copyOf(writes);
        writes.clear();
        return out;
    }

    /**
     * @return the writes recorded since the last call with the value each register read before it
     *         (reads of side-effect registers such as a command register are the test's to judge),
     *         and forgets them
     */
    public synchronized List<Change> takeChanges() {
        List<Change> out = List.copyOf(changes);
        changes.clear();
        return out;
    }

    private synchronized void note(String iommu, long offset, int value, int before) {
        Write w = new Write(iommu, offset, value);
        writes.add(w);
        changes.add(new Change(w, before));
    }

    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        return base.probe(new RecordingDevice(pdev));
    }

    /** A live update's takeover probes nothing but writes through the same recording windows. */
    @Override
    public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        return base.restore(new RecordingDevice(pdev), record);
    }

    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        masters.put(dev.name(), dev);
        base.ofXlate(dev, iommu, args);
    }

    /** The core's platform device, with windows that record writes. */
    private final class RecordingDevice implements PlatformDevice {
        private final PlatformDevice pdev;

        RecordingDevice(PlatformDevice pdev) {
            this.pdev = pdev;
        }

        @Override
        public String name() {
            return pdev.name();
        }

        @Override
        public DtNode node() {
            return pdev.node();
        }

        @Override
        public MmioWindow ioremap(int index) {
            MmioWindow w = pdev.ioremap(index);
            String iommu = pdev.name();
            LongUnaryOperator size = windowSize.getOrDefault(iommu, s -> s);
            return new MmioWindow() {
                @Override
                public long base() {
                    return w.base();
                }

                @Override
                public long size() {
                    return size.applyAsLong(w.size());
                }

                @Override
                public int readl(long offset) {
                    return w.readl(offset);
                }

                @Override
                public void writel(long offset, int value) {
                    note(iommu, offset, value, w.readl(offset));
                    w.writel(offset, value);
                }
            };
        }

        @Override
        public IrqLine irq(int index) {
            return pdev.irq(index);
        }

        @Override
        public PageAllocator pages() {
            return pdev.pages();
        }

        @Override
        public PhysicalMemory memory() {
            return pdev.memory();
        }

        @Override
        public long cpuPageSize() {
            return pdev.cpuPageSize();
        }

        @Override
        public boolean reportFault(IommuFault fault) {
            return pdev.reportFault(fault);
        }

        @Override
        public void quiesceDomains(String what, Runnable swap) {
            pdev.quiesceDomains(what, swap);
        }

        @Override
        public void codeLeft(String what) {
            pdev.codeLeft(what);
        }

        @Override
        public void restoredFrom(TakeoverSource source) {
            pdev.restoredFrom(source);
        }

        @Override
        public boolean shouldFail(String point) {
            return faults.shouldFail(pdev.name(), point) || pdev.shouldFail(point);
        }
    }
}
