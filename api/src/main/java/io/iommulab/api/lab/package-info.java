/**
 * Labs: private IOMMU cores over detached machines, for tools that run one workload on several
 * backends side by side without touching the registered machine and core.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.api.lab;
