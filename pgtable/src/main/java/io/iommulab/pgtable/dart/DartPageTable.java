package io.iommulab.pgtable.dart;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamWindow;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.pgtable.table.TablePages;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DART page table (struct dart_io_pgtable): {@code n_ttbrs} top tables allocated up front,
 * {@code L} table levels, one page size, no block mappings (dart-facts §2.1, §2.3).
 *
 * <p>Hot path: {@link #mapPages}, {@link #unmapPages} and {@link #iovaToPhys} use only
 * precomputed shifts and masks and touch leaf entries through a {@link RamWindow} on the leaf table
 * (as io-pgtable touches its tables through kernel virtual addresses). DART never frees a table
 * before the whole page table is freed, so the window of each leaf table, once found by a walk, is
 * remembered per leaf-table slot: a map, unmap or lookup then costs no table walk at all. The tables
 * in memory stay the only truth (the hardware walks them); the slot array is a cache of where they
 * are, filled lazily, so {@link #attach} needs nothing from the old code. Concurrency: missing tables
 * are installed with a CAS through {@link TablePages#installTable} (the loser frees its copy); slots
 * are immutable windows, safely published by their final fields; leaf writes of disjoint ranges need no lock.
 */
public final class DartPageTable implements PageTableOps {

    private static final Logger LOG = LoggerFactory.getLogger(DartPageTable.class);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /**
     * Leaf-table slots remembered at most (16 KiB of references): every upstream configuration up to
     * IAS 36 fits; bigger spaces (DART2 IAS 42) look their leaf table up by walking on every call.
     */
    static final int MAX_SLOTS = 4096;

    private final DartFormat format;
    private final PageTableContext ctx;
    private final PhysicalMemory memory;
    private final TablePages pages;
    private final TlbFlushOps flush;
    private final PageTableState state;
    /** physical addresses of the top tables, one per TTBR */
    private final long[] roots;
    private final int oas;
    private final int ias;
    private final int paShift;
    private final long paMask;
    private final long valid;
    private final int pgShift;
    private final long pgSize;
    private final long pgMask;
    private final int bpl;
    private final long idxMask;
    /** index shift of the top table (level L) */
    private final int topShift;
    private final int ttbrShift;
    private final int tableLevels;
    /** usable entries of a leaf table: all of them unless the IAS is smaller than one leaf table */
    private final long leafEntries;
    /** n_ttbrs while the table lives; 0 once freed so that every walk stops at the TTBR check */
    private int ttbrLimit;
    /** IOVA shift of a leaf-table slot: the IOVA span one leaf table covers */
    private final int slotShift;
    /** the window of each known leaf table, null until a walk found it; null array if too many slots */
    private final RamWindow[] slots;
    /**
     * Re-opened by {@link #attach}: tables this object did not allocate, so their number is not
     * kept but walked when asked for ({@link #tablePages}); an attach in a live update runs for every
     * domain while the domains are paused, and a count there would read every top table.
     */
    private final boolean reopened;

    private DartPageTable(DartFormat format, DartGeometry g, PageTableConfig settled, long[] roots,
            PageTableContext ctx, TablePages pages, boolean reopened) {
        this.format = format;
        this.reopened = reopened;
        this.ctx = ctx;
        this.memory = ctx.memory();
        this.pages = pages;
        this.flush = ctx.flush() != null ? ctx.flush() : TlbFlushOps.NONE;
        this.roots = roots;
        this.oas = settled.oas();
        this.ias = g.ias();
        this.paShift = format.paShift();
        this.paMask = format.paMask();
        this.valid = format.valid();
        this.pgShift = g.pgShift();
        this.pgSize = g.pageSize();
        this.pgMask = pgSize - 1;
        this.bpl = g.bitsPerLevel();
        this.idxMask = g.entries() - 1;
        this.topShift = g.indexShift(g.tableLevels());
        this.ttbrShift = g.ttbrShift();
        this.tableLevels = g.tableLevels();
        this.leafEntries = Math.min(g.entries(), 1L << (g.ias() - g.pgShift()));
        this.ttbrLimit = g.nTtbrs();
        this.slotShift = pgShift + bpl;
        long nSlots = (long) g.nTtbrs() << (ttbrShift - slotShift);
        this.slots = nSlots <= MAX_SLOTS ? new RamWindow[(int) nSlots] : null;
        this.state = new PageTableState(format.name(), settled, roots, g.levels(), Map.of());
    }

    /** A new table: every top table allocated (zeroed) up front, as Linux does. */
    static DartPageTable alloc(DartFormat format, DartGeometry g, PageTableConfig settled, PageTableContext ctx) {
        TablePages pages = new TablePages(ctx, g.pgShift() - 12);
        long[] roots = new long[g.nTtbrs()];
        int n = 0;
        try {
            for (; n < roots.length; n++) {
                roots[n] = allocChecked(format, pages, ctx, -1);
            }
        } catch (IommuException e) {
            for (int i = 0; i < n; i++) {
                pages.freeTable(roots[i]);
            }
            throw e;
        }
        DartPageTable t = new DartPageTable(format, g, settled, roots, ctx, pages, false);
        LOG.debug("{}: allocated table for {}: {}", format.name(), ctx.owner(), t.state);
        return t;
    }

    /**
     * Re-opens a table from its roots without reading or writing memory; its tables are counted by
     * walking when {@link #tablePages} is asked.
     */
    static DartPageTable attach(DartFormat format, DartGeometry g, PageTableConfig settled, long[] ttbrs,
            PageTableContext ctx) {
        TablePages pages = new TablePages(ctx, g.pgShift() - 12);
        DartPageTable t = new DartPageTable(format, g, settled, ttbrs.clone(), ctx, pages, true);
        LOG.debug("{}: attached table for {}: {}", format.name(), ctx.owner(), t.state);
        return t;
    }

    /** Allocates a table whose address the format can encode (DART1 tables must lie below 2^36). */
    private static long allocChecked(DartFormat format, TablePages pages, PageTableContext ctx, long iova) {
        long pa;
        try {
            pa = pages.allocTable();
        } catch (IommuException e) {
            if (e.errno() != Errno.ENOMEM) {
                throw e;
            }
            throw new IommuException(Errno.ENOMEM, format.name() + ": no memory for a table of " + ctx.owner()
                    + (iova >= 0 ? String.format(" (mapping IOVA 0x%x)", iova) : ""), 0, e);
        }
        if ((pa >>> format.oas()) != 0) {
            pages.freeTable(pa);
            throw new IommuException(Errno.ENOMEM, String.format(
                    "%s: table page at PA 0x%x for %s lies beyond the %d-bit output address space", format.name(), pa,
                    ctx.owner(), format.oas()));
        }
        return pa;
    }

    @Override
    public PageTableState state() {
        return state;
    }

    /**
     * Walks to the leaf table of {@code iova}, reading each table entry once.
     *
     * @return the leaf table's physical address, or 0 if a table is missing and {@code alloc} is false
     */
    private long leafTable(long iova, int ttbrIdx, boolean alloc) {
        long table = roots[ttbrIdx];
        if (tableLevels == 2) {
            // the common case (every upstream 16 KiB configuration up to IAS 36): one table entry to read
            long entryPa = table + (((iova >>> topShift) & idxMask) << 3);
            long pte = memory.read64(entryPa);
            if (pte == 0) {
                if (!alloc) {
                    return 0;
                }
                pte = installTable(entryPa, iova);
            }
            return (pte & paMask) << paShift;
        }
        for (int shift = topShift; shift > pgShift; shift -= bpl) {
            long entryPa = table + (((iova >>> shift) & idxMask) << 3);
            long pte = memory.read64(entryPa);
            if (pte == 0) {
                if (!alloc) {
                    return 0;
                }
                pte = installTable(entryPa, iova);
            }
            table = (pte & paMask) << paShift;
        }
        return table;
    }

    /** @return the entry now at {@code entryPa}: the new table's, or the one another thread installed first */
    private long installTable(long entryPa, long iova) {
        long t = allocChecked(format, pages, ctx, iova);
        long entry = ((t >>> paShift) & paMask) | valid;
        long winner = pages.installTable(entryPa, entry, t);
        return winner == 0 ? entry : winner;
    }

    /**
     * One page whose leaf table is known (the DMA API's common case) is written here; the rest, and
     * every refusal, goes to {@link #mapRun}. Kept under C2's inlining limit for hot calls (325
     * bytes of bytecode): the whole method was 503 bytes, so every one-page map was a real call.
     */
    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        RamWindow[] known = slots;
        if (pgcount == 1 && pgsize == pgSize && ((iova | paddr) & pgMask) == 0 && (prot & (Prot.READ | Prot.WRITE)) != 0
                && (iova >>> ias) == 0 && (paddr >>> oas) == 0 && known != null) {
            int slot = (int) (iova >>> slotShift);
            RamWindow w = slot < known.length ? known[slot] : null;
            if (w != null) {
                byte[] d = w.data();
                int p = w.offset() + ((int) ((iova >>> pgShift) & idxMask) << 3);
                if (((long) LE64.get(d, p) & valid) == 0) {
                    LE64.set(d, p, format.leafBits(prot) | ((paddr >>> paShift) & paMask));
                    return pgSize;
                }
            }
        }
        return mapRun(iova, paddr, pgsize, pgcount, prot);
    }

    private long mapRun(long iova, long paddr, long pgsize, long pgcount, int prot) {
        if (pgsize != pgSize || ((iova | paddr) & pgMask) != 0 || (prot & (Prot.READ | Prot.WRITE)) == 0
                || pgcount <= 0) {
            if (pgcount == 0 && pgsize == pgSize && ((iova | paddr) & pgMask) == 0
                    && (prot & (Prot.READ | Prot.WRITE)) != 0) {
                return 0;
            }
            throw mapInvalid(iova, paddr, pgsize, pgcount, prot);
        }
        long ttbrIdx = iova >>> ttbrShift;
        // io-pgtable itself only checks the TTBR index, not IAS (dart-facts §2.1 observation: the domain
        // aperture keeps the DMA API below 2^IAS). The formats are also used directly, so map refuses
        // every IOVA at or above 2^IAS.
        if ((iova >>> ias) != 0 || ttbrIdx >= ttbrLimit) {
            throw iovaRange(iova, ttbrIdx);
        }
        int idx = (int) ((iova >>> pgShift) & idxMask);
        long n = Math.min(pgcount, leafEntries - idx);
        long lastPa = paddr + ((n - 1) << pgShift);
        if ((paddr >>> oas) != 0 || (lastPa >>> oas) != 0) {
            throw new IommuException(Errno.ERANGE, String.format(
                    "%s: physical address 0x%x (run of %d pages of 0x%x) beyond the %d-bit output address space of %s",
                    format.name(), (paddr >>> oas) != 0 ? paddr : lastPa, n, pgSize, oas, ctx.owner()));
        }
        RamWindow w = leafWindow(iova, (int) ttbrIdx, true);
        byte[] d = w.data();
        int base = w.offset();
        int p = base + (idx << 3);
        int end = p + ((int) n << 3);
        // Any entry with VALID set refuses the whole run (Linux: nothing written). One page needs one
        // load; a run is ORed together, one branch for the common free run.
        boolean taken = n == 1 ? ((long) LE64.get(d, p) & valid) != 0 : anyValid(d, p, end);
        if (taken) {
            int q = p;
            while (((long) LE64.get(d, q) & valid) == 0) {
                q += 8;
            }
            throw exists(iova, q - p, n);
        }
        long pte = format.leafBits(prot) | ((paddr >>> paShift) & paMask);
        long step = pgSize >>> paShift;
        for (int q = p; q < end; q += 8, pte += step) {
            LE64.set(d, q, pte);
        }
        return n << pgShift;
    }

    private boolean anyValid(byte[] d, int p, int end) {
        long used = 0;
        for (int q = p; q < end; q += 8) {
            used |= (long) LE64.get(d, q);
        }
        return (used & valid) != 0;
    }

    /**
     * The window on the leaf table of {@code iova}: the one remembered in its slot, else found by
     * walking the tables in memory (allocating missing ones if {@code alloc}) and remembered.
     *
     * @return the window, or null if a table is missing and {@code alloc} is false
     */
    private RamWindow leafWindow(long iova, int ttbrIdx, boolean alloc) {
        RamWindow known = slots != null ? slots[(int) (iova >>> slotShift)] : null;
        // kept tiny so that the JIT inlines it into every hot path; the walk is out of line
        return known != null ? known : walkToLeafWindow(iova, ttbrIdx, alloc);
    }

    private RamWindow walkToLeafWindow(long iova, int ttbrIdx, boolean alloc) {
        long leaf = leafTable(iova, ttbrIdx, alloc);
        if (leaf == 0) {
            return null;
        }
        RamWindow w = memory.window(leaf, (int) pgSize);
        if (slots != null) {
            // A plain store is enough: RamWindow's fields are final, so a racing reader sees a whole window.
            slots[(int) (iova >>> slotShift)] = w;
        }
        return w;
    }

    /** One page whose leaf table is known is cleared here (small enough to inline, as map); the rest in {@link #unmapRun}. */
    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        RamWindow[] known = slots;
        if (pgcount == 1 && pgsize == pgSize && (iova & pgMask) == 0 && (iova >>> ias) == 0 && known != null) {
            int slot = (int) (iova >>> slotShift);
            RamWindow w = slot < known.length ? known[slot] : null;
            if (w != null) {
                byte[] d = w.data();
                int p = w.offset() + ((int) ((iova >>> pgShift) & idxMask) << 3);
                // Walks test "entry != 0" (dart-facts §2.3): a zero entry is a hole, nothing unmapped.
                if ((long) LE64.get(d, p) == 0) {
                    return 0;
                }
                LE64.set(d, p, 0L);
                if (flush != TlbFlushOps.NONE && (gather == null || !gather.queued())) {
                    flush.tlbAddPage(gather, iova, pgSize);
                }
                return pgSize;
            }
        }
        return unmapRun(iova, pgsize, pgcount, gather);
    }

    private long unmapRun(long iova, long pgsize, long pgcount, IotlbGather gather) {
        long ttbrIdx = iova >>> ttbrShift;
        if (pgsize != pgSize || pgcount <= 0 || (iova & pgMask) != 0 || ttbrIdx >= ttbrLimit) {
            return unmapRefused(iova, pgsize, pgcount);
        }
        RamWindow w = leafWindow(iova, (int) ttbrIdx, false);
        if (w == null) {
            return 0;
        }
        byte[] d = w.data();
        int base = w.offset();
        int idx = (int) ((iova >>> pgShift) & idxMask);
        long n = Math.min(pgcount, leafEntries - idx);
        int p = base + (idx << 3);
        int end = p + ((int) n << 3);
        // Walks test "entry != 0" (dart-facts §2.3): the first zero entry ends the unmap.
        if (n == 1) {
            // the DMA API's common case: one page, no scan and no fill call
            if ((long) LE64.get(d, p) == 0) {
                return 0;
            }
            LE64.set(d, p, 0L);
            if (flush != TlbFlushOps.NONE && (gather == null || !gather.queued())) {
                flush.tlbAddPage(gather, iova, 1L << pgShift);
            }
            return 1L << pgShift;
        }
        // One pass: clear entries up to the first zero one (the array is the table, so the clear is
        // a plain store; no separate scan and fill call).
        int q = p;
        while (q < end && (long) LE64.get(d, q) != 0) {
            LE64.set(d, q, 0L);
            q += 8;
        }
        long cleared = (q - p) >>> 3;
        // io_pgtable_tlb_add_page per cleared page with the page size, as __dart_unmap does; skipped
        // when the gather is queued (flush queue: the whole domain is flushed later).
        if (flush != TlbFlushOps.NONE && (gather == null || !gather.queued())) {
            long pg = 1L << pgShift;
            for (long i = 0; i < cleared; i++) {
                flush.tlbAddPage(gather, iova + (i << pgShift), pg);
            }
        }
        return cleared << pgShift;
    }

    @Override
    public long iovaToPhys(long iova) {
        long ttbrIdx = iova >>> ttbrShift;
        if (ttbrIdx >= ttbrLimit) {
            return 0;
        }
        // the slot is read here rather than through leafWindow(): measured 4.9 against 6.6 ns per
        // independent lookup (JMH LookupBench), a difference in what C2 makes of the two shapes
        RamWindow w = slots != null ? slots[(int) (iova >>> slotShift)] : null;
        if (w == null && (w = walkToLeafWindow(iova, (int) ttbrIdx, false)) == null) {
            return 0;
        }
        long pte = (long) LE64.get(w.data(), w.offset() + (int) (((iova >>> pgShift) & idxMask) << 3));
        if (pte == 0) {
            return 0;
        }
        return ((pte & paMask) << paShift) | (iova & pgMask);
    }

    /** @return the tables held: counted since alloc, or walked for a table re-opened by attach (0 once freed) */
    @Override
    public synchronized long tablePages() {
        if (!reopened) {
            return pages.count();
        }
        return ttbrLimit == 0 ? 0 : countTablesByWalking();
    }

    @Override
    public long tableBytes() {
        return tablePages() * pages.tableBytes();
    }

    @Override
    public synchronized void free() {
        if (ttbrLimit == 0) {
            return;
        }
        ttbrLimit = 0;
        if (slots != null) {
            Arrays.fill(slots, null);
        }
        flush.tlbFlushAll();
        for (long root : roots) {
            freeLevel(root, tableLevels);
        }
        LOG.debug("{}: freed table of {} ({} tables left)", format.name(), ctx.owner(), tablePages());
    }

    /** Frees the table at {@code table} (at level {@code k}) and every table below it. */
    private void freeLevel(long table, int k) {
        if (k > 1) {
            for (long q = table, end = table + pgSize; q < end; q += 8) {
                long pte = memory.read64(q);
                if (pte != 0) {
                    freeLevel((pte & paMask) << paShift, k - 1);
                }
            }
        }
        pages.freeTable(table);
    }

    /** @return tables reachable from the roots, roots included (what free returns) */
    public long countTablesByWalking() {
        long n = 0;
        for (long root : roots) {
            n += countLevel(root, tableLevels);
        }
        return n;
    }

    private long countLevel(long table, int k) {
        long n = 1;
        if (k > 1) {
            for (long q = table, end = table + pgSize; q < end; q += 8) {
                long pte = memory.read64(q);
                if (pte != 0) {
                    n += countLevel((pte & paMask) << paShift, k - 1);
                }
            }
        }
        return n;
    }

    // ---- cold paths: error messages ----

    private IommuException mapInvalid(long iova, long paddr, long pgsize, long pgcount, int prot) {
        String what;
        if (pgsize != pgSize) {
            what = String.format("page size 0x%x not supported (the table maps 0x%x pages only)", pgsize, pgSize);
        } else if ((prot & (Prot.READ | Prot.WRITE)) == 0) {
            what = String.format("protection 0x%x at IOVA 0x%x has neither READ nor WRITE", prot, iova);
        } else if ((iova & pgMask) != 0) {
            what = String.format("IOVA 0x%x is not aligned to the page size 0x%x", iova, pgSize);
        } else if ((paddr & pgMask) != 0) {
            what = String.format("physical address 0x%x (IOVA 0x%x) is not aligned to the page size 0x%x", paddr,
                    iova, pgSize);
        } else {
            what = String.format("page count %d at IOVA 0x%x is negative", pgcount, iova);
        }
        return new IommuException(Errno.EINVAL, format.name() + ": map for " + ctx.owner() + ": " + what);
    }

    private IommuException iovaRange(long iova, long ttbrIdx) {
        if (ttbrLimit == 0) {
            return new IommuException(Errno.EINVAL, String.format("%s: map of IOVA 0x%x on the freed table of %s",
                    format.name(), iova, ctx.owner()));
        }
        return new IommuException(Errno.ERANGE, String.format(
                "%s: IOVA 0x%x beyond the %d-bit input address space of %s (TTBR index %d of %d)", format.name(),
                iova, ias, ctx.owner(), ttbrIdx, roots.length));
    }

    private IommuException exists(long iova, long offset, long n) {
        long at = iova + ((offset >>> 3) << pgShift);
        return new IommuException(Errno.EEXIST, String.format(
                "%s: IOVA 0x%x is already mapped (map of %d pages at 0x%x for %s; nothing written)", format.name(),
                at, n, iova, ctx.owner()));
    }

    private long unmapRefused(long iova, long pgsize, long pgcount) {
        if (pgsize != pgSize || (iova & pgMask) != 0) {
            // Linux WARNs and returns 0 for a page-size mismatch.
            LOG.warn("{}: unmap of {} pages of 0x{} at IOVA 0x{} for {} refused (table page size 0x{})",
                    format.name(), pgcount, Long.toHexString(pgsize), Long.toHexString(iova), ctx.owner(),
                    Long.toHexString(pgSize));
        }
        return 0;
    }
}
