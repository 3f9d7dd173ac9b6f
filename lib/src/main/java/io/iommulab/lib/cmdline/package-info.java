/**
 * How numbers are written wherever a person types them: shell arguments ({@code machine:}, {@code iommu:}),
 * workload files, configuration values. One reader, {@link io.iommulab.lib.cmdline.Memparse}, after
 * Linux's {@code lib/cmdline.c}, so {@code 16K} means the same in every command and file; one for yes/no
 * options, {@link io.iommulab.lib.cmdline.Kstrtobool} ({@code lib/kstrtox.c}); how the shells print a table,
 * {@link io.iommulab.lib.cmdline.TextTable}; how a shell command explains itself (its usage, from its Gogo
 * descriptions), {@link io.iommulab.lib.cmdline.CommandUsage}. Here, not in a software bundle, because the
 * machine (hardware) reads numbers too and may import nothing from one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.lib.cmdline;
