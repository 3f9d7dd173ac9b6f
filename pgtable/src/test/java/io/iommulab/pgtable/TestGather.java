package io.iommulab.pgtable;

import io.iommulab.api.driver.IotlbGather;

/** A plain iommu_iotlb_gather for the format tests: the smallest range covering what was added. */
public class TestGather implements IotlbGather {
    public long start = Long.MAX_VALUE;
    public long end;
    public long pgsize;
    public boolean queued;

    @Override
    public long start() {
        return start;
    }

    @Override
    public long end() {
        return end;
    }

    @Override
    public long pgsize() {
        return pgsize;
    }

    @Override
    public boolean queued() {
        return queued;
    }

    @Override
    public void add(long iova, long size) {
        start = Math.min(start, iova);
        end = Math.max(end, iova + size - 1);
        pgsize = size;
    }
}
