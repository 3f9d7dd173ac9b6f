package io.iommulab.api.lab;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.machine.DetachedMachine;
import org.osgi.annotation.versioning.ProviderType;

/** A private IOMMU core over a detached machine (see {@link LabFactory}). */
@ProviderType
public interface Lab extends AutoCloseable {
    /** @return the machine the lab runs on */
    DetachedMachine machine();

    /** @return the lab's IOMMU core */
    IommuService iommu();

    /** @return the DMA API over the lab's core */
    DmaApi dma();

    /** Releases every master and IOMMU instance (drivers' remove), then closes the machine. Idempotent. */
    @Override
    void close();
}
