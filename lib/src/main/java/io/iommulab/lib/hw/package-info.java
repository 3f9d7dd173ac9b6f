/** What hardware models share: the architecture-neutral part of the check of an IOTLB hit ({@link io.iommulab.lib.hw.IotlbHitCheck}). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.lib.hw;
