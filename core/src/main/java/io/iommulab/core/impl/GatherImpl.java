package io.iommulab.core.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IotlbGather;

/**
 * struct iommu_iotlb_gather for one unmap call. {@link #add} follows iommu_iotlb_gather_add_page:
 * a page of a different size, or one disjoint from the range gathered so far, syncs what was
 * gathered first (unless invalidation is queued, where the flush queue flushes everything anyway).
 * Used by one thread at a time.
 */
public final class GatherImpl implements IotlbGather {

    private static final long EMPTY_START = Long.MAX_VALUE;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GatherImpl.class);

    /** whose iotlb_sync runs: looked up at each sync, so a live update's new driver does it */
    private final java.util.function.Supplier<DomainOps> ops;
    private final boolean queued;
    private long start = EMPTY_START;
    private long end;
    private long pgsize;
    private int syncs;

    public GatherImpl(DomainOps ops, boolean queued) {
        this.ops = () -> ops;
        this.queued = queued;
    }

    /** A gather whose syncs go to the domain's current driver ops. */
    public GatherImpl(DomainImpl domain, boolean queued) {
        this.ops = domain::ops;
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
        return pgsize;
    }

    @Override
    public boolean queued() {
        return queued;
    }

    public boolean isEmpty() {
        return start > end;
    }

    /** @return how many times the gather was synced (by add's disjoint rule or by {@link #sync}) */
    public int syncs() {
        return syncs;
    }

    @Override
    public void add(long iova, long size) {
        if (!queued && !isEmpty() && ((pgsize != 0 && pgsize != size) || isDisjoint(iova, size))) {
            sync();
        }
        pgsize = size;
        long last = iova + size - 1;
        if (isEmpty()) {
            start = iova;
            end = last;
            return;
        }
        if (Long.compareUnsigned(iova, start) < 0) {
            start = iova;
        }
        if (Long.compareUnsigned(end, last) < 0) {
            end = last;
        }
    }

    /** iommu_iotlb_gather_is_disjoint: the new range neither overlaps nor touches the gathered one */
    private boolean isDisjoint(long iova, long size) {
        long last = iova + size - 1;
        return Long.compareUnsigned(last + 1, start) < 0 || Long.compareUnsigned(iova, end + 1) > 0;
    }

    /**
     * iommu_iotlb_sync: hand the range to the driver, then start over empty. iotlb_sync cannot
     * fail in Linux (it returns nothing): what was unmapped is unmapped whatever the invalidation
     * did, so a driver's failure here is logged and the unmap stands (its accounting with it);
     * only the IOTLB may still hold the range.
     */
    public void sync() {
        DomainOps o = ops.get();
        try {
            o.iotlbSync(this);
        } catch (RuntimeException e) {
            LOG.error("{}: iotlb_sync of 0x{}-0x{} failed; the range stays unmapped, the IOTLB may still hold it: {}", o,
                    Long.toHexString(start), Long.toHexString(end), e.getMessage());
        }
        syncs++;
        reset();
    }

    void reset() {
        start = EMPTY_START;
        end = 0;
        pgsize = 0;
    }
}
