package io.iommulab.api.dto;

/**
 * Result of {@code iommu:unmap}.
 *
 * @param device   DT path
 * @param domain   domain id
 * @param iova     first IOVA
 * @param size     bytes asked for
 * @param unmapped bytes unmapped
 */
public record UnmapDTO(String device, int domain, long iova, long size, long unmapped) {
}
