package io.iommulab.api.dto;

/**
 * One reserved region of a device (struct iommu_resv_region), as a line of Linux's
 * {@code /sys/kernel/iommu_groups/N/reserved_regions} gives it, with its flags.
 *
 * @param start    first IOVA
 * @param end      last IOVA (inclusive, as sysfs prints it)
 * @param type     sysfs's word for the type: {@code direct}, {@code direct-relaxable}, {@code reserved} or
 *                 {@code msi} (for both MSI types)
 * @param resvType the enum iommu_resv_type value: {@code IOMMU_RESV_DIRECT}, {@code IOMMU_RESV_DIRECT_RELAXABLE},
 *                 {@code IOMMU_RESV_RESERVED}, {@code IOMMU_RESV_MSI} (a hardware MSI doorbell) or
 *                 {@code IOMMU_RESV_SW_MSI} (a window the IOMMU driver maps MSIs into)
 * @param prot     its IOMMU_* protection flags joined by {@code |}, e.g. {@code WRITE|NOEXEC|MMIO}
 */
public record ReservedRegionDTO(long start, long end, String type, String resvType, String prot) {
}
