package io.iommulab.api.dto;

import java.util.List;

/**
 * A block of RAM an IOMMU driver holds from the page allocator ({@code machine:ram}): a page table of a
 * domain, or memory the IOMMU keeps for itself.
 *
 * @param paddr      physical address
 * @param size       bytes
 * @param owner      the page allocator's owner string the driver gave
 * @param iommu      DT path of the IOMMU whose driver holds it
 * @param domain     the domain whose table it is (the core ran that domain's driver code when it was allocated),
 *                   null for the IOMMU's own memory
 * @param domainType the domain's type, {@code freed} if the domain is gone and the block was not returned
 * @param devices    DT paths of the devices attached to that domain now
 */
public record IommuPageDTO(long paddr, long size, String owner, String iommu, Integer domain, String domainType,
        List<String> devices) {
}
