package io.iommulab.api.dto;

/**
 * Result of {@code iommu:iova2phys}.
 *
 * @param device DT path
 * @param domain domain id
 * @param iova   IOVA asked
 * @param paddr  physical address (0 when not mapped)
 * @param mapped true if mapped
 */
public record TranslationDTO(String device, int domain, long iova, long paddr, boolean mapped) {
}
