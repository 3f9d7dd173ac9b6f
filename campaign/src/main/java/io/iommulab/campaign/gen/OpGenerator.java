package io.iommulab.campaign.gen;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.oracle.PageSizes;
import io.iommulab.campaign.run.Facts;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeded random mix of a campaign. Operation {@code n} depends only on the seed, the lab's
 * {@link Facts} and the operations before it, never on what the lab answered, so a run is
 * regenerated from its seed (a replay of millions of operations keeps no list of them). The
 * generator keeps its own idea of the state (which slots hold a domain, which group it meant to
 * attach where, which DMA-API handles it made) only to choose operations that mostly make sense;
 * the executor looks up what is really there and skips what is not.
 *
 * <p>The mix (per 1000 operations): domains 12 (alloc of every type, free, attach and detach to a
 * group of the same IOMMUs or any other), {@code iommu_map} 180 and {@code iommu_unmap} 120 of one
 * page, a few, runs across leaf tables, blocks where the format has them, misaligned, empty and
 * out-of-aperture requests, unmaps of what was mapped, of a part of it, of more; the DMA API 210
 * ({@code dma_map_page}, scatter-gather lists of 2 to 4 buffers, unmaps, flush-queue drains); DMA
 * reads and writes 470 by every master on every stream, into what is mapped, into DMA-API buffers
 * and at raw IOVAs; a full check 1. Every {@value #BURST_EVERY} operations a burst gives every slot
 * to one master: each freed, allocated again for that master, attached to it and detached, so that
 * one IOMMU holds as many paging domains as there are slots (beyond an SMMU's free context banks:
 * ENOSPC). A live update every {@code liveUpdateEvery} operations, and an injected fault every
 * {@code injectEvery} when asked.
 */
public final class OpGenerator {

    /** domain slots the mix uses: more than an SMMU has free context banks (7 of 8) */
    public static final int SLOTS = 10;
    /** how often every slot is given to one master's IOMMU at once (a prime: it drifts through the other rates) */
    static final long BURST_EVERY = 7919;
    /** DMA-API handles per master */
    static final int HANDLES = 8;
    /** recent maps per slot, which unmaps pick from */
    static final int RECENT = 32;

    /**
     * What else goes into the mix.
     *
     * @param liveUpdateEvery a live update every this many operations (0: none)
     * @param injectPoint     a fault-injection point of the drivers ({@code skip-invalidate}), or null
     * @param injectEvery     an injection on a random IOMMU every this many operations
     * @param injectCount     how many occurrences each injection fails (-1: all until the end)
     */
    public record Options(long liveUpdateEvery, String injectPoint, long injectEvery, long injectCount) {
        public static final Options NONE = new Options(0, null, 0, 0);
    }

    private final Facts facts;
    private final Options options;
    private final SplittableRandom rnd;
    private final List<Facts.Master> masters;
    private final String[] slotDev = new String[SLOTS];
    private final DomainType[] slotType = new DomainType[SLOTS];
    private final long[][] recent = new long[SLOTS][RECENT * 2];
    private final int[] recentCount = new int[SLOTS];
    /** group to the slot meant to be attached there, -1: its default */
    private final java.util.Map<Integer, Integer> attached = new java.util.HashMap<>();
    private final java.util.Map<String, boolean[]> handles = new java.util.HashMap<>();
    private final List<String> iommus;
    private long index;
    private int nextBundle;
    private final java.util.ArrayDeque<Op> queued = new java.util.ArrayDeque<>();

    public OpGenerator(Facts facts, long seed, Options options) {
        this.facts = facts;
        this.options = options;
        this.rnd = new SplittableRandom(seed);
        this.masters = facts.masters();
        this.iommus = new ArrayList<>(facts.variants().keySet());
    }

    /** One kind of operation in the mix: how many of every thousand draws make it. */
    private record Share(int perMille, java.util.function.Function<OpGenerator, Op> make) {
    }

    /** The mix, in the order of the draw (a seed's operations depend on it); the shares sum to 1000. */
    private static final List<Share> MIX = List.of(
            new Share(3, OpGenerator::alloc),
            new Share(2, OpGenerator::free),
            new Share(4, OpGenerator::attach),
            new Share(3, OpGenerator::detach),
            new Share(180, OpGenerator::map),
            new Share(120, OpGenerator::unmap),
            new Share(80, OpGenerator::dmaMap),
            new Share(30, OpGenerator::sgMap),
            new Share(95, OpGenerator::dmaUnmap),
            new Share(5, g -> new Op.Flush(g.master().path())),
            new Share(477, OpGenerator::dma),
            new Share(1, g -> new Op.Check()));

    /** @return the next operation */
    public Op next() {
        long n = index++;
        if (options.liveUpdateEvery() > 0 && !facts.bundles().isEmpty() && n % options.liveUpdateEvery()
                == options.liveUpdateEvery() - 1) {
            return new Op.LiveUpdate(facts.bundles().get(nextBundle++ % facts.bundles().size()));
        }
        if (options.injectPoint() != null && options.injectEvery() > 0 && n % options.injectEvery() == options.injectEvery() / 2
                && !iommus.isEmpty()) {
            return new Op.Inject(iommus.get(rnd.nextInt(iommus.size())), options.injectPoint(), options.injectCount());
        }
        if (n % BURST_EVERY == BURST_EVERY - 1) {
            burst();
        }
        if (!queued.isEmpty()) {
            return queued.poll();
        }
        while (true) {
            int r = rnd.nextInt(1000);
            Op op = null;
            for (Share share : MIX) {
                r -= share.perMille();
                if (r < 0) {
                    op = share.make().apply(this);
                    break;
                }
            }
            if (op != null) {
                return op;
            }
        }
    }

    private Facts.Master master() {
        return masters.get(rnd.nextInt(masters.size()));
    }

    private int usedSlot() {
        int n = 0;
        for (String d : slotDev) {
            n += d != null ? 1 : 0;
        }
        if (n == 0) {
            return -1;
        }
        int k = rnd.nextInt(n);
        for (int i = 0; i < SLOTS; i++) {
            if (slotDev[i] != null && k-- == 0) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- domains

    /** Every slot given to one master's IOMMU: freed (detached first), allocated for it, attached to it and detached. */
    private void burst() {
        List<Facts.Master> paging = new ArrayList<>();
        for (Facts.Master m : masters) {
            if (facts.paging().containsKey(m.path())) {
                paging.add(m);
            }
        }
        if (paging.isEmpty()) {
            return;
        }
        Facts.Master m = paging.get(rnd.nextInt(paging.size()));
        for (java.util.Map.Entry<Integer, Integer> e : new ArrayList<>(attached.entrySet())) {
            queued.add(new Op.Detach(e.getValue(), facts.groups().get(e.getKey()).devices().get(0)));
        }
        attached.clear();
        for (int s = 0; s < SLOTS; s++) {
            queued.add(new Op.Free(s));
            queued.add(new Op.Alloc(s, m.path(), DomainType.UNMANAGED));
            queued.add(new Op.Attach(s, m.path()));
            queued.add(new Op.Detach(s, m.path()));
            slotDev[s] = m.path();
            slotType[s] = DomainType.UNMANAGED;
            recentCount[s] = 0;
        }
    }

    private Op alloc() {
        int free = -1;
        for (int i = 0, start = rnd.nextInt(SLOTS); i < SLOTS; i++) {
            int s = (start + i) % SLOTS;
            if (slotDev[s] == null) {
                free = s;
                break;
            }
        }
        if (free < 0) {
            return null;
        }
        Facts.Master m = master();
        int t = rnd.nextInt(100);
        DomainType type = t < 55 ? DomainType.UNMANAGED : t < 65 ? DomainType.DMA
                : t < 72 ? (facts.flushQueues() ? DomainType.DMA_FQ : DomainType.UNMANAGED)
                : t < 86 ? DomainType.IDENTITY : DomainType.BLOCKED;
        if (facts.alloc().get(m.path()).get(type) == null) {
            slotDev[free] = m.path();
            slotType[free] = type;
            recentCount[free] = 0;
        }
        return new Op.Alloc(free, m.path(), type);
    }

    private Op free() {
        int s = usedSlot();
        if (s < 0) {
            return null;
        }
        if (!attached.containsValue(s)) {
            slotDev[s] = null;
        }
        return new Op.Free(s);
    }

    private Op attach() {
        int s = usedSlot();
        if (s < 0) {
            return null;
        }
        Facts.Master m;
        Facts.Master home = facts.master(slotDev[s]);
        if (rnd.nextInt(10) < 7) {
            List<Facts.Master> same = new ArrayList<>();
            for (Facts.Master x : masters) {
                if (x.signature().equals(home.signature())) {
                    same.add(x);
                }
            }
            m = same.get(rnd.nextInt(same.size()));
        } else {
            m = master();
        }
        if (!attached.containsKey(m.group())
                && facts.attachErrno(Facts.kind(slotType[s]), home.signature(), m.group()) == null) {
            attached.put(m.group(), s);
        }
        return new Op.Attach(s, m.path());
    }

    private Op detach() {
        if (!attached.isEmpty() && rnd.nextInt(10) < 8) {
            List<Integer> groups = new ArrayList<>(attached.keySet());
            groups.sort(null);
            int g = groups.get(rnd.nextInt(groups.size()));
            int s = attached.remove(g);
            List<String> devs = facts.groups().get(g).devices();
            return new Op.Detach(s, devs.get(rnd.nextInt(devs.size())));
        }
        int s = usedSlot();
        return s < 0 ? null : new Op.Detach(s, master().path());
    }

    // ---------------------------------------------------------------- iommu_map / iommu_unmap

    /** A slot for a map or unmap: mostly an unmanaged one, now and then identity or blocked (EINVAL). */
    private int mapSlot() {
        int s = usedSlot();
        if (s < 0 || slotType[s].isDma() || !slotType[s].isPaging() && rnd.nextInt(10) != 0) {
            return -1;
        }
        return s;
    }

    private Facts.Paging paging(int s) {
        Facts.Paging p = facts.paging().get(slotDev[s]);
        return p != null ? p : new Facts.Paging(0x1000, 0, 0xffff_ffffL);
    }

    /** The IOVA arena of a slot: four leaf tables' worth, one table above the aperture's start. */
    private static long arena(Facts.Paging p) {
        long span = PageSizes.leafTableSpan(p.bitmap());
        return (p.apertureStart() + 2 * span - 1) & -span;
    }

    private static long bigger(Facts.Paging p) {
        long min = p.minPage();
        long b = p.bitmap() & ~(min | (min - 1));
        return b == 0 ? 0 : Long.lowestOneBit(b);
    }

    private Op map() {
        int s = mapSlot();
        if (s < 0) {
            return null;
        }
        Facts.Paging p = paging(s);
        long min = p.minPage();
        long span = PageSizes.leafTableSpan(p.bitmap());
        long base = arena(p);
        long big = bigger(p);
        long iova;
        long size;
        long align = min;
        boolean oddPa = false;
        int k = rnd.nextInt(100);
        if (k < 35) {
            size = min;
            iova = base + rnd.nextLong(4 * span / min) * min;
        } else if (k < 68) {
            size = (2 + rnd.nextInt(15)) * min;
            iova = base + rnd.nextLong(4 * span / min - 16) * min;
        } else if (k < 82) {
            long pages = 17 + rnd.nextInt(284);
            size = pages * min;
            iova = base + (1 + rnd.nextInt(3)) * span - (1 + rnd.nextLong(pages - 1)) * min; // across a table boundary
        } else if (k < 92 && big != 0 && big * 2 <= facts.windowSize()) {
            size = (1 + rnd.nextInt(2)) * big + (rnd.nextBoolean() ? 0 : rnd.nextInt(4) * min);
            iova = base + rnd.nextInt(3) * big;
            align = big;
        } else if (k < 95) {
            size = (1 + rnd.nextInt(4)) * min;
            iova = base + rnd.nextLong(4 * span / min) * min;
            switch (rnd.nextInt(3)) { // misaligned: EINVAL
                case 0 -> iova += min / 2;
                case 1 -> size += min / 2;
                default -> oddPa = true;
            }
        } else if (k < 98) {
            size = 8 * min;
            iova = (p.apertureEnd() + 1 - (1 + rnd.nextInt(4)) * min) & -min; // crosses the aperture's end: ERANGE
        } else if (k < 99) {
            size = 0;
            iova = base;
        } else {
            size = min;
            iova = p.apertureStart() == 0 ? p.apertureEnd() + 1 : p.apertureStart() - min;
        }
        long pa = pa(size == 0 ? min : size, align) + (oddPa ? min / 2 : 0);
        int prot = prot();
        remember(s, iova, size);
        return new Op.Map(s, iova, size, pa, prot);
    }

    /** @return a window offset for {@code size} bytes aligned to {@code align} */
    private long pa(long size, long align) {
        long slots = Math.max(1, (facts.windowSize() - size - align) / align);
        return rnd.nextLong(slots) * align;
    }

    private int prot() {
        int k = rnd.nextInt(100);
        int prot = k < 20 ? Prot.READ : k < 30 ? Prot.WRITE : k < 98 ? Prot.READ | Prot.WRITE : 0;
        return rnd.nextInt(10) == 0 ? prot | Prot.CACHE : prot;
    }

    private void remember(int s, long iova, long size) {
        int i = recentCount[s]++ % RECENT;
        recent[s][2 * i] = iova;
        recent[s][2 * i + 1] = size;
    }

    private Op unmap() {
        int s = mapSlot();
        if (s < 0) {
            return null;
        }
        Facts.Paging p = paging(s);
        long min = p.minPage();
        long span = PageSizes.leafTableSpan(p.bitmap());
        int k = rnd.nextInt(100);
        if (k < 62 && recentCount[s] > 0) {
            int i = rnd.nextInt(Math.min(RECENT, recentCount[s]));
            long iova = recent[s][2 * i];
            long size = recent[s][2 * i + 1];
            if (size < min || (size & (min - 1)) != 0) {
                return new Op.Unmap(s, iova, Math.max(min, size & -min));
            }
            int how = rnd.nextInt(100);
            if (how < 50) {
                return new Op.Unmap(s, iova, size); // what was mapped
            } else if (how < 72) {
                return new Op.Unmap(s, iova, Math.max(min, rnd.nextLong(size / min + 1) * min)); // a part from its start
            } else if (how < 85) {
                long skip = rnd.nextLong(size / min) * min;
                return new Op.Unmap(s, iova + skip, size - skip); // from its middle
            }
            return new Op.Unmap(s, iova, size + (1 + rnd.nextInt(64)) * min); // more than it
        }
        long base = arena(p);
        long iova = base + rnd.nextLong(4 * span / min) * min;
        long size;
        if (k < 92) {
            size = (1 + rnd.nextInt(300)) * min;
        } else if (k < 95 && bigger(p) != 0) {
            long big = bigger(p);
            iova = base + rnd.nextInt(3) * big;
            size = (1 + rnd.nextInt(2)) * big;
        } else if (k < 98) {
            size = min + min / 2; // misaligned: EINVAL
        } else {
            size = 0;
        }
        return new Op.Unmap(s, iova, size);
    }

    // ---------------------------------------------------------------- the DMA API

    private boolean[] handles(String dev) {
        return handles.computeIfAbsent(dev, d -> new boolean[HANDLES]);
    }

    private Op dmaMap() {
        Facts.Master m = master();
        int h = rnd.nextInt(HANDLES);
        handles(m.path())[h] = true;
        long page = Math.max(0x1000, minPage(m));
        long len = rnd.nextInt(4) == 0 ? 1 + rnd.nextLong(3 * page) : 1 + rnd.nextInt(512);
        long pa = rnd.nextLong((facts.windowSize() - 4 * page) / 64) * 64;
        return new Op.DmaMap(m.path(), h, pa, len, dir());
    }

    private Op sgMap() {
        Facts.Master m = master();
        int h = rnd.nextInt(HANDLES);
        handles(m.path())[h] = true;
        long page = Math.max(0x1000, minPage(m));
        int n = 2 + rnd.nextInt(3);
        List<Op.Buffer> buffers = new ArrayList<>();
        long pages = facts.windowSize() / page - 4;
        for (int i = 0; i < n; i++) {
            long at = rnd.nextLong(pages) * page;
            boolean whole = rnd.nextBoolean(); // page-aligned whole pages: segments merge
            long off = whole ? 0 : rnd.nextLong(page / 64) * 64;
            long len = whole ? (1 + rnd.nextInt(2)) * page : 1 + rnd.nextLong(page);
            buffers.add(new Op.Buffer(at + off, len));
        }
        return new Op.SgMap(m.path(), h, buffers, dir());
    }

    private DmaDirection dir() {
        DmaDirection[] all = DmaDirection.values();
        return all[rnd.nextInt(all.length)];
    }

    private long minPage(Facts.Master m) {
        Facts.Paging p = facts.paging().get(m.path());
        return p == null ? 0x4000 : p.minPage();
    }

    private Op dmaUnmap() {
        Facts.Master m = master();
        boolean[] hs = handles(m.path());
        int h = rnd.nextInt(HANDLES);
        for (int i = 0; i < HANDLES && rnd.nextInt(10) != 0; i++) {
            if (hs[(h + i) % HANDLES]) {
                h = (h + i) % HANDLES;
                break;
            }
        }
        hs[h] = false;
        return new Op.DmaUnmap(m.path(), h);
    }

    // ---------------------------------------------------------------- DMA

    private Op dma() {
        Facts.Master m = master();
        int stream = rnd.nextInt(m.streams().size());
        boolean write = rnd.nextBoolean();
        int k = rnd.nextInt(100);
        long page = Math.max(0x1000, minPage(m));
        int len;
        long within;
        if (k < 90) {
            len = 1 + rnd.nextInt(64);
            within = rnd.nextLong(1L << 40) & -8;
        } else {
            len = 65 + rnd.nextInt(448);
            within = rnd.nextLong(1L << 40) * page - rnd.nextInt(len); // crosses into the next page
        }
        int t = rnd.nextInt(100);
        Op.Target at;
        if (t < 48) {
            at = new Op.Target(Op.Target.Kind.RUN, rnd.nextInt(Integer.MAX_VALUE), within);
        } else if (t < 72) {
            at = new Op.Target(Op.Target.Kind.HANDLE, rnd.nextInt(HANDLES), within);
        } else {
            Facts.Paging p = facts.paging().get(m.path());
            if (p == null) {
                at = Op.Target.iova(rnd.nextLong(1L << 32) & -8);
            } else {
                long span = PageSizes.leafTableSpan(p.bitmap());
                at = Op.Target.iova(t < 96 ? arena(p) + (rnd.nextLong(4 * span) & -8)
                        : p.apertureStart() + (rnd.nextLong(Math.max(1, p.apertureEnd() - p.apertureStart())) & -8));
            }
        }
        return new Op.Dma(m.path(), stream, write, at, len);
    }
}
