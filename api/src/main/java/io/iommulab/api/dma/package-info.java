/**
 * DMA API for masters on DMA domains (= dma-iommu.c). 1.1 added coherent buffers
 * ({@link io.iommulab.api.dma.DmaDevice#allocCoherent}), what is mapped (dma-debug's entries,
 * {@link io.iommulab.api.dma.DmaApi#mappings}) and the IOVA allocator's state
 * ({@link io.iommulab.api.dma.DmaDevice#iovaDomain}); unmapping what was not mapped, or with another size or
 * direction, is refused.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.api.dma;
