package io.iommulab.bench;

import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.machine.memory.PageAllocatorImpl;
import io.iommulab.machine.memory.SparseMemory;
import io.iommulab.pgtable.osgi.AppleDart2FormatComponent;
import io.iommulab.pgtable.osgi.AppleDartFormatComponent;
import io.iommulab.pgtable.osgi.ArmLpaeS1FormatComponent;
import java.util.List;

/**
 * One page table of a format over the machine's real memory and page allocator, configured as the
 * issue's performance section asks, and the input generation the C baseline uses (splitmix64).
 */
final class Tables {

    /** RAM for the tables: 1 GiB at 32 GiB, as the testkit board (far more than the 8 MiB the biggest table needs). */
    static final RamRegion RAM = new RamRegion(0x8_0000_0000L, 1L << 30);
    /** IOVA space of (a)-(c): 4 GiB for every format, the whole space of DART1 with IAS 32. */
    static final long REGION = 1L << 32;
    /** Pages the population benchmark (d) maps: all of DART1's 16 KiB / 32-bit space. */
    static final int POPULATE_PAGES = 262_144;
    /** Physical addresses of the mappings are random below 2^36, as in the C baseline (within every format's OAS). */
    static final int PA_BITS = 36;

    final String format;
    final SparseMemory memory;
    final PageAllocatorImpl pages;
    final PageTableFormat impl;
    final PageTableConfig config;
    final PageTableContext context;
    /** page size mapped: the granule */
    final long granule;
    final int pageShift;

    Tables(String format) {
        this.format = format;
        this.memory = new SparseMemory(List.of(RAM));
        this.pages = new PageAllocatorImpl(memory, List.of(RAM));
        this.context = new PageTableContext(memory, pages, "bench:" + format, TlbFlushOps.NONE);
        switch (format) {
            case PageTableFormat.APPLE_DART -> {
                impl = new AppleDartFormatComponent();
                config = PageTableConfig.of(1L << 14, 32, 36);
            }
            case PageTableFormat.APPLE_DART2 -> {
                impl = new AppleDart2FormatComponent();
                config = PageTableConfig.of(1L << 14, 36, 42);
            }
            case PageTableFormat.ARM_LPAE_S1 -> {
                impl = new ArmLpaeS1FormatComponent();
                // 4 KiB granule with its 2 MiB / 1 GiB blocks; the benchmarks map 4 KiB pages only.
                config = PageTableConfig.of((1L << 12) | (1L << 21) | (1L << 30), 48, 48);
            }
            default -> throw new IllegalArgumentException("unknown format " + format);
        }
        this.granule = Long.lowestOneBit(config.pgsizeBitmap());
        this.pageShift = Long.numberOfTrailingZeros(granule);
    }

    PageTableOps alloc() {
        PageTableOps ops = impl.alloc(config, context);
        if (!format.equals(ops.state().format())) {
            throw new IllegalStateException("asked for " + format + ", got a table of " + ops.state().format());
        }
        return ops;
    }

    /** Pages of {@link #REGION}. */
    long regionPages() {
        return REGION >>> pageShift;
    }

    /** Bytes one leaf table spans: a granule of 8-byte entries, each mapping a granule. */
    long leafSpan() {
        return granule * (granule / 8);
    }

    /** Allocates every leaf table of [0, size) by mapping and unmapping one page in each, as the C baseline's warm-up. */
    void preallocateLeaves(PageTableOps ops, long size) {
        for (long iova = 0; iova < size; iova += leafSpan()) {
            mapRun(ops, iova, 0, granule, io.iommulab.api.Prot.READ);
            if (unmapRun(ops, iova, granule) != granule) {
                throw new IllegalStateException(format + ": warm-up unmap at IOVA 0x" + Long.toHexString(iova) + " failed");
            }
        }
    }

    /** Maps [iova, iova+len) → paddr, continuing after short counts as the IOMMU core does. */
    void mapRun(PageTableOps ops, long iova, long paddr, long len, int prot) {
        long g = granule;
        long done = 0;
        while (done < len) {
            long n = ops.mapPages(iova + done, paddr + done, g, (len - done) >>> pageShift, prot);
            if (n <= 0) {
                throw new IllegalStateException(format + ": mapPages at IOVA 0x" + Long.toHexString(iova + done) + " mapped nothing");
            }
            done += n;
        }
    }

    /** Unmaps [iova, iova+len), continuing after short counts; stops at a hole. @return bytes unmapped */
    long unmapRun(PageTableOps ops, long iova, long len) {
        long done = 0;
        while (done < len) {
            long n = ops.unmapPages(iova + done, granule, (len - done) >>> pageShift, null);
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** Maps every page of [0, size) identically (PA = IOVA), one call per leaf table. */
    void populateIdentity(PageTableOps ops, long size, int prot) {
        mapRun(ops, 0, 0, size, prot);
    }

    // ---- inputs, generated as the C baseline does ----

    /** splitmix64, same constants and seed as dartpt.c */
    static final class SplitMix {
        private long state = 0x9E3779B97F4A7C15L;

        long next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** @return uniform in [0, bound) (the C code's rnd() % bound) */
        long below(long bound) {
            return Long.remainderUnsigned(next(), bound);
        }
    }

    /** {@code n} random granule-aligned IOVAs in [0, REGION). */
    long[] randomIovas(SplitMix rnd, int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.below(regionPages()) << pageShift;
        }
        return a;
    }

    /** {@code n} random granule-aligned physical addresses below 2^{@link #PA_BITS}. */
    long[] randomPas(SplitMix rnd, int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.below(1L << (PA_BITS - pageShift)) << pageShift;
        }
        return a;
    }

    /** A random permutation of 0..n-1 (Fisher-Yates, as the C shuffle). */
    static long[] permutation(SplitMix rnd, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int) rnd.below(i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
