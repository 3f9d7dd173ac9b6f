package io.iommulab.api.dma;

/**
 * One scatterlist element before mapping.
 *
 * @param paddr physical address of the buffer piece
 * @param length bytes
 */
public record SgEntry(long paddr, long length) {
}
