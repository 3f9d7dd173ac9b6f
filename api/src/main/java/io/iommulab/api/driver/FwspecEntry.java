package io.iommulab.api.driver;

/**
 * One IOMMU specifier of a master (one {@code iommus} entry, or the result of an {@code iommu-map}
 * lookup for a PCI function), after the IOMMU instance was found.
 *
 * @param iommu the instance the specifier names
 * @param args  the specifier cells
 */
public record FwspecEntry(IommuDevice iommu, int[] args) {
}
