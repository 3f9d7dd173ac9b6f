package io.iommulab.api.driver;

import org.osgi.annotation.versioning.ProviderType;

/**
 * struct iommu_iotlb_gather: the range an unmap touched, collected for one iotlb_sync.
 * Empty (nothing gathered) when {@link #pgsize()} is 0; then {@link #start()} is Long.MAX_VALUE and {@link #end()} 0.
 */
@ProviderType
public interface IotlbGather {

    long start();

    /** @return last byte gathered (inclusive) */
    long end();

    /** @return page size of the gathered pages, 0 if none */
    long pgsize();

    /** @return true if invalidation is deferred to a flush queue (lazy mode) */
    boolean queued();

    /** iommu_iotlb_gather_add_page / add_range */
    void add(long iova, long size);
}
