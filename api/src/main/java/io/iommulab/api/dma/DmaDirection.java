package io.iommulab.api.dma;

/** enum dma_data_direction */
public enum DmaDirection {
    BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE;

    /** @return IOMMU protection for this direction, as dma_info_to_prot() */
    public int prot() {
        switch (this) {
            case TO_DEVICE: return io.iommulab.api.Prot.READ;
            case FROM_DEVICE: return io.iommulab.api.Prot.WRITE;
            default: return io.iommulab.api.Prot.READ | io.iommulab.api.Prot.WRITE;
        }
    }
}
