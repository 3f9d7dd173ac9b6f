package io.iommulab.api.pgtable;

import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;

/**
 * Where a format keeps its tables and whom it tells about invalidation.
 *
 * @param memory physical memory the tables live in (the memory the hardware walks)
 * @param pages  allocator for table pages
 * @param owner  owner tag for the page accounting, e.g. {@code "apple-dart:/soc/iommu@382f00000:domain 3"}
 * @param flush  the driver's flush callbacks
 */
public record PageTableContext(PhysicalMemory memory, PageAllocator pages, String owner, TlbFlushOps flush) {
}
