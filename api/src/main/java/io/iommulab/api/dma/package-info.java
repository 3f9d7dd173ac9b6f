/** DMA API for masters on DMA domains (= dma-iommu.c). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.api.dma;
