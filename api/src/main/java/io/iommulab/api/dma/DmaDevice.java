package io.iommulab.api.dma;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The DMA API bound to one device (as the dma_map_ops of a device behind a DMA domain). On an
 * identity domain the DMA address is the physical address.
 */
@ProviderType
public interface DmaDevice {

    /** @return device name (DT path) */
    String name();

    /** dma_map_page / dma_map_single: @return the DMA address of {@code paddr} */
    long mapPage(long paddr, long size, DmaDirection dir);

    /** dma_unmap_page */
    void unmapPage(long dmaAddress, long size, DmaDirection dir);

    /** dma_map_sg: one IOVA range for the whole list (iommu_dma_map_sg); @return the mapped segments */
    List<DmaSegment> mapSg(List<SgEntry> sg, DmaDirection dir);

    /** dma_unmap_sg */
    void unmapSg(List<DmaSegment> segments, DmaDirection dir);

    /** Drains the flush queue now (lazy mode); a no-op in strict mode. */
    void flush();
}
