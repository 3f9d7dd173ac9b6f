package io.iommulab.compare.concurrency;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One of the threads that change the shared domain: iommu_map and iommu_unmap of its own IOVA
 * ranges (its stripes and its owned units; runs of one page to more than a leaf table, across leaf
 * tables, blocks where the format has them, unmaps that take leaf tables away, maps over its own
 * mappings that must fail with EEXIST and unmaps of holes that must unmap nothing) and the DMA API
 * (dma_map_page and dma_map_sg of buffers in its own pool through any master of the domain, held
 * a while, then unmapped). Every change goes through the {@link Oracle}; every result is checked
 * against what the oracle says it must be.
 */
final class Mapper implements Runnable {

    /** DMA API mappings one mapper holds at most */
    static final int DMA_HELD = 4;

    /** One iommu_map range this mapper holds. */
    private record Extent(long iova, long size, long pa, int prot) {
    }

    /** One DMA API mapping this mapper holds: its pages in the oracle, and how to unmap it. */
    private record DmaMapping(DmaDevice device, DmaDirection dir, long dma, long size, List<DmaSegment> segments, int[] pages) {
    }

    private final int index;
    private final IommuDomain domain;
    /** a master of the domain, through which this mapper reads its own pages around a change */
    private final DmaMaster toucher;
    private final PhysicalMemory memory;
    private final DmaApi dmaApi;
    private final List<String> devices;
    private final Oracle oracle;
    private final Layout layout;
    private final Tally tally;
    private final SplittableRandom rng;
    private final int ops;
    /** set when a thread failed: every thread stops */
    private final AtomicBoolean abort;
    private final TreeMap<Long, Extent> extents = new TreeMap<>();
    private final List<DmaMapping> held = new ArrayList<>();
    private final int[] myStripes;

    Mapper(int index, IommuDomain domain, DmaMaster toucher, PhysicalMemory memory, DmaApi dmaApi, List<String> devices,
            Oracle oracle, Layout layout, Tally tally,
            long seed, int ops, AtomicBoolean abort) {
        this.index = index;
        this.domain = domain;
        this.toucher = toucher;
        this.memory = memory;
        this.dmaApi = dmaApi;
        this.devices = devices;
        this.oracle = oracle;
        this.layout = layout;
        this.tally = tally;
        this.rng = new SplittableRandom(seed);
        this.ops = ops;
        this.abort = abort;
        List<Integer> s = new ArrayList<>();
        for (int i = index; i < layout.stripes(); i += layout.mappers) {
            s.add(i);
        }
        this.myStripes = s.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public void run() {
        try {
            for (int i = 0; i < ops && !abort.get(); i++) {
                int r = rng.nextInt(100);
                if (r < 15) {
                    dmaApiOp();
                } else if (r < 55 || extents.isEmpty()) {
                    mapOp();
                } else if (r < 95) {
                    unmapOp();
                } else {
                    unmapHoleOp();
                }
            }
        } catch (Failed stop) {
            abort.set(true);
        } catch (RuntimeException | Error e) {
            tally.trace(e);
            tally.fail(Tally.EXCEPTION, "mapper " + index + ": " + e);
            abort.set(true);
            throw e;
        }
    }

    /** After the run, with every other thread stopped: unmaps everything this mapper holds. */
    void unmapAll() {
        for (Extent e : new ArrayList<>(extents.values())) {
            unmapRange(e.iova(), e.size());
        }
        for (DmaMapping m : new ArrayList<>(held)) {
            dmaUnmap(m);
        }
    }

    // ---- iommu_map / iommu_unmap of its own ranges ----

    private void mapOp() {
        long iova;
        long size;
        boolean blockRun = false;
        long g = layout.granule;
        if (rng.nextInt(10) < 4 && myStripes.length > 0) {
            long stripe = layout.stripe(myStripes[rng.nextInt(myStripes.length)]);
            int first = rng.nextInt(Layout.STRIPE_PAGES);
            iova = stripe + first * g;
            size = (1 + rng.nextInt(Layout.STRIPE_PAGES - first)) * g;
        } else {
            long base = layout.ownedBase(index);
            long pages = layout.ownedSize() / g;
            long leafPages = layout.leafSpan / g;
            int kind = rng.nextInt(10);
            if (kind < 3) {
                iova = base + rng.nextLong(pages) * g;
                size = g;
            } else if (kind < 6) {
                long n = 2 + rng.nextInt(63);
                iova = base + rng.nextLong(pages - n + 1) * g;
                size = n * g;
            } else if (kind < 8) {
                // across a leaf-table boundary inside the owned units
                long boundary = base + (1 + rng.nextLong(pages / leafPages - 1)) * layout.leafSpan;
                long before = 1 + rng.nextInt(32);
                iova = boundary - before * g;
                size = (before + 1 + rng.nextInt(32)) * g;
            } else {
                // a block where the format has them, else a whole leaf table's worth of pages
                long span = layout.block != 0 ? layout.block : layout.leafSpan;
                long slots = layout.ownedSize() / span;
                iova = base + rng.nextLong(slots) * span;
                long extra = rng.nextInt(3) == 0 ? rng.nextInt(8) * g : 0;
                size = Math.min(span + extra, base + layout.ownedSize() - iova);
                blockRun = true;
            }
        }
        long pa = layout.pa(iova, blockRun ? 0 : rng.nextInt(8));
        int prot = rng.nextInt(100) < 85 ? Prot.READ | Prot.WRITE : Prot.READ;
        map(iova, pa, size, prot);
    }

    private void map(long iova, long pa, long size, int prot) {
        int first = page(iova);
        int n = (int) (size / layout.granule);
        boolean overlaps = false;
        boolean[] free = new boolean[n];
        for (int i = 0; i < n; i++) {
            free[i] = oracle.stateOf(first + i) != Oracle.MAPPED;
            overlaps |= !free[i];
        }
        // only the pages that change are taken: agents keep using the mapped ones, which a
        // refused map must leave as they are
        for (int i = 0; i < n; i++) {
            if (free[i]) {
                oracle.acquire(first + i);
            }
        }
        IommuException refused = null;
        boolean done = false;
        try {
            domain.map(iova, pa, size, prot);
            done = true;
        } catch (IommuException e) {
            refused = e;
        } finally {
            for (int i = 0; i < n; i++) {
                if (free[i]) {
                    oracle.release(first + i, done ? Oracle.MAPPED : Oracle.UNMAPPED, done ? pa + i * layout.granule : 0,
                            done ? prot : 0);
                }
            }
        }
        if (done && free[0] && (prot & Prot.READ) != 0 && rng.nextInt(4) == 0) {
            touch(iova, true, "after its map");
        }
        if (done) {
            oracle.mappedRecently(first);
            oracle.mappedRecently(first + n - 1);
            for (int i = 0; i < 2; i++) {
                oracle.mappedRecently(first + rng.nextInt(n));
            }
            extents.put(iova, new Extent(iova, size, pa, prot));
            tally.count("iommu_map");
            if (overlaps) {
                throw fail(Tally.API, String.format("iommu_map 0x%x+0x%x over a mapped page succeeded", iova, size));
            }
            return;
        }
        if (!overlaps || refused.errno() != Errno.EEXIST) {
            tally.trace(refused);
            throw fail(Tally.API, String.format("iommu_map 0x%x+0x%x -> 0x%x (%s): %s", iova, size, pa,
                    overlaps ? "over a mapped page: EEXIST expected" : "all free", refused));
        }
        tally.count("iommu_map EEXIST");
    }

    private void unmapOp() {
        // a random extent, sometimes with the ones right after it (one call across several maps)
        Long key = extents.ceilingKey(layout.stripedBase + rng.nextLong(layout.ownedBase(layout.mappers) - layout.stripedBase));
        if (key == null) {
            key = extents.firstKey();
        }
        Extent e = extents.get(key);
        long end = e.iova() + e.size();
        while (rng.nextInt(3) == 0) {
            Extent next = extents.get(end);
            if (next == null) {
                break;
            }
            end += next.size();
        }
        unmapRange(e.iova(), end - e.iova());
    }

    /** Unmaps [iova, iova + size), which this mapper mapped whole: all of it must come out. */
    private void unmapRange(long iova, long size) {
        int first = page(iova);
        int n = (int) (size / layout.granule);
        for (int i = 0; i < n; i++) {
            oracle.acquire(first + i);
        }
        // Sometimes read the first page just before and just after: the IOTLB then holds it
        // when the unmap comes, and the invalidation must take it away.
        boolean touch = rng.nextInt(3) == 0 && (oracle.prot(first) & Prot.READ) != 0;
        if (touch) {
            touch(iova, true, "before its unmap");
        }
        oracle.changing(first);
        long got;
        try {
            got = domain.unmap(iova, size);
            if (touch) {
                touch(iova, false, "after its unmap");
            }
        } finally {
            for (int i = 0; i < n; i++) {
                oracle.release(first + i, Oracle.UNMAPPED, 0, 0);
            }
        }
        for (long a = iova; a < iova + size; ) {
            Extent x = extents.remove(a);
            if (x == null) {
                throw fail(Tally.API, String.format("unmap 0x%x+0x%x: no extent at 0x%x", iova, size, a));
            }
            a += x.size();
        }
        tally.count("iommu_unmap");
        if (got != size) {
            throw fail(Tally.API, String.format("iommu_unmap 0x%x+0x%x of mapped ranges unmapped 0x%x", iova, size, got));
        }
    }

    /** iommu_unmap of a range of its own that holds nothing: 0 bytes. */
    private void unmapHoleOp() {
        long g = layout.granule;
        long base = layout.ownedBase(index);
        long pages = layout.ownedSize() / g;
        for (int tries = 0; tries < 4; tries++) {
            int n = 1 + rng.nextInt(4);
            long iova = base + rng.nextLong(pages - n + 1) * g;
            int first = page(iova);
            boolean hole = true;
            for (int i = 0; i < n && hole; i++) {
                hole = oracle.stateOf(first + i) == Oracle.UNMAPPED;
            }
            if (!hole) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                oracle.acquire(first + i);
            }
            long got;
            try {
                got = domain.unmap(iova, n * g);
            } finally {
                for (int i = 0; i < n; i++) {
                    oracle.release(first + i, Oracle.UNMAPPED, 0, 0);
                }
            }
            tally.count("iommu_unmap hole");
            if (got != 0) {
                throw fail(Tally.API, String.format("iommu_unmap of the hole 0x%x+0x%x unmapped 0x%x", iova, n * g, got));
            }
            return;
        }
    }

    /**
     * A DMA read of 8 bytes at the start of page {@code iova}, which this mapper holds: it must get
     * through with what memory holds there ({@code mapped}) or fault.
     */
    private void touch(long iova, boolean mapped, String when) {
        // in the prober's slot, which no agent writes: agents may use the page right after its map
        long off = (Agent.SLOTS - 1) * (layout.granule / Agent.SLOTS);
        DmaResult r = toucher.read(0, iova + off, 8);
        tally.count("touch");
        if (r.ok() != mapped) {
            tally.fail(mapped ? Tally.WRONG_FAULT : Tally.USE_AFTER_UNMAP, String.format("mapper %d: a read of IOVA 0x%x %s %s",
                    index, iova + off, when, r.ok() ? "got through" : "faulted: " + r.fault()));
        } else if (mapped) {
            byte[] mem = new byte[8];
            memory.read(oracle.pa(page(iova)) + off, mem, 0, 8);
            if (!java.util.Arrays.equals(mem, r.data())) {
                tally.fail(Tally.CORRUPTION, String.format("mapper %d: a read of IOVA 0x%x %s gave other bytes than memory holds",
                        index, iova + off, when));
            }
        }
    }

    // ---- the DMA API ----

    private void dmaApiOp() {
        if (held.size() < DMA_HELD && (held.isEmpty() || rng.nextBoolean())) {
            dmaMap();
        } else {
            dmaUnmap(held.get(rng.nextInt(held.size())));
        }
    }

    private void dmaMap() {
        DmaDevice dev = dmaApi.device(devices.get(rng.nextInt(devices.size())));
        DmaDirection dir = rng.nextInt(5) == 0 ? DmaDirection.TO_DEVICE : DmaDirection.BIDIRECTIONAL;
        long g = layout.granule;
        long mask = g - 1;
        long pool = layout.dmaPoolBase + index * (layout.dmaPoolSize / layout.mappers);
        long room = layout.dmaPoolSize / layout.mappers - 4 * g;
        if (rng.nextInt(10) < 6) {
            long pa = pool + rng.nextLong(room);
            long size = 1 + rng.nextLong(3 * g);
            long dma = dev.mapPage(pa, size, dir);
            long pages = ((dma & mask) + size + mask) / g;
            if ((dma & mask) != (pa & mask)) {
                throw fail(Tally.API, String.format("dma_map_page of 0x%x gave 0x%x: the offset in the page changed", pa, dma));
            }
            int[] ps = publish(dma & ~mask, pa & ~mask, pages, dir);
            held.add(new DmaMapping(dev, dir, dma, size, null, ps));
            tally.count("dma_map_page");
        } else {
            int n = 1 + rng.nextInt(4);
            List<SgEntry> sg = new ArrayList<>();
            long total = 0;
            for (int i = 0; i < n; i++) {
                SgEntry e = new SgEntry(pool + rng.nextLong(room), 1 + rng.nextLong(2 * g));
                sg.add(e);
                total += e.length();
            }
            List<DmaSegment> segs = dev.mapSg(sg, dir);
            long segTotal = segs.stream().mapToLong(DmaSegment::length).sum();
            if (segTotal != total) {
                throw fail(Tally.API, "dma_map_sg of " + sg + " gave segments " + segs + " of 0x" + Long.toHexString(segTotal)
                        + " bytes");
            }
            // iommu_dma_map_sg: one IOVA range, each entry padded to whole pages
            long iova = segs.get(0).dmaAddress() - (sg.get(0).paddr() & mask);
            List<Integer> ps = new ArrayList<>();
            for (SgEntry e : sg) {
                long pages = ((e.paddr() & mask) + e.length() + mask) / g;
                for (int p : publish(iova, e.paddr() & ~mask, pages, dir)) {
                    ps.add(p);
                }
                iova += pages * g;
            }
            held.add(new DmaMapping(dev, dir, 0, 0, segs, ps.stream().mapToInt(Integer::intValue).toArray()));
            tally.count("dma_map_sg");
        }
    }

    /** Tells the oracle that {@code pages} pages at {@code iova} map {@code pa} on: @return their indexes */
    private int[] publish(long iova, long pa, long pages, DmaDirection dir) {
        int[] out = new int[(int) pages];
        for (int i = 0; i < pages; i++) {
            long at = iova + i * layout.granule;
            int p = oracle.page(at);
            if (p < 0 || at < layout.dmaBase) {
                throw fail(Tally.API, String.format("the DMA API handed out IOVA 0x%x, outside its window 0x%x+0x%x", at,
                        layout.dmaBase, Layout.DMA_WINDOW));
            }
            oracle.acquire(p);
            oracle.release(p, Oracle.MAPPED, pa + i * layout.granule, dir.prot());
            oracle.mappedRecently(p);
            out[i] = p;
        }
        return out;
    }

    private void dmaUnmap(DmaMapping m) {
        for (int p : m.pages()) {
            oracle.acquire(p);
        }
        try {
            if (m.segments() == null) {
                m.device().unmapPage(m.dma(), m.size(), m.dir());
            } else {
                m.device().unmapSg(m.segments(), m.dir());
            }
        } finally {
            // freed: the allocator may give these IOVAs to anyone now
            for (int p : m.pages()) {
                oracle.release(p, Oracle.UNKNOWN, 0, 0);
            }
        }
        held.remove(m);
        tally.count(m.segments() == null ? "dma_unmap_page" : "dma_unmap_sg");
    }

    // ----

    private int page(long iova) {
        int p = oracle.page(iova);
        if (p < 0) {
            throw new IllegalStateException(String.format("mapper %d: IOVA 0x%x outside the windows", index, iova));
        }
        return p;
    }

    /** Thrown to stop this mapper after a recorded failure. */
    private static final class Failed extends RuntimeException {
        Failed() {
            super(null, null, false, false);
        }
    }

    private Failed fail(String kind, String detail) {
        tally.fail(kind, "mapper " + index + ": " + detail);
        return new Failed();
    }

    /** @return bytes this mapper holds through iommu_map, by extent start (for the final report) */
    Map<Long, Long> extents() {
        Map<Long, Long> out = new TreeMap<>();
        extents.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }
}
