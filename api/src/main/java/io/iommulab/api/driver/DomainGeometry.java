package io.iommulab.api.driver;

/**
 * struct iommu_domain_geometry: the IOVA aperture.
 *
 * @param apertureStart first mappable IOVA
 * @param apertureEnd   last mappable IOVA (inclusive)
 * @param forceAperture true if DMA outside the aperture is impossible
 */
public record DomainGeometry(long apertureStart, long apertureEnd, boolean forceAperture) {
    public boolean contains(long iova, long size) {
        return size > 0 && Long.compareUnsigned(iova, apertureStart) >= 0
                && Long.compareUnsigned(iova + size - 1, apertureEnd) <= 0
                && Long.compareUnsigned(iova + size - 1, iova) >= 0;
    }
}
