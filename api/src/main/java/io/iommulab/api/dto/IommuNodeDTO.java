package io.iommulab.api.dto;

import java.util.List;

/**
 * One IOMMU node of the board.
 *
 * @param node       DT path
 * @param compatible the node's compatible strings
 * @param driver     bound driver name, or null
 * @param state      {@code probed}, {@code deferred}, {@code failed} or {@code disabled} ({@link #probeState})
 * @param reason     why it is not probed (null when probed)
 * @param streams    stream ids masters use on it, ascending
 * @param origin     the bundle whose code drives it ({@code "io.iommulab.dart 0.2.0.SNAPSHOT"}), or null
 */
public record IommuNodeDTO(String node, List<String> compatible, String driver, String state, String reason,
        List<Integer> streams, String origin) {

    /** Without an origin (a driver not registered by a bundle). */
    public IommuNodeDTO(String node, List<String> compatible, String driver, String state, String reason,
            List<Integer> streams) {
        this(node, compatible, driver, state, reason, streams, null);
    }

    /** @return {@link #state} as the enum to compare with */
    public ProbeState probeState() {
        return ProbeState.of(state);
    }
}
