package io.iommulab.api.dto;

/**
 * A RAM region of the board ({@code machine:ram}), from a {@code memory} node, and the part of it the
 * page allocator hands to software (the upper half; the lower half is left to buffers placed by
 * physical address).
 *
 * @param base           first physical address
 * @param size           bytes
 * @param allocatorBase  first address the page allocator manages in it
 * @param allocatorSize  bytes it manages there (0 if none)
 * @param pagesInUse     its pages allocated now
 */
public record RamRegionDTO(long base, long size, long allocatorBase, long allocatorSize, long pagesInUse) {
}
