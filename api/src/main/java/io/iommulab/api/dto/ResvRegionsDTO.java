package io.iommulab.api.dto;

import java.util.List;

/**
 * The reserved regions of a device ({@code iommu:resv}): what iommu_get_resv_regions() gives for it.
 * A DMA domain keeps all but the direct ones out of its IOVA allocator.
 *
 * @param device  DT path
 * @param group   its IOMMU group
 * @param regions the regions in address order
 */
public record ResvRegionsDTO(String device, int group, List<ReservedRegionDTO> regions) {
}
