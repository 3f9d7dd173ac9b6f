package io.iommulab.api.dto;

import java.util.List;

/**
 * Pages the page allocator has handed to one owner ({@code machine:ram}).
 *
 * @param owner   the owner string the allocation gave, e.g. {@code apple-dart:/soc/iommu@382f00000:domain@1b2c3d4e}
 *                or {@code dma_alloc_coherent:/soc/usb@382280000}
 * @param pages   pages (of 4 KiB) it holds
 * @param domains the IOMMU domains whose page tables these are, when an IOMMU driver holds them (empty otherwise)
 * @param devices the devices attached to those domains now
 */
public record PageOwnerDTO(String owner, long pages, List<Integer> domains, List<String> devices) {
}
