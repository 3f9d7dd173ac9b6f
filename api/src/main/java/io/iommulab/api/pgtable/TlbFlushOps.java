package io.iommulab.api.pgtable;

import io.iommulab.api.driver.IotlbGather;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * struct iommu_flush_ops: how a format asks the driver to invalidate. The DART driver needs none
 * (it flushes whole streams in iotlb_sync); SMMU invalidates by VA.
 */
@ConsumerType
public interface TlbFlushOps {

    /** Nothing to flush: for drivers that invalidate on their own in iotlb_sync. */
    TlbFlushOps NONE = new TlbFlushOps() { };

    /** tlb_flush_all: the whole context (on free) */
    default void tlbFlushAll() {
    }

    /** tlb_flush_walk: intermediate tables of [iova, iova+size) were freed or replaced */
    default void tlbFlushWalk(long iova, long size, long granule) {
    }

    /** tlb_add_page: a leaf was removed; gather it (or invalidate it now) */
    default void tlbAddPage(IotlbGather gather, long iova, long granule) {
        if (gather != null) {
            gather.add(iova, granule);
        }
    }
}
