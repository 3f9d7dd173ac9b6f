package io.iommulab.api.machine;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Page allocation for software (like alloc_pages): naturally aligned blocks of
 * {@code PAGE_SIZE << order} bytes of zeroed RAM, accounted per owner so that leaks are measurable.
 */
@ProviderType
public interface PageAllocator {

    /** The allocation granule, as Linux's PAGE_SIZE on a 4 KiB kernel. */
    int PAGE_SIZE = 4096;

    /**
     * Allocates {@code 1 << order} contiguous zeroed pages aligned to their size.
     *
     * @param order log2 of the number of pages
     * @param owner who holds the pages (e.g. {@code "io.iommulab.dart:/soc/iommu@382f00000"}), for accounting
     * @return physical address of the block
     * @throws io.iommulab.api.error.IommuException ENOMEM when RAM is exhausted, EINVAL for a bad order
     */
    long allocPages(int order, String owner);

    /**
     * Frees a block returned by {@link #allocPages}.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL naming the address if it is not an allocated block
     */
    void freePages(long pa);

    /** @return pages (of PAGE_SIZE) currently allocated */
    long pagesInUse();

    /** @return pages currently allocated, by owner */
    Map<String, Long> pagesByOwner();
}
