package io.iommulab.api.hw;

/** Direction of a DMA transaction as seen by the IOMMU. */
public enum Access {
    READ, WRITE
}
