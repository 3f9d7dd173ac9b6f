package io.iommulab.api.dto;

import java.util.List;

/**
 * One mapping the DMA API made for a device and has not undone, as Linux's dma-debug records it
 * ({@code dma:map}, {@code dma:mapsg}, {@code dma:alloc}, {@code dma:mappings}).
 *
 * @param device     DT path of the device
 * @param domain     the domain it was mapped in
 * @param type       {@code single} (dma_map_page / dma_map_single), {@code scatter-gather} (dma_map_sg) or
 *                   {@code coherent} (dma_alloc_coherent), dma-debug's names
 * @param direction  {@code to-device}, {@code from-device} or {@code bidirectional}
 * @param dmaAddress the DMA address the device was given (scatter-gather: the first segment's)
 * @param size       bytes asked for (scatter-gather: the sum of the entries' lengths)
 * @param iova       first IOVA of the range it holds, granule-aligned (identity domain: the DMA address)
 * @param iovaSize   bytes of IOVA space it holds, whole granules (0 on an identity domain)
 * @param entries    the physical pieces: one for single and coherent, the scatterlist for scatter-gather
 * @param segments   what the device uses: one for single and coherent, the scatterlist's DMA segments after
 *                   merging for scatter-gather
 */
public record DmaMappingDTO(String device, int domain, String type, String direction, long dmaAddress, long size,
        long iova, long iovaSize, List<DmaRangeDTO> entries, List<DmaRangeDTO> segments) {
}
