package io.iommulab.api.driver;

/**
 * A fault decoded by a driver's interrupt handler.
 *
 * @param sid    stream id the hardware reported, -1 if unknown
 * @param iova   faulting input address
 * @param write  true for a write transaction (IOMMU_FAULT_WRITE), false for read
 * @param status raw status/error register value
 * @param reason the driver's decoded text, e.g. {@code "NO PTE FOR IOVA"}
 */
public record IommuFault(int sid, long iova, boolean write, long status, String reason) {
}
