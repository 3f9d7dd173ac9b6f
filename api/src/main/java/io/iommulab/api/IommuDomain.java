package io.iommulab.api;

import io.iommulab.api.driver.DomainGeometry;
import org.osgi.annotation.versioning.ProviderType;

/**
 * struct iommu_domain as its users see it. Map and unmap follow iommu_map()/iommu_unmap(): sizes
 * and addresses aligned to the smallest page size, split by the page-size bitmap, inside the
 * aperture; a failed call leaves every existing mapping as it was.
 */
@ProviderType
public interface IommuDomain {

    int id();

    DomainType type();

    /** @return driver name */
    String driver();

    long pgsizeBitmap();

    /** @return aperture, null for identity/blocked */
    DomainGeometry geometry();

    /**
     * iommu_map
     *
     * @throws io.iommulab.api.error.IommuException EINVAL (unaligned, no prot, not paging), ERANGE
     *         (outside the aperture), EEXIST (overlap), ENOMEM
     */
    void map(long iova, long paddr, long size, int prot);

    /** iommu_unmap: @return bytes unmapped (short at the first hole) */
    long unmap(long iova, long size);

    /** iommu_iova_to_phys: 0 when not mapped */
    long iovaToPhys(long iova);

    /** iommu_set_fault_handler (null removes it) */
    void setFaultHandler(FaultHandler handler);

    /** iommu_domain_free: legal for a domain never attached; EBUSY while attached */
    void free();
}
