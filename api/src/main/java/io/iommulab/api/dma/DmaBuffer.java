package io.iommulab.api.dma;

/**
 * A coherent DMA buffer ({@link DmaDevice#allocCoherent}): what dma_alloc_coherent returns, the CPU's
 * address (here the physical address of the pages) and the DMA handle.
 *
 * @param paddr      physical address of the buffer's pages
 * @param dmaAddress the DMA address the device uses
 * @param size       bytes asked for
 * @since 1.1
 */
public record DmaBuffer(long paddr, long dmaAddress, long size) {
}
