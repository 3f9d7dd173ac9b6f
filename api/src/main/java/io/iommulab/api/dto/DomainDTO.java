package io.iommulab.api.dto;

import java.util.List;

/**
 * @param id            domain id
 * @param type          domain type
 * @param driver        driver that allocated it
 * @param groups        ids of the groups attached to it
 * @param pgsizeBitmap  supported page sizes
 * @param apertureStart first IOVA (0 for identity/blocked)
 * @param apertureEnd   last IOVA (0 for identity/blocked)
 * @param mappedBytes   bytes mapped through iommu_map minus iommu_unmap
 */
public record DomainDTO(int id, String type, String driver, List<Integer> groups, long pgsizeBitmap,
        long apertureStart, long apertureEnd, long mappedBytes) {
}
