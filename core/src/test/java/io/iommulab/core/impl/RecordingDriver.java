package io.iommulab.core.impl;

import io.iommulab.testkit.DelegatingDriver;

import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Wraps every paging domain of a driver in {@link RecordingOps}: the calls the core makes are kept as text. */
final class RecordingDriver extends DelegatingDriver {

    final List<String> calls = new CopyOnWriteArrayList<>();

    RecordingDriver(IommuDriver base) {
        super(base);
    }

    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        return new RecordingOps(base.domainAllocPaging(dev), calls);
    }

    List<String> take() {
        List<String> out = List.copyOf(calls);
        calls.clear();
        return out;
    }

    static final class RecordingOps implements DomainOps {
        final DomainOps d;
        final List<String> calls;

        RecordingOps(DomainOps d, List<String> calls) {
            this.d = d;
            this.calls = calls;
        }

        private static String h(long v) {
            return "0x" + Long.toHexString(v);
        }

        @Override
        public void attachDev(IommuMaster dev) {
            d.attachDev(dev);
        }

        @Override
        public long pgsizeBitmap() {
            return d.pgsizeBitmap();
        }

        @Override
        public DomainGeometry geometry() {
            return d.geometry();
        }

        @Override
        public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
            calls.add("map " + h(iova) + " " + h(paddr) + " " + h(pgsize) + " x" + pgcount);
            return d.mapPages(iova, paddr, pgsize, pgcount, prot);
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            calls.add("unmap " + h(iova) + " " + h(pgsize) + " x" + pgcount);
            return d.unmapPages(iova, pgsize, pgcount, gather);
        }

        @Override
        public long iovaToPhys(long iova) {
            return d.iovaToPhys(iova);
        }

        @Override
        public void flushIotlbAll() {
            calls.add("flush_all");
            d.flushIotlbAll();
        }

        @Override
        public void iotlbSync(IotlbGather gather) {
            calls.add(gather.start() > gather.end() ? "sync empty" : "sync " + h(gather.start()) + "-" + h(gather.end()));
            d.iotlbSync(gather);
        }

        @Override
        public void iotlbSyncMap(long iova, long size) {
            calls.add("sync_map " + h(iova) + " " + h(size));
            d.iotlbSyncMap(iova, size);
        }

        @Override
        public void free() {
            calls.add("free");
            d.free();
        }
    }
}
