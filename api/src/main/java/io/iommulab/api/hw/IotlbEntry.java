package io.iommulab.api.hw;

/**
 * One live entry of an IOMMU model's IOTLB, as a tool sees it through the machine's debug port
 * ({@link io.iommulab.api.machine.Machine#iotlbEntries}); software never sees it, as on silicon.
 *
 * @param sid     the stream whose cache holds the entry, -1 when one cache serves every stream
 *                (SMMUv2's TLB, tagged by ASID)
 * @param context the context the entry was walked through (an SMMU context bank), -1 when none
 * @param asid    the address-space tag (an SMMU ASID), -1 when entries are not tagged by one
 * @param iova    first IOVA the entry translates (aligned to {@code size})
 * @param paddr   the physical address of that byte
 * @param size    bytes the entry covers: the leaf's page or block size
 * @param prot    {@link io.iommulab.api.Prot} bits it grants a device: READ, WRITE, and NOEXEC where the
 *                architecture has it
 * @since 1.4
 */
public record IotlbEntry(int sid, int context, int asid, long iova, long paddr, long size, int prot) {
}
