package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * struct iommu_domain_ops of one domain, implemented by a driver. The core calls these with its
 * checks done (alignment, page-size splitting, aperture) and serialises attach/detach per group;
 * map/unmap of disjoint ranges may run concurrently.
 */
@ConsumerType
public interface DomainOps {

    /**
     * iommu_domain_init: the core's side of a paging domain the driver allocated, told once, right
     * after {@link IommuDriver#domainAllocPaging}: the id the core lists it by and the type it
     * allocated it as. (In Linux the driver's domain embeds struct iommu_domain, so it sees
     * domain->type; here the core tells it.) A driver that preserves its domains across a live
     * update names them by this id ({@link PreservedDomain#domain()}); a domain taken over in a
     * live update learns both from its {@link DomainHandover} instead.
     *
     * @param id   the core's domain id
     * @param type UNMANAGED, DMA or DMA_FQ
     */
    default void domainInit(int id, DomainType type) {
    }

    /**
     * attach_dev: make the device's streams use this domain.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL if the domain is incompatible with the device
     *         (never logged by the core), other codes on hardware failure
     */
    void attachDev(IommuMaster dev);

    /** @return supported page sizes as a bitmap (bit n = 2^n bytes); 0 for identity/blocked */
    default long pgsizeBitmap() {
        return 0;
    }

    /** @return the aperture; null for identity/blocked */
    default DomainGeometry geometry() {
        return null;
    }

    /**
     * map_pages: map {@code pgcount} pages of {@code pgsize} (one size from the bitmap).
     *
     * @return bytes mapped (pgsize * pgcount on success)
     * @throws io.iommulab.api.error.IommuException with {@link io.iommulab.api.error.IommuException#partialBytes()}
     *         set to what was mapped before the error
     */
    default long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        throw new io.iommulab.api.error.IommuException(io.iommulab.api.error.Errno.EOPNOTSUPP, "domain has no page table");
    }

    /** unmap_pages: @return bytes unmapped (may be short; stops at the first hole) */
    default long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        return 0;
    }

    /** iova_to_phys: @return the physical address, 0 when not mapped */
    default long iovaToPhys(long iova) {
        return 0;
    }

    /** flush_iotlb_all */
    default void flushIotlbAll() {
    }

    /** iotlb_sync: invalidate what the gather collected */
    default void iotlbSync(IotlbGather gather) {
    }

    /**
     * iotlb_sync_map, or null-like no-op; the core calls it after a successful map.
     */
    default void iotlbSyncMap(long iova, long size) {
    }

    /** free: release the page tables; the domain is attached to nothing */
    default void free() {
    }
}
