package io.iommulab.api.dto;

/**
 * The fault handler of a device's current domain ({@code iommu:faulthandler}), set by
 * iommu_set_fault_handler(): a fault it handles shows as handled in {@code iommu:faults}.
 *
 * @param device  DT path of the device asked about
 * @param domain  the domain the handler is set on
 * @param handler {@code log} (handles and logs each fault, rate-limited), {@code count} (handles and counts),
 *                {@code none}, or {@code other} (one set by code, not by the shell)
 * @param handled faults the shell's handler handled since it was set (0 for none and other)
 */
public record FaultHandlerDTO(String device, int domain, String handler, long handled) {
}
