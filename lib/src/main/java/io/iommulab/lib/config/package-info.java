/**
 * How a component's settings ({@link io.iommulab.api.config.Setting}) find their values: the configuration's,
 * else the framework property {@code PID.KEY}, else the default ({@link io.iommulab.lib.config.Settings}),
 * each with its source ({@link io.iommulab.lib.config.Values}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.lib.config;
