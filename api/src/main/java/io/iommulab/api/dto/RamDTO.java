package io.iommulab.api.dto;

import java.util.List;

/**
 * The machine's RAM and who holds its pages ({@code machine:ram}).
 *
 * @param pageSize   the page allocator's page size
 * @param totalPages pages it manages
 * @param pagesInUse pages allocated now
 * @param regions    the RAM regions, in address order
 * @param owners     pages in use by owner, by owner name
 * @param iommuPages the blocks IOMMU drivers hold (their page tables), by address, with their domain; empty when no
 *                   IOMMU core runs on the machine
 */
public record RamDTO(long pageSize, long totalPages, long pagesInUse, List<RamRegionDTO> regions, List<PageOwnerDTO> owners,
        List<IommuPageDTO> iommuPages) {
}
