package io.iommulab.api.driver;

/**
 * struct iommu_resv_region.
 *
 * @param start  first IOVA
 * @param length bytes
 * @param prot   IOMMU protection flags ({@link io.iommulab.api.Prot})
 * @param type   kind of reservation
 */
public record ReservedRegion(long start, long length, int prot, Type type) {
    /** enum iommu_resv_type */
    public enum Type { DIRECT, DIRECT_RELAXABLE, RESERVED, MSI, SW_MSI }
}
