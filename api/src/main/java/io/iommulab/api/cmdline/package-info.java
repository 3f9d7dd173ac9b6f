/**
 * How numbers are written wherever a person types them: shell arguments ({@code machine:}, {@code iommu:}),
 * workload files, configuration values. One reader, {@link io.iommulab.api.cmdline.Memparse}, after
 * Linux's {@code lib/cmdline.c}, so {@code 16K} means the same in every command and file; since 1.1
 * also one for yes/no options, {@link io.iommulab.api.cmdline.Kstrtobool} ({@code lib/kstrtox.c}). It lives in
 * the API because the machine (hardware) and the software bundles both use it, and the machine must
 * import nothing from a software bundle. 1.2 added how the shells print a table, {@link io.iommulab.api.cmdline.TextTable};
 * 1.3 how a shell command explains itself (its usage, from its Gogo descriptions), {@link io.iommulab.api.cmdline.CommandUsage}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.iommulab.api.cmdline;
