package io.iommulab.api;

/** IOMMU_DOMAIN_* types. */
public enum DomainType {
    /** all DMA blocked */
    BLOCKED,
    /** DMA addresses are physical addresses (hardware bypass) */
    IDENTITY,
    /** a paging domain managed by its user (iommu_map/iommu_unmap) */
    UNMANAGED,
    /** a paging domain used by the DMA API, strict invalidation */
    DMA,
    /** a paging domain used by the DMA API with a flush queue (lazy invalidation) */
    DMA_FQ;

    /** @return true for types backed by page tables */
    public boolean isPaging() {
        return this == UNMANAGED || this == DMA || this == DMA_FQ;
    }

    /** @return true for the types the DMA API manages */
    public boolean isDma() {
        return this == DMA || this == DMA_FQ;
    }

    /** Parses a type name as the shell accepts it: {@code dma}, {@code dma-fq}, {@code identity}, ... */
    public static DomainType parse(String s) {
        String n = s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (DomainType t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        throw new io.iommulab.api.error.IommuException(io.iommulab.api.error.Errno.EINVAL,
                "domain type '" + s + "' is not one of blocked, identity, unmanaged, dma, dma-fq");
    }
}
