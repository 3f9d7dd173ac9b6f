package io.iommulab.machine.dt;

/**
 * One entry of the flattened tree's memory reservation block (or a DTS {@code /memreserve/}).
 *
 * @param address first reserved physical address
 * @param size    length in bytes
 */
public record MemReserve(long address, long size) {
}
