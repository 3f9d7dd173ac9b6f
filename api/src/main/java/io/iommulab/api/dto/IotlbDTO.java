package io.iommulab.api.dto;

import java.util.List;

/**
 * An IOMMU's IOTLB as its hardware model holds it now ({@code machine:iotlb}): a tool's view
 * through the machine's debug port, as the counters of {@code dart:iotlb} are.
 *
 * @param iommu   DT path of the IOMMU node
 * @param model   name of its hardware model
 * @param entries the live entries, per stream then oldest first
 */
public record IotlbDTO(String iommu, String model, List<IotlbEntryDTO> entries) {
}
