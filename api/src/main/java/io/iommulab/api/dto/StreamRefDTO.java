package io.iommulab.api.dto;

/**
 * @param iommu DT path of the IOMMU node
 * @param sid   stream id
 */
public record StreamRefDTO(String iommu, int sid) {
}
