package io.iommulab.api.dto;

/**
 * A piece of a DMA mapping: a physical buffer piece (an sg entry before mapping) or a segment the
 * device is given (sg_dma_address / sg_dma_len).
 *
 * @param address first byte
 * @param length  bytes
 */
public record DmaRangeDTO(long address, long length) {
}
