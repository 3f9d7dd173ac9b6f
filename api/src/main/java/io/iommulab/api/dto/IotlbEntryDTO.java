package io.iommulab.api.dto;

import java.util.List;

/**
 * One live IOTLB entry of an IOMMU's hardware model ({@code machine:iotlb}).
 *
 * @param sid     the stream whose cache holds it (DART, test IOMMU: one cache per stream), null when
 *                one cache serves every stream (SMMUv2)
 * @param context the context bank it was walked through (SMMU), null when none
 * @param asid    its address-space tag (SMMU ASID), null when none
 * @param iova    first IOVA it translates
 * @param paddr   physical address of that byte
 * @param size    bytes it covers (the leaf's page or block size)
 * @param prot    what it grants a device: {@code r}, {@code w}, {@code rw} or {@code none}, then
 *                {@code ,noexec} where the architecture says so
 * @param masters DT paths of the masters that use the entry's stream (empty without a stream)
 */
public record IotlbEntryDTO(Integer sid, Integer context, Integer asid, long iova, long paddr, long size, String prot,
        List<String> masters) {
}
