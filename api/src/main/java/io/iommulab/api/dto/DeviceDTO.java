package io.iommulab.api.dto;

import java.util.List;

/**
 * One DMA master.
 *
 * @param node       DT path
 * @param iommus     its IOMMU specifiers
 * @param state      {@code probed}, {@code deferred} or {@code failed} ({@link #probeState})
 * @param reason     why it is not probed (null when probed)
 * @param group      group id, or null
 * @param domain     id of the domain its group is attached to, or null
 * @param domainType that domain's type, or null
 */
public record DeviceDTO(String node, List<StreamRefDTO> iommus, String state, String reason, Integer group,
        Integer domain, String domainType) {

    /** @return {@link #state} as the enum to compare with */
    public ProbeState probeState() {
        return ProbeState.of(state);
    }
}
