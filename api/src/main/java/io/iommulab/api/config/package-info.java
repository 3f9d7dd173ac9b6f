/**
 * Settings of components configured the OSGi way: a value comes from the component's Config Admin
 * configuration (a {@code PID.cfg} file in the deploy folder, {@code iommu:config}), else from the
 * framework property {@code PID.KEY} (a {@code -D} option; a PID may name another prefix), else from its default
 * ({@code io.iommulab.lib.config.Settings}); a component whose settings can be listed and changed
 * at run time registers {@link io.iommulab.api.config.Configurable}. Metatype
 * ({@code @ObjectClassDefinition}) describes the same keys for tools.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.api.config;
