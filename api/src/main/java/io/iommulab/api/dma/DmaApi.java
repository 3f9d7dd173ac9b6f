package io.iommulab.api.dma;

import org.osgi.annotation.versioning.ProviderType;

/** The DMA API. Strict invalidation by default; lazy (flush queue) on DMA_FQ domains. */
@ProviderType
public interface DmaApi {

    /**
     * @param device DT path or unique name of a probed master
     * @throws io.iommulab.api.error.IommuException ENODEV if the device is unknown or not probed
     */
    DmaDevice device(String device);

    /**
     * @return what the DMA API has mapped for every device and not undone, by device then DMA address
     *         (Linux's dma-debug entries)
     * @since 1.1
     */
    java.util.List<io.iommulab.api.dto.DmaMappingDTO> mappings();
}
