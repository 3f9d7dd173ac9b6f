package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import io.iommulab.api.pgtable.PageTableState;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * struct iommu_domain_ops of one domain, implemented by a driver. The core calls these with its
 * checks done (alignment, page-size splitting, aperture) and serialises attach/detach per group;
 * map/unmap of disjoint ranges may run concurrently.
 */
@ConsumerType
public interface DomainOps {

    /**
     * iommu_domain_init: the core's side of a domain made around these ops: the id the core lists
     * it by and its type. (In Linux the driver's domain embeds struct iommu_domain, so it sees
     * domain->type; here the core tells it.) Called when the core makes the domain (paging right
     * after {@link IommuDriver#domainAllocPaging}, identity and blocked too), and again when a live
     * update hands the domain to a new driver's ops. A driver that preserves its domains across a
     * live update names them by this id ({@link PreservedDomain#domain()}); a driver whose identity
     * or blocked domain is one object for every domain ignores the call there.
     *
     * @param id   the core's domain id
     * @param type the domain's type
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

    /**
     * Live update: the page table this domain runs on, so the next version of the driver can
     * re-open it (also for a domain attached to no stream, which no hardware register names).
     *
     * @return the table's state, or null for a domain without a table (identity, blocked)
     */
    default PageTableState pgtableState() {
        return null;
    }

}
