package io.iommulab.core.impl.iova;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * iova.c: an IOVA space in granule units (pfns), allocated top-down with size alignment, kept in
 * an ordered map (the rbtree), with per-size caches of recently freed ranges (the rcaches) so that
 * repeated alloc/free of one size does not touch the tree.
 *
 * <p>Like Linux, a cached range stays in the tree: it cannot be handed out twice.
 */
public final class IovaAllocator {

    /** IOVA_RANGE_CACHE_MAX_SIZE: sizes of 1..32 granules (orders 0..5) are cached */
    public static final int RANGE_CACHE_MAX_SIZE = 6;
    /** cached ranges per order (Linux: per-CPU magazines of 127 plus a depot) */
    static final int RCACHE_DEPTH = 256;

    private final long granule;
    private final int shift;
    private final long startPfn;
    private final long endPfn;
    /** allocated ranges: first pfn -> last pfn (inclusive) */
    private final TreeMap<Long, Long> tree = new TreeMap<>();
    /** first pfns of the ranges in {@link #tree} that are reservations, not allocations */
    private final java.util.Set<Long> reserved = new java.util.HashSet<>();
    /** where the last top-down search ended (Linux's cached_node): searches start below it */
    private long cachedHigh;
    private final Rcache[] rcaches = new Rcache[RANGE_CACHE_MAX_SIZE];
    private long allocatedPfns;

    /**
     * init_iova_domain
     *
     * @param granule  smallest unit in bytes (a power of two)
     * @param startPfn lowest allocatable pfn (at least 1: pfn 0 is never handed out)
     * @param endPfn   highest allocatable pfn, inclusive
     */
    public IovaAllocator(long granule, long startPfn, long endPfn) {
        if (granule <= 0 || Long.bitCount(granule) != 1) {
            throw new IommuException(Errno.EINVAL, "IOVA granule 0x" + Long.toHexString(granule) + " is not a power of two");
        }
        if (startPfn < 1 || endPfn < startPfn) {
            throw new IommuException(Errno.EINVAL, "IOVA range pfn 0x" + Long.toHexString(startPfn) + "-0x"
                    + Long.toHexString(endPfn) + " is empty");
        }
        this.granule = granule;
        this.shift = Long.numberOfTrailingZeros(granule);
        this.startPfn = startPfn;
        this.endPfn = endPfn;
        this.cachedHigh = endPfn;
        for (int i = 0; i < rcaches.length; i++) {
            rcaches[i] = new Rcache(RCACHE_DEPTH);
        }
    }

    /** An allocator for the byte range [start, end] (end inclusive), granule-aligned inward. */
    public static IovaAllocator forRange(long granule, long start, long end) {
        long shift = Long.numberOfTrailingZeros(granule);
        long first = Math.max(1, (start + granule - 1) >>> shift);
        long last = ((end + 1) >>> shift) - 1;
        if (end == -1L) {
            last = (-1L >>> shift);
        }
        return new IovaAllocator(granule, first, last);
    }

    public long granule() {
        return granule;
    }

    public int shift() {
        return shift;
    }

    public long startPfn() {
        return startPfn;
    }

    public long endPfn() {
        return endPfn;
    }

    /** Rounding of cacheable sizes so a freed range fits its rcache again (alloc_iova_fast). */
    public static long roundSize(long pages) {
        if (pages < (1L << (RANGE_CACHE_MAX_SIZE - 1))) {
            return Long.highestOneBit(pages) == pages ? pages : Long.highestOneBit(pages) << 1;
        }
        return pages;
    }

    /**
     * alloc_iova_fast: {@code pages} granules at or below {@code limitPfn}, from the rcache when
     * one of this size is cached, else top-down from the tree; on exhaustion the caches are
     * flushed and the tree tried once more.
     *
     * @return first pfn
     * @throws IommuException ENOMEM when no free range fits
     */
    public long allocFast(long pages, long limitPfn) {
        return allocFast(pages, limitPfn, true);
    }

    /**
     * alloc_iova_fast with its flush_rcache flag: false returns 0 instead of flushing the caches
     * and failing (the first, below-4-GiB attempt of iommu_dma_alloc_iova).
     */
    public long allocFast(long pages, long limitPfn, boolean flushRcache) {
        if (pages <= 0) {
            throw new IommuException(Errno.EINVAL, "IOVA allocation of " + pages + " pages");
        }
        long size = roundSize(pages);
        int order = order(size);
        if (order < RANGE_CACHE_MAX_SIZE) {
            long pfn = rcaches[order].pop(Math.min(limitPfn, endPfn) - size + 1);
            if (pfn != 0) {
                return pfn;
            }
        }
        long pfn = allocTree(size, limitPfn, true);
        if (pfn == 0) {
            if (!flushRcache) {
                return 0;
            }
            flushRcaches();
            pfn = allocTree(size, limitPfn, true);
        }
        if (pfn == 0) {
            throw new IommuException(Errno.ENOMEM, "IOVA space exhausted: no free 0x" + Long.toHexString(size << shift)
                    + " bytes at or below 0x" + Long.toHexString(((Math.min(limitPfn, endPfn) + 1) << shift) - 1));
        }
        return pfn;
    }

    /** alloc_iova (no rcache): @return first pfn or 0 when nothing fits */
    public long alloc(long pages, long limitPfn, boolean sizeAligned) {
        return allocTree(pages, limitPfn, sizeAligned);
    }

    /** free_iova_fast: back into the rcache of its size when there is room, else into the tree. */
    public void freeFast(long pfn, long pages) {
        long size = roundSize(pages);
        int order = order(size);
        if (order < RANGE_CACHE_MAX_SIZE && size == (1L << order) && rcaches[order].push(pfn)) {
            return;
        }
        free(pfn);
    }

    /**
     * reserve_iova: takes [loPfn, hiPfn] (clipped to the domain) out of allocation for good, merging
     * with reservations it touches. Reserved ranges are not counted as allocated and cannot be freed.
     */
    public synchronized void reserve(long loPfn, long hiPfn) {
        long lo = Math.max(loPfn, startPfn);
        long hi = Math.min(hiPfn, endPfn);
        if (lo > hi) {
            return;
        }
        Map.Entry<Long, Long> e = tree.floorEntry(hi);
        // ranges ending at or above lo - 1: reservations merge (touching included), allocations must not overlap
        while (e != null && e.getValue() >= lo - 1) {
            if (!reserved.contains(e.getKey())) {
                if (e.getValue() >= lo) {
                    throw new IommuException(Errno.EBUSY, String.format(
                            "IOVA pfn 0x%x-0x%x to reserve overlaps an allocation at pfn 0x%x", lo, hi, e.getKey()));
                }
                break; // an allocation just below: everything further down ends below lo
            }
            lo = Math.min(lo, e.getKey());
            hi = Math.max(hi, e.getValue());
            tree.remove(e.getKey());
            reserved.remove(e.getKey());
            e = tree.floorEntry(hi);
        }
        tree.put(lo, hi);
        reserved.add(lo);
    }

    /** free_iova: removes the range that starts at {@code pfn}. */
    public synchronized void free(long pfn) {
        if (reserved.contains(pfn)) {
            throw new IommuException(Errno.EINVAL, "IOVA 0x" + Long.toHexString(pfn << shift) + " is reserved");
        }
        Long last = tree.remove(pfn);
        if (last == null) {
            throw new IommuException(Errno.EINVAL, "IOVA 0x" + Long.toHexString(pfn << shift) + " is not allocated");
        }
        allocatedPfns -= last - pfn + 1;
        // __cached_rbnode_delete_update: space freed above the search start becomes visible again
        if (last > cachedHigh) {
            cachedHigh = last;
        }
    }

    /** @return [first, last] pfn of the allocated range containing {@code pfn}, or null (find_iova) */
    public synchronized long[] find(long pfn) {
        Map.Entry<Long, Long> e = tree.floorEntry(pfn);
        return e != null && e.getValue() >= pfn ? new long[] {e.getKey(), e.getValue()} : null;
    }

    /** One allocated range. */
    @FunctionalInterface
    public interface RangeVisitor {
        void range(long firstPfn, long pages);
    }

    /**
     * Visits every allocated range, reservations and ranges parked in the rcaches excluded (a copy
     * taken under the lock; the visitor runs outside it).
     */
    public void forEachAllocated(RangeVisitor visitor) {
        List<long[]> ranges = new ArrayList<>();
        java.util.Set<Long> parked = new java.util.HashSet<>();
        for (Rcache r : rcaches) {
            for (long pfn : r.snapshot()) {
                parked.add(pfn);
            }
        }
        synchronized (this) {
            for (Map.Entry<Long, Long> e : tree.entrySet()) {
                if (!reserved.contains(e.getKey()) && !parked.contains(e.getKey())) {
                    ranges.add(new long[] {e.getKey(), e.getValue() - e.getKey() + 1});
                }
            }
        }
        for (long[] r : ranges) {
            visitor.range(r[0], r[1]);
        }
    }

    /**
     * One range of the tree.
     *
     * @param firstPfn its first pfn
     * @param pages    its length in granules
     * @param reserved a reservation ({@link #reserve}), never handed out
     * @param cached   freed into an rcache, not yet handed out again
     */
    public record Range(long firstPfn, long pages, boolean reserved, boolean cached) {
    }

    /**
     * @return every range of the tree in address order, a consistent copy (the rcaches are read under
     *         the tree's lock: nothing takes the two the other way round)
     */
    public synchronized List<Range> ranges() {
        java.util.Set<Long> parked = new java.util.HashSet<>();
        for (Rcache r : rcaches) {
            for (long pfn : r.snapshot()) {
                parked.add(pfn);
            }
        }
        List<Range> out = new ArrayList<>(tree.size());
        for (Map.Entry<Long, Long> e : tree.entrySet()) {
            out.add(new Range(e.getKey(), e.getValue() - e.getKey() + 1, reserved.contains(e.getKey()),
                    parked.contains(e.getKey())));
        }
        return out;
    }

    /** @return ranges each rcache holds now, order 0 (one granule) first */
    public int[] rcacheCounts() {
        int[] out = new int[rcaches.length];
        for (int i = 0; i < rcaches.length; i++) {
            out[i] = rcaches[i].size();
        }
        return out;
    }

    /** @return ranges one rcache can hold */
    public static int rcacheDepth() {
        return RCACHE_DEPTH;
    }

    /** @return pfns held (including ranges parked in the rcaches) */
    public synchronized long allocatedPfns() {
        return allocatedPfns;
    }

    /** @return ranges held (including ranges parked in the rcaches), reservations not counted */
    public synchronized int allocatedRanges() {
        return tree.size() - reserved.size();
    }

    /** @return ranges parked in the rcaches */
    public int cachedRanges() {
        int n = 0;
        for (Rcache r : rcaches) {
            n += r.size();
        }
        return n;
    }

    /** free_cpu_cached_iovas + free_global_cached_iovas: return every cached range to the tree. */
    public void flushRcaches() {
        for (Rcache r : rcaches) {
            long[] pfns = r.drain();
            for (long p : pfns) {
                free(p);
            }
        }
    }

    private synchronized long allocTree(long size, long limitPfn, boolean sizeAligned) {
        long limit = Math.min(limitPfn, endPfn);
        if (limit < startPfn || size > limit - startPfn + 1) {
            return 0;
        }
        long alignMask = sizeAligned ? ~(Long.highestOneBit(size) == size ? size - 1 : (Long.highestOneBit(size) << 1) - 1) : -1L;
        long pfn = 0;
        if (cachedHigh < limit) {
            pfn = searchDown(size, cachedHigh, alignMask);
        }
        if (pfn == 0) {
            pfn = searchDown(size, limit, alignMask);
        }
        if (pfn == 0) {
            return 0;
        }
        tree.put(pfn, pfn + size - 1);
        allocatedPfns += size;
        if (limit == endPfn) {
            // the next unrestricted search starts under this range (cached_node)
            cachedHigh = pfn - 1;
        }
        return pfn;
    }

    /** __alloc_and_insert_iova_range: highest aligned gap of {@code size} pfns ending at or below {@code high}. */
    private long searchDown(long size, long high, long alignMask) {
        long top = high;
        Map.Entry<Long, Long> below = tree.floorEntry(top);
        while (true) {
            if (below != null && below.getValue() >= top) {
                // top lies inside an allocated range: continue under it
                top = below.getKey() - 1;
                if (top < startPfn) {
                    return 0;
                }
                below = tree.lowerEntry(below.getKey());
                continue;
            }
            long low = below != null ? below.getValue() + 1 : startPfn;
            long candidate = (top - size + 1) & alignMask;
            if (top - size + 1 >= low && candidate >= low && candidate >= startPfn) {
                return candidate;
            }
            if (below == null) {
                return 0;
            }
            top = below.getKey() - 1;
            if (top < startPfn) {
                return 0;
            }
            below = tree.lowerEntry(below.getKey());
        }
    }

    private static int order(long size) {
        return 64 - Long.numberOfLeadingZeros(size - 1);
    }

    /** One size's cache of freed ranges: a bounded stack of first pfns. */
    private static final class Rcache {
        private final long[] pfns;
        private int n;

        Rcache(int depth) {
            pfns = new long[depth];
        }

        synchronized boolean push(long pfn) {
            if (n == pfns.length) {
                return false;
            }
            pfns[n++] = pfn;
            return true;
        }

        /** @return a cached pfn not above {@code maxPfn}, or 0 (iova_magazine_pop with a limit) */
        synchronized long pop(long maxPfn) {
            for (int i = n - 1; i >= 0; i--) {
                long p = pfns[i];
                if (p <= maxPfn) {
                    pfns[i] = pfns[--n];
                    return p;
                }
            }
            return 0;
        }

        synchronized int size() {
            return n;
        }

        synchronized long[] snapshot() {
            return java.util.Arrays.copyOf(pfns, n);
        }

        synchronized long[] drain() {
            long[] out = java.util.Arrays.copyOf(pfns, n);
            n = 0;
            return out;
        }
    }
}
