package io.iommulab.api.pgtable;

import io.iommulab.api.driver.IotlbGather;
import org.osgi.annotation.versioning.ProviderType;

/**
 * struct io_pgtable_ops of one table. Map and unmap of disjoint ranges may run concurrently from
 * several threads (new intermediate tables are installed with a compare-and-swap).
 */
@ProviderType
public interface PageTableOps {

    /** @return the table's format, configuration and roots: what the driver programs and what re-opens it */
    PageTableState state();

    /**
     * map_pages: map {@code pgcount} pages of {@code pgsize} starting at {@code iova} → {@code paddr}.
     * May map fewer than asked when the run reaches the end of a table (the caller continues
     * with the rest, as the IOMMU core does).
     *
     * @return bytes mapped
     * @throws io.iommulab.api.error.IommuException EINVAL (page size the format lacks, protection without
     *         read and write, unaligned), ERANGE (physical address beyond OAS or IOVA beyond IAS),
     *         EEXIST (an entry is already valid: nothing written), ENOMEM (with partialBytes)
     */
    long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot);

    /**
     * unmap_pages
     *
     * @param gather where removed leaves are gathered (through {@link TlbFlushOps#tlbAddPage}); may be null
     * @return bytes unmapped (short at a hole or the end of a table)
     */
    long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather);

    /** iova_to_phys: 0 when not mapped */
    long iovaToPhys(long iova);

    /** @return table pages (of the format's table size) this table holds now */
    long tablePages();

    /** @return bytes of table memory this table holds now */
    long tableBytes();

    /** free_io_pgtable_ops: flush all, then return every table page to the allocator. */
    void free();
}
