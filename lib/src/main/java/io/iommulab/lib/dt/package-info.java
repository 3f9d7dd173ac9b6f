/** How device-tree nodes are named to people ({@link io.iommulab.lib.dt.NodeNames}), on trees whose node names repeat across dies. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.lib.dt;
