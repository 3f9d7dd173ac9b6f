package io.iommulab.api.machine;

import io.iommulab.api.dt.DtNode;

/**
 * An IOMMU hardware instance of the board: a DT node with {@code #iommu-cells}.
 *
 * @param node   the DT node
 * @param model  name of the hardware model that implements it, or null if no model matches
 * @param reason why there is no model (no compatible model, disabled node, bad reg), or null
 */
public record IommuHardware(DtNode node, String model, String reason) {
}
