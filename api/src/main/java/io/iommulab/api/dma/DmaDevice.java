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

    /**
     * dma_unmap_page.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL, as Linux's dma-debug words it, when {@code dmaAddress} was
     *         not mapped for this device by {@link #mapPage}, or with another size or direction; nothing changes then
     */
    void unmapPage(long dmaAddress, long size, DmaDirection dir);

    /** dma_map_sg: one IOVA range for the whole list (iommu_dma_map_sg); @return the mapped segments */
    List<DmaSegment> mapSg(List<SgEntry> sg, DmaDirection dir);

    /**
     * dma_unmap_sg of the segments {@link #mapSg} returned.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL, as Linux's dma-debug words it, when they are not the
     *         segments of one of this device's scatterlists, or the direction differs; nothing changes then
     */
    void unmapSg(List<DmaSegment> segments, DmaDirection dir);

    /** Drains the flush queue now (lazy mode); a no-op in strict mode. */
    void flush();

    /**
     * dma_alloc_coherent (iommu_dma_alloc with DMA_ATTR_FORCE_CONTIGUOUS): zeroed contiguous pages from
     * the machine's page allocator, owned by {@code "dma_alloc_coherent:" + name()}, mapped
     * read-write for the device; the size is rounded up to whole CPU pages and domain granules.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL for a size of 0 or less, or a domain the DMA API cannot
     *         use; ENOMEM when no block of that size is free or the IOVA space is full
     * @since 1.1
     */
    DmaBuffer allocCoherent(long size);

    /**
     * dma_free_coherent: unmaps the buffer and returns its pages.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL, as Linux's dma-debug words it, when the buffer is not one
     *         {@link #allocCoherent} gave this device (address, size or CPU address differ); nothing changes then
     * @since 1.1
     */
    void freeCoherent(DmaBuffer buffer);

    /**
     * @return what the DMA API has mapped for this device and not undone, in DMA-address order (the
     *         entries of Linux's dma-debug)
     * @since 1.1
     */
    List<io.iommulab.api.dto.DmaMappingDTO> mappings();

    /**
     * @return the IOVA allocator of the DMA domain the device is attached to now: its ranges, holes,
     *         caches and flush queue
     * @throws io.iommulab.api.error.IommuException EINVAL when the device is not on a DMA domain (identity maps
     *         1:1, without an allocator)
     * @since 1.1
     */
    io.iommulab.api.dto.IovaDomainDTO iovaDomain();
}
