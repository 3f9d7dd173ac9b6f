/**
 * Kernel library helpers shared by the drivers, so that no driver writes them again: Linux's
 * {@code lib/ratelimit.c} ({@link io.iommulab.klib.RateLimit}), {@code include/linux/bitfield.h}
 * ({@link io.iommulab.klib.Bits}), {@code bitmap.h}/{@code find.h} ({@link io.iommulab.klib.Bitmap}),
 * the io-pgtable registry as drivers call it ({@link io.iommulab.klib.IoPgtable}) and the
 * page-table half of a paging domain ({@link io.iommulab.klib.PgtableDomain}, as generic_pt's
 * IOMMU_PT_DOMAIN_OPS). Small, self-contained, no service. 1.1 added Bitmap, IoPgtable,
 * PgtableDomain and {@link io.iommulab.klib.RateLimit#ratelimit}; 1.2 added
 * {@link io.iommulab.klib.IoPgtable#attach} and {@link io.iommulab.klib.PgtableDomain#reattach}
 * (a live table moved to the new version of its format); 1.3 added
 * {@link io.iommulab.klib.FaultInject} (a driver's side of {@code should_fail()}: an injected
 * fault asked once per occurrence and logged); 1.4 added {@link io.iommulab.klib.PgtableFormats}
 * (a driver's bound formats and the move of its live tables to a new version of them, shared by
 * the drivers), {@link io.iommulab.klib.PgtableDomain#reopen} and
 * {@link io.iommulab.klib.PgtableDomain#switchTo} (the move in two steps, so that only the switch
 * runs with the domain quiesced) with {@link io.iommulab.klib.PgtableDomain#format} and the
 * install, reopen and reattach that remember the format and context; 1.5 added
 * {@link io.iommulab.klib.FaultInject#kzalloc} (failslab for a driver's own allocations, a point of
 * the machine's fail-nth); 1.6 added {@link io.iommulab.klib.RateLimit.Limits} with
 * {@link io.iommulab.klib.RateLimit#limits} and {@link io.iommulab.klib.RateLimit#setLimits} (the limits
 * every call site follows, set at run time as the printk ratelimit sysctls).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.6.0")
package io.iommulab.klib;
