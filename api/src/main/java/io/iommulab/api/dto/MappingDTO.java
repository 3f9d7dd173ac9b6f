package io.iommulab.api.dto;

/**
 * Result of {@code iommu:map}.
 *
 * @param device DT path
 * @param domain domain id
 * @param iova   first IOVA
 * @param paddr  first physical address
 * @param size   bytes mapped
 * @param prot   {@code r}, {@code w} or {@code rw}
 */
public record MappingDTO(String device, int domain, long iova, long paddr, long size, String prot) {
}
