package io.iommulab.api;

import org.osgi.annotation.versioning.ProviderType;

/** IOMMU_* protection flags for map. */
@ProviderType
public interface Prot {
    int READ = 1;
    int WRITE = 1 << 1;
    int CACHE = 1 << 2;
    int NOEXEC = 1 << 3;
    int MMIO = 1 << 4;
    int PRIV = 1 << 5;
}
