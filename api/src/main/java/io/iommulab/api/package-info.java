/** IOMMU core API for users and workloads (= iommu.h consumer side): domains, groups, faults, trace. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.api;
