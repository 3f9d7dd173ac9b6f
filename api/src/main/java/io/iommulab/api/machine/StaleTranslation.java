package io.iommulab.api.machine;

import io.iommulab.api.hw.Access;

/**
 * An IOTLB hit that no longer matches what a fresh walk of the tables in memory, with the current
 * registers, gives: software changed a table entry or a table base and did not invalidate.
 *
 * @param iommu        DT path of the IOMMU
 * @param sid          stream id
 * @param iova         the transaction's address
 * @param access       read or write
 * @param cachedPa     the physical address the IOTLB served (of the IOVA)
 * @param cachedPerms  the permissions it served ({@code Prot} READ/WRITE bits)
 * @param currentPa    what a fresh walk gives (0 when it faults)
 * @param currentPerms the permissions a fresh walk gives (0 when it faults)
 * @param currentFault why a fresh walk faults (e.g. "NO PTE FOR IOVA"), or null
 * @param cause        what changed: "PTE changed", "PTE cleared", "permissions reduced", "TTBR changed", ...
 * @param due          the invalidation that was due, in the architecture's terms (e.g. "DART stream
 *                     flush: STREAM_SELECT bit 3 + STREAM_COMMAND INVALIDATE", "T8110 TLB_CMD
 *                     FLUSH_SID 3", "SMMU TLBIVAL ASID 2 VA 0x4000 (or TLBIASID 2)")
 */
public record StaleTranslation(String iommu, int sid, long iova, Access access, long cachedPa, int cachedPerms,
        long currentPa, int currentPerms, String currentFault, String cause, String due) {
}
