/**
 * Kernel library helpers shared by the drivers (Linux's {@code lib/ratelimit.c},
 * {@code include/linux/bitfield.h}, {@code include/linux/bitmap.h} and {@code find.h}): small,
 * stateless or self-contained, no service. 1.1: {@link io.iommulab.klib.Bitmap} (stream bitmaps and
 * for_each_set_bit) and {@link io.iommulab.klib.RateLimit#ratelimit} (__ratelimit with the
 * "callbacks suppressed" report).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.klib;
