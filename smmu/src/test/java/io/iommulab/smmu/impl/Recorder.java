package io.iommulab.smmu.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.ReservedRegion;
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
 * Passes every call to a real {@link ArmSmmuDriver} and records, per SMMU, each MMIO write the
 * driver makes (the platform device it probes hands out windows that note writes, then pass them
 * to the machine's window), and the masters the core hands to of_xlate. A test may also make the
 * window of a node report another size ({@link #windowSize}) to exercise probe's size check.
 */
final class Recorder implements IommuDriver {

    /** One register write: SMMU path, byte offset in reg[0], value. */
    record Write(String smmu, long offset, int value) {
        @Override
        public String toString() {
            return String.format("%s+0x%x=0x%x", smmu, offset, value);
        }
    }

    final ArmSmmuDriver inner;
    private final List<Write> writes = new ArrayList<>();
    final Map<String, IommuMaster> masters = new LinkedHashMap<>();
    /** window size as the driver sees it, by node path (identity when absent) */
    final Map<String, LongUnaryOperator> windowSize = new LinkedHashMap<>();

    Recorder(ArmSmmuDriver inner) {
        this.inner = inner;
    }

    /** @return the writes recorded since the last call, and forgets them */
    synchronized List<Write> take() {
        List<Write> out = List.copyOf(writes);
        writes.clear();
        return out;
    }

    private synchronized void note(String smmu, long offset, int value) {
        writes.add(new Write(smmu, offset, value));
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public List<String> compatibles() {
        return inner.compatibles();
    }

    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        return inner.probe(new RecordingDevice(pdev));
    }

    @Override
    public void remove(IommuDevice iommu) {
        inner.remove(iommu);
    }

    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        masters.put(dev.name(), dev);
        inner.ofXlate(dev, iommu, args);
    }

    @Override
    public void probeDevice(IommuMaster dev) {
        inner.probeDevice(dev);
    }

    @Override
    public void releaseDevice(IommuMaster dev) {
        inner.releaseDevice(dev);
    }

    @Override
    public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        return inner.deviceGroup(dev, groups);
    }

    @Override
    public DomainType defDomainType(IommuMaster dev) {
        return inner.defDomainType(dev);
    }

    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        return inner.domainAllocPaging(dev);
    }

    @Override
    public DomainOps identityDomain() {
        return inner.identityDomain();
    }

    @Override
    public DomainOps blockedDomain() {
        return inner.blockedDomain();
    }

    @Override
    public List<ReservedRegion> getResvRegions(IommuMaster dev) {
        return inner.getResvRegions(dev);
    }

    @Override
    public boolean capable(IommuMaster dev, Capability cap) {
        return inner.capable(dev, cap);
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
            String smmu = pdev.name();
            LongUnaryOperator size = windowSize.getOrDefault(smmu, s -> s);
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
                    note(smmu, offset, value);
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
    }
}
