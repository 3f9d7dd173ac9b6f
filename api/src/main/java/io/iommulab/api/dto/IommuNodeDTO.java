package io.iommulab.api.dto;

import java.util.List;

/**
 * One IOMMU node of the board.
 *
 * @param node       DT path
 * @param compatible the node's compatible strings
 * @param driver     bound driver name, or null
 * @param state      {@code probed}, {@code deferred}, {@code failed} or {@code disabled}
 * @param reason     why it is not probed (null when probed)
 * @param streams    stream ids masters use on it, ascending
 */
public record IommuNodeDTO(String node, List<String> compatible, String driver, String state, String reason,
        List<Integer> streams) {
}
