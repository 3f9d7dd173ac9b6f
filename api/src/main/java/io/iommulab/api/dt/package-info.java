/** Device tree node/property model shared by the machine and software (as Linux's of_* view of the flattened tree). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.api.dt;
