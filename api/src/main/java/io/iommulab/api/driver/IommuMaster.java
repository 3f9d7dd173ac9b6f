package io.iommulab.api.driver;

import io.iommulab.api.dt.DtNode;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A DMA master as the driver sees it (= struct device with its iommu fwspec and
 * dev_iommu_priv). Owned by the core.
 */
@ProviderType
public interface IommuMaster {

    /** @return device name, the DT path */
    String name();

    DtNode node();

    /** @return PCI requester id, or -1 for a platform device */
    int requesterId();

    default boolean isPci() {
        return requesterId() >= 0;
    }

    /** @return the master's IOMMU specifiers, in DT order */
    List<FwspecEntry> fwspec();

    /** dev_iommu_priv_get */
    Object priv();

    /** dev_iommu_priv_set */
    void setPriv(Object priv);
}
