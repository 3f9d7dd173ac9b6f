/**
 * IOMMU driver SPI (= struct iommu_ops, iommu_domain_ops, iommu_device) implemented by backend
 * bundles and called by the core. 1.4 added {@link io.iommulab.api.driver.PlatformDevice#restoredFrom}
 * with {@link io.iommulab.api.driver.TakeoverSource} (a live update's new code says whether it used
 * the record or read the hardware) and {@link io.iommulab.api.driver.PlatformDevice#codeLeft} (the
 * page-table code under a driver's domains left in a bundle update: the core holds back the calls
 * that need it); 1.5 {@link io.iommulab.api.driver.IommuDriver#abandon} (a takeover given up: the
 * new code forgets what it restored without writing the hardware, so that the takeover can be
 * tried again), the fail-nth points drivers ask through {@code PlatformDevice.shouldFail}, and
 * {@link io.iommulab.api.driver.IommuDriver#restoreDomain(DomainHandover, java.util.List)}: the
 * instances a domain is taken over with, so a driver serving several machines finds its home.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.iommulab.api.driver;
