package io.iommulab.core.impl.dma;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.core.impl.IommuCore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/** The DMA API service over this bundle's IOMMU core; a thin wrapper of {@link DmaApiImpl}. */
@Component(service = DmaApi.class)
public final class DmaApiComponent implements DmaApi {

    private final DmaApiImpl impl;

    @Activate
    public DmaApiComponent(@Reference(target = "(component.name=io.iommulab.core.impl.IommuCore)") IommuService core) {
        // same bundle, so the service object is our own class: the engine is reached directly
        this.impl = new DmaApiImpl(((IommuCore) core).engine());
    }

    @Deactivate
    void deactivate() {
        impl.close();
    }

    @Override
    public DmaDevice device(String device) {
        return impl.device(device);
    }

    @Override
    public java.util.List<io.iommulab.api.dto.DmaMappingDTO> mappings() {
        return impl.mappings();
    }
}
