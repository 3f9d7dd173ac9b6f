package io.iommulab.api.dto;

/**
 * One reported IOMMU fault.
 *
 * @param seq         sequence number
 * @param timestampNs time since the core started
 * @param iommu       DT path of the IOMMU
 * @param sid         stream id (-1 if unknown)
 * @param device      DT path of the master using that stream, or null
 * @param domain      domain id, or null
 * @param iova        faulting IOVA
 * @param access      {@code read} or {@code write}
 * @param status      raw status register value
 * @param reason      the driver's decoded text
 * @param handled     true if the domain's fault handler handled it
 */
public record FaultDTO(long seq, long timestampNs, String iommu, int sid, String device, Integer domain, long iova,
        String access, long status, String reason, boolean handled) {
}
