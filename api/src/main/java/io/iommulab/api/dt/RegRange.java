package io.iommulab.api.dt;

/**
 * One entry of a {@code reg} property, decoded with the parent's {@code #address-cells} and
 * {@code #size-cells} and translated through the parents' {@code ranges} to a CPU physical address.
 *
 * @param address CPU physical address of the region
 * @param size    length in bytes (0 when {@code #size-cells} is 0)
 */
public record RegRange(long address, long size) {
}
