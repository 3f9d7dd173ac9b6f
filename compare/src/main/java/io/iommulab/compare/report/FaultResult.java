package io.iommulab.compare.report;

/**
 * One injected fault as the backend saw it.
 *
 * @param device      master that issued the faulting transaction
 * @param iova        the address
 * @param write       true for a write
 * @param modelFault  what the hardware model answered for the transaction (e.g. "NO PTE FOR IOVA")
 * @param reported    how many faults the driver reported to the core for it
 * @param reason      the driver's decoded text of the first report, or null if none was reported
 * @param status      the raw status register the driver read (DART ERROR_STATUS, SMMU FSR / sGFSR)
 * @param iommu       the IOMMU that reported it, or null
 * @param sid         stream id it reported, -1 if none
 */
public record FaultResult(String device, long iova, boolean write, String modelFault, int reported, String reason,
        long status, String iommu, int sid) {
}
