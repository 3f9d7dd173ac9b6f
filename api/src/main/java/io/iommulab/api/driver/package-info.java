/** IOMMU driver SPI (= struct iommu_ops, iommu_domain_ops, iommu_device) implemented by backend bundles and called by the core. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.iommulab.api.driver;
