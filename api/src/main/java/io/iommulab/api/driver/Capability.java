package io.iommulab.api.driver;

/** enum iommu_cap, the subset the core asks about. */
public enum Capability {
    /** IOMMU_CAP_CACHE_COHERENCY */
    CACHE_COHERENCY,
    /** IOMMU_CAP_DEFERRED_FLUSH: flush queues (DMA_FQ) are worth using */
    DEFERRED_FLUSH
}
