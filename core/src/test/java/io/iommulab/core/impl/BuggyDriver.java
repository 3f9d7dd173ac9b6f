package io.iommulab.core.impl;

import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testkit.DelegatingDriver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The test IOMMU's driver with the bugs the DMA sanitizer is there to catch, each switched on by a
 * test: it obeys {@code PlatformDevice.shouldFail(SKIP_INVALIDATE)} as the real drivers do (an
 * injected skip leaves the IOTLB stale), and {@link #unmapLeavesPtes} makes its unmap report the
 * pages unmapped while leaving them in the table.
 */
final class BuggyDriver extends DelegatingDriver {

    /** the platform device each instance was probed with */
    final Map<IommuDevice, PlatformDevice> pdevs = new ConcurrentHashMap<>();
    volatile boolean unmapLeavesPtes;

    BuggyDriver() {
        super(new TestIommuDriver());
    }

    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        IommuDevice d = base.probe(pdev);
        pdevs.put(d, pdev);
        return d;
    }

    /** @return the platform device of the IOMMU node at {@code path} */
    PlatformDevice pdev(String path) {
        return pdevs.values().stream().filter(p -> p.name().equals(path)).findFirst().orElseThrow();
    }

    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        DomainOps ops = base.domainAllocPaging(dev);
        return ops == null ? null : new Ops(ops, pdevs.get(dev.fwspec().get(0).iommu()));
    }

    private final class Ops implements DomainOps {
        private final DomainOps inner;
        private final PlatformDevice pdev;

        Ops(DomainOps inner, PlatformDevice pdev) {
            this.inner = inner;
            this.pdev = pdev;
        }

        private boolean skip() {
            return pdev.shouldFail(PlatformDevice.SKIP_INVALIDATE);
        }

        @Override
        public void domainInit(int id, io.iommulab.api.DomainType type) {
            inner.domainInit(id, type);
        }

        @Override
        public void attachDev(IommuMaster dev) {
            inner.attachDev(dev);
        }

        @Override
        public long pgsizeBitmap() {
            return inner.pgsizeBitmap();
        }

        @Override
        public DomainGeometry geometry() {
            return inner.geometry();
        }

        @Override
        public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
            return inner.mapPages(iova, paddr, pgsize, pgcount, prot);
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            if (unmapLeavesPtes) {
                gather.add(iova, pgsize * pgcount);
                return pgsize * pgcount;
            }
            return inner.unmapPages(iova, pgsize, pgcount, gather);
        }

        @Override
        public long iovaToPhys(long iova) {
            return inner.iovaToPhys(iova);
        }

        @Override
        public void flushIotlbAll() {
            if (!skip()) {
                inner.flushIotlbAll();
            }
        }

        @Override
        public void iotlbSync(IotlbGather gather) {
            if (!skip()) {
                inner.iotlbSync(gather);
            }
        }

        @Override
        public void iotlbSyncMap(long iova, long size) {
            if (!skip()) {
                inner.iotlbSyncMap(iova, size);
            }
        }

        @Override
        public void free() {
            inner.free();
        }

        @Override
        public PageTableState pgtableState() {
            return inner.pgtableState();
        }
    }
}
