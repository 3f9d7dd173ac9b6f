/**
 * IOMMU core API for users and workloads (= iommu.h consumer side): domains, groups, faults, trace.
 * 1.2 added {@link io.iommulab.api.IommuService#waitingCalls} (calls waiting for a live update); 1.3
 * {@link io.iommulab.api.IommuService#iommuPages} (the drivers' page tables, by domain).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.iommulab.api;
