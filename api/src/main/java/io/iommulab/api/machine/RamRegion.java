package io.iommulab.api.machine;

/**
 * A RAM region of the board, from the device tree's {@code memory} nodes.
 *
 * @param base first physical address
 * @param size length in bytes
 */
public record RamRegion(long base, long size) {
    public long end() { return base + size; }
}
