/**
 * Kernel library helpers shared by the drivers (Linux's {@code lib/ratelimit.c},
 * {@code include/linux/bitfield.h}): small, stateless or self-contained, no service.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.klib;
