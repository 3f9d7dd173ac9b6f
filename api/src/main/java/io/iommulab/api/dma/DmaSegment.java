package io.iommulab.api.dma;

/**
 * One mapped DMA segment (sg_dma_address / sg_dma_len).
 *
 * @param dmaAddress the IOVA the device uses
 * @param length     bytes
 */
public record DmaSegment(long dmaAddress, long length) {
}
