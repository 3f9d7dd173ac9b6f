/**
 * IOMMU core API for users and workloads (= iommu.h consumer side): domains, groups, faults, trace.
 * 1.2 added {@link io.iommulab.api.IommuService#waitingCalls} (calls waiting for a live update).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.iommulab.api;
