package io.iommulab.machine.memory;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.machine.inject.FailNthCountdown;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A buddy allocator (as mm/page_alloc.c, without zones) over the RAM given to software.
 *
 * <p>Free blocks sit in one sorted set per order; allocation takes the lowest-addressed block of
 * the smallest order that fits and splits it, so addresses are deterministic run to run. Freeing
 * merges with the buddy while the buddy is free. Blocks are zeroed when handed out (memory freed by
 * one owner never leaks into the next), outside the lock.
 *
 * <p>Every allocation is an injection point of the machine's fail-nth countdown
 * ({@link FailNth#PAGE_ALLOC}, fail_page_alloc): told to, it refuses with ENOMEM as if RAM were
 * exhausted, before anything changes.
 *
 * <p>Locking: one monitor guards the free lists, the allocated-block table and the per-owner counts.
 */
public final class PageAllocatorImpl implements PageAllocator {

    /** Largest order, as Linux's MAX_PAGE_ORDER on a 4 KiB kernel: 4 MiB blocks. */
    public static final int MAX_ORDER = 10;
    private static final int PAGE_SHIFT = 12;

    /**
     * One allocated block.
     *
     * @param order log2 of its page count
     * @param owner who holds it
     */
    private record Block(int order, String owner) {
    }

    /**
     * One allocated block, as {@link #allocations} lists it.
     *
     * @param pa    its physical address
     * @param size  bytes
     * @param owner who holds it
     */
    public record Allocation(long pa, long size, String owner) {
    }

    private final PhysicalMemory memory;
    private final FailNth failNth;
    /** the RAM it manages, page-aligned */
    private final List<RamRegion> regions = new ArrayList<>();
    private final List<TreeSet<Long>> free = new ArrayList<>(MAX_ORDER + 1);
    private final Map<Long, Block> allocated = new HashMap<>();
    private final Map<String, Long> byOwner = new TreeMap<>();
    private final long totalPages;
    private long inUse;

    /**
     * @param memory  where blocks are zeroed
     * @param regions the RAM given to software; each is trimmed to page boundaries
     */
    public PageAllocatorImpl(PhysicalMemory memory, List<RamRegion> regions) {
        this(memory, regions, new FailNthCountdown());
    }

    /**
     * @param memory  where blocks are zeroed
     * @param regions the RAM given to software; each is trimmed to page boundaries
     * @param failNth the machine's fail-nth countdown, asked once per allocation
     */
    public PageAllocatorImpl(PhysicalMemory memory, List<RamRegion> regions, FailNth failNth) {
        this.memory = memory;
        this.failNth = failNth;
        for (int o = 0; o <= MAX_ORDER; o++) {
            free.add(new TreeSet<>());
        }
        long pages = 0;
        for (RamRegion r : regions) {
            long start = (r.base() + PAGE_SIZE - 1) & -PAGE_SIZE;
            long end = r.end() & -PAGE_SIZE;
            pages += Math.max(0, (end - start) >> PAGE_SHIFT);
            if (end > start) {
                this.regions.add(new RamRegion(start, end - start));
            }
            seed(start, end);
        }
        this.totalPages = pages;
    }

    /** Carves [start, end) into the largest naturally aligned blocks that fit. */
    private void seed(long start, long end) {
        long a = start;
        while (a < end) {
            int order = MAX_ORDER;
            while (order > 0 && ((a & ((PAGE_SIZE << order) - 1)) != 0 || a + ((long) PAGE_SIZE << order) > end)) {
                order--;
            }
            free.get(order).add(a);
            a += (long) PAGE_SIZE << order;
        }
    }

    @Override
    public long allocPages(int order, String owner) {
        if (order < 0 || order > MAX_ORDER) {
            throw new IommuException(Errno.EINVAL, "allocPages: order " + order + " is outside 0.." + MAX_ORDER);
        }
        String who = owner == null ? "?" : owner;
        if (failNth.shouldFail(FailNth.PAGE_ALLOC, who)) {
            throw new IommuException(Errno.ENOMEM, String.format("allocPages: no block of order %d (%d KiB) for %s"
                    + " (fail-nth: injected page allocation failure)", order, (PAGE_SIZE << order) >> 10, who));
        }
        long pa;
        synchronized (this) {
            int o = order;
            while (o <= MAX_ORDER && free.get(o).isEmpty()) {
                o++;
            }
            if (o > MAX_ORDER) {
                throw new IommuException(Errno.ENOMEM, String.format(
                        "allocPages: no free block of order %d (%d KiB) for %s; %d of %d pages in use",
                        order, (PAGE_SIZE << order) >> 10, who, inUse, totalPages));
            }
            pa = free.get(o).pollFirst();
            // Split down, returning the upper halves to the free lists.
            while (o > order) {
                o--;
                free.get(o).add(pa + ((long) PAGE_SIZE << o));
            }
            allocated.put(pa, new Block(order, who));
            long n = 1L << order;
            inUse += n;
            byOwner.merge(who, n, Long::sum);
        }
        memory.fill(pa, (long) PAGE_SIZE << order, (byte) 0);
        return pa;
    }

    @Override
    public synchronized void freePages(long pa) {
        Block b = allocated.remove(pa);
        if (b == null) {
            throw new IommuException(Errno.EINVAL, String.format(
                    "freePages: physical address 0x%x is not the start of an allocated block (double free or bad address)", pa));
        }
        long n = 1L << b.order();
        inUse -= n;
        byOwner.computeIfPresent(b.owner(), (k, v) -> v == n ? null : v - n);
        int o = b.order();
        long block = pa;
        while (o < MAX_ORDER) {
            long buddy = block ^ ((long) PAGE_SIZE << o);
            if (!free.get(o).remove(buddy)) {
                break;
            }
            block = Math.min(block, buddy);
            o++;
        }
        free.get(o).add(block);
    }

    @Override
    public synchronized long pagesInUse() {
        return inUse;
    }

    @Override
    public synchronized Map<String, Long> pagesByOwner() {
        return Map.copyOf(byOwner);
    }

    /** @return the RAM this allocator manages, page-aligned, in the order given */
    public List<RamRegion> regions() {
        return List.copyOf(regions);
    }

    /** @return the blocks allocated now, by physical address */
    public synchronized List<Allocation> allocations() {
        List<Allocation> out = new ArrayList<>(allocated.size());
        for (Map.Entry<Long, Block> e : new TreeMap<>(allocated).entrySet()) {
            out.add(new Allocation(e.getKey(), (long) PAGE_SIZE << e.getValue().order(), e.getValue().owner()));
        }
        return out;
    }

    /** @return pages this allocator manages */
    public long totalPages() {
        return totalPages;
    }

    /** @return the order of the allocated block starting at {@code pa}, or -1 */
    public synchronized int orderOf(long pa) {
        Block b = allocated.get(pa);
        return b == null ? -1 : b.order();
    }
}
