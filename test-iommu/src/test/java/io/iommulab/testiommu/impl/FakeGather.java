package io.iommulab.testiommu.impl;

import io.iommulab.api.driver.IotlbGather;

/** iommu_iotlb_gather for tests. */
public final class FakeGather implements IotlbGather {

    private long start = -1;
    private long end;
    private final boolean queued;

    public FakeGather(boolean queued) {
        this.queued = queued;
    }

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
        return 0;
    }

    @Override
    public boolean queued() {
        return queued;
    }

    @Override
    public void add(long iova, long size) {
        if (Long.compareUnsigned(start, end) > 0) {
            start = iova;
            end = iova + size - 1;
        } else {
            start = Math.min(start, iova);
            end = Math.max(end, iova + size - 1);
        }
    }
}
