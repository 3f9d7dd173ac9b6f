package io.iommulab.pgtable.lpae;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.pgtable.table.TablePages;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ARM LPAE stage-1 table (struct arm_lpae_io_pgtable with the ARM_64_LPAE_S1 ops): map, unmap,
 * lookup and free over tables in the machine's physical memory, the very tables the SMMU model walks.
 *
 * <p>Concurrency: map/unmap of disjoint ranges may run from several threads. Intermediate tables
 * are installed with a compare-and-swap ({@link TablePages#installTable}); the loser frees its copy
 * and descends into the winner's. Leaves of disjoint ranges are different words, written plainly.
 *
 * <p>Differences from Linux, all refusing rather than guessing: a map whose target range holds a
 * table with live leaves below it fails with EEXIST instead of silently dropping those leaves (an
 * empty table is still freed and replaced by the block, as Linux does); a map rejects IOVA/PA not
 * aligned to the page size and a run whose last byte lies beyond OAS; a run never leaves the top
 * table (the top table may be smaller than a granule).
 *
 * <p>Hot path ({@link #mapPages}, {@link #unmapPages}, {@link #iovaToPhys}): one walk per call with
 * the shift and index mask kept in locals (no per-level array loads), the target level looked up by
 * log2(pgsize), each entry read once, runs of {@link #BULK_ENTRIES} or more entries moved with one
 * bulk read/write through a per-thread scratch buffer, no allocation.
 */
public final class ArmLpaeS1PageTable implements PageTableOps {

    private static final Logger LOG = LoggerFactory.getLogger(ArmLpaeS1PageTable.class);
    private static final long WARN_INTERVAL_NANOS = 5_000_000_000L;
    private static final int LEAF_LEVEL = LpaeS1Pte.LEAF_LEVEL;
    /**
     * Runs of at least this many entries go through PhysicalMemory's bulk read/write (one range
     * check and an array copy) instead of one read64/write64 per entry.
     */
    static final int BULK_ENTRIES = 8;
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Per-thread copy of a run of entries; grown once to a whole table for granules above 4 KiB. */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[4 << 10]);

    private final LpaeS1Geometry geometry;
    private final PageTableState state;
    private final PhysicalMemory memory;
    private final TablePages tables;
    private final TlbFlushOps flush;
    private final String owner;
    private final long ttbr;
    private final int ias;
    private final int oas;
    private final int startLevel;
    private final int bitsPerLevel;
    private final long pgsizeBitmap;
    private final long granule;
    /** OA bits of a descriptor: [47:pg_shift] */
    private final long oaMask;
    /** Per level 0..3: log2 of the bytes one descriptor maps (ARM_LPAE_LVL_SHIFT). */
    private final int[] shift = new int[LpaeS1Geometry.MAX_LEVELS];
    /** Per level 0..3: index mask (the top table's is narrower). */
    private final long[] indexMask = new long[LpaeS1Geometry.MAX_LEVELS];
    /** shift[startLevel]: where every walk starts */
    private final int topShift;
    /** Entries of the top table and of every other table. */
    private final long topEntries;
    private final long fullEntries;
    /**
     * By log2(pgsize): the level whose descriptors map that size, for every size of the settled
     * bitmap (ARM_LPAE_MAX_LEVELS - (log2(pgsize) - 3) / bitsPerLevel, computed once).
     */
    private final int[] levelByShift = new int[64];
    /** Last rate-limited warning, System.nanoTime(); 0 when none yet. */
    private volatile long lastWarn;
    private volatile boolean freed;
    /**
     * Re-opened by {@link ArmLpaeS1Format#attach}: tables this object did not allocate, so their
     * number is not kept but walked when asked for ({@link #tablePages}); an attach in a live update
     * runs for every domain while the domains are paused, and a count there would read every table
     * above the leaves.
     */
    private final boolean reopened;

    /** @param reopened a table attach re-opened (not allocated by this object): its tables are walked when counted */
    ArmLpaeS1PageTable(LpaeS1Geometry geometry, PageTableContext ctx, TablePages tables, long ttbr, boolean reopened) {
        this.geometry = geometry;
        this.reopened = reopened;
        this.memory = ctx.memory();
        this.tables = tables;
        this.flush = ctx.flush() != null ? ctx.flush() : TlbFlushOps.NONE;
        this.owner = ctx.owner();
        this.ttbr = ttbr;
        this.ias = geometry.config().ias();
        this.oas = geometry.config().oas();
        this.startLevel = geometry.startLevel();
        this.bitsPerLevel = geometry.bitsPerLevel();
        this.pgsizeBitmap = geometry.config().pgsizeBitmap();
        this.granule = geometry.granule();
        this.oaMask = TablePages.genmask(LpaeS1Geometry.MAX_ADDR_BITS - 1, geometry.pgShift());
        for (int lvl = startLevel; lvl < LpaeS1Geometry.MAX_LEVELS; lvl++) {
            shift[lvl] = geometry.levelShift(lvl);
            indexMask[lvl] = geometry.entries(lvl) - 1;
        }
        this.topShift = shift[startLevel];
        this.topEntries = indexMask[startLevel] + 1;
        this.fullEntries = 1L << bitsPerLevel;
        for (int s = 0; s < 64; s++) {
            levelByShift[s] = (pgsizeBitmap & (1L << s)) != 0
                    ? LpaeS1Geometry.MAX_LEVELS - (s - 3) / bitsPerLevel : -1;
        }
        this.state = new PageTableState(LpaeS1Geometry.FORMAT, geometry.config(), new long[] {ttbr},
                geometry.levels(), geometry.hw());
    }

    @Override
    public PageTableState state() {
        return state;
    }

    /** @return the settled shape of this table */
    public LpaeS1Geometry geometry() {
        return geometry;
    }

    /** arm_lpae_map_pages + __arm_lpae_map: descend (installing tables), then write up to the end of the table. */
    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        if ((pgsize & (pgsize - 1)) != 0 || (pgsize & pgsizeBitmap) == 0 || (iova >>> ias) != 0 || (paddr >>> oas) != 0
                || (prot & (Prot.READ | Prot.WRITE)) == 0 || ((iova | paddr) & (pgsize - 1)) != 0 || pgcount <= 0) {
            // Cold: throws with the message for the first failed check; only pgcount == 0 comes back.
            checkMap(iova, paddr, pgsize, pgcount, prot);
            return 0;
        }
        int sz = Long.numberOfTrailingZeros(pgsize);
        int target = levelByShift[sz];
        long entries = target == startLevel ? topEntries : fullEntries;
        int idx = (int) ((iova >>> sz) & (entries - 1));
        int n = (int) Math.min(pgcount, entries - idx);
        if (((paddr + ((long) n << sz) - 1) >>> oas) != 0) {
            throw new IommuException(Errno.ERANGE, String.format("%s %s: PA range 0x%x+0x%x goes beyond the %d-bit OAS",
                    LpaeS1Geometry.FORMAT, owner, paddr, n * pgsize, oas));
        }
        long ptep = walkForMap(iova, target) + ((long) idx << 3);
        // paddr is aligned to pgsize (>= granule) and the run ends below 2^OAS <= 2^48: every OA is
        // already within oaMask, so the entries are one value stepped by pgsize.
        long pte = LpaeS1Pte.protToPte(prot) | LpaeS1Pte.leafType(target) | paddr;
        if (n >= BULK_ENTRIES) {
            mapRun(ptep, n, iova, pgsize, target, pte);
            return n * pgsize;
        }
        long end = ptep + ((long) n << 3);
        long any = 0;
        for (long q = ptep; q < end; q += 8) {
            any |= memory.read64(q);
        }
        if (any != 0 && checkTargets(ptep, n, iova, pgsize, target)) {
            replaceTables(ptep, n, iova, pgsize, target);
        }
        for (long q = ptep; q < end; q += 8, pte += pgsize) {
            memory.write64(q, pte);
        }
        return n * pgsize;
    }

    /** Descends from TTBR0 to the level-{@code target} table of {@code iova}, installing missing tables. */
    private long walkForMap(long iova, int target) {
        long table = ttbr;
        int s = topShift;
        long mask = topEntries - 1;
        for (int lvl = startLevel; lvl < target; lvl++) {
            long ptep = table + (((iova >>> s) & mask) << 3);
            long pte = memory.read64(ptep);
            if (pte == 0) {
                pte = installTable(ptep, lvl, iova);
            }
            // lvl < target <= LEAF_LEVEL: type 0b11 is a table pointer here
            if ((pte & LpaeS1Pte.TYPE_MASK) != LpaeS1Pte.TYPE_TABLE) {
                throw new IommuException(Errno.EEXIST, String.format(
                        "%s %s: IOVA 0x%x already mapped by a level-%d block (entry 0x%x); unmap it first",
                        LpaeS1Geometry.FORMAT, owner, iova, lvl, pte));
            }
            table = pte & oaMask;
            s -= bitsPerLevel;
            mask = fullEntries - 1;
        }
        return table;
    }

    /** Checks and writes {@code n} entries at {@code ptep} through one bulk read and one bulk write. */
    private void mapRun(long ptep, int n, long iova, long pgsize, int target, long pte) {
        int len = n << 3;
        byte[] buf = scratch(len);
        memory.read(ptep, buf, 0, len);
        long any = 0;
        for (int i = 0; i < len; i += 8) {
            any |= (long) LE64.get(buf, i);
        }
        if (any != 0 && checkTargets(ptep, n, iova, pgsize, target)) {
            replaceTables(ptep, n, iova, pgsize, target);
        }
        for (int i = 0; i < len; i += 8, pte += pgsize) {
            LE64.set(buf, i, pte);
        }
        memory.write(ptep, buf, 0, len);
    }

    /** @return this thread's scratch buffer, at least {@code len} bytes */
    private static byte[] scratch(int len) {
        byte[] buf = SCRATCH.get();
        if (buf.length < len) {
            buf = new byte[Math.max(len, buf.length << 1)];
            SCRATCH.set(buf);
        }
        return buf;
    }

    private void checkMap(long iova, long paddr, long pgsize, long pgcount, int prot) {
        if (pgsize == 0 || (pgsize & pgsizeBitmap) != pgsize || (pgsize & (pgsize - 1)) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s %s: page size 0x%x not in the page-size bitmap 0x%x",
                    LpaeS1Geometry.FORMAT, owner, pgsize, pgsizeBitmap));
        }
        if ((iova >>> ias) != 0) {
            throw new IommuException(Errno.ERANGE, String.format("%s %s: IOVA 0x%x beyond the %d-bit IAS",
                    LpaeS1Geometry.FORMAT, owner, iova, ias));
        }
        if ((paddr >>> oas) != 0) {
            throw new IommuException(Errno.ERANGE, String.format("%s %s: PA 0x%x beyond the %d-bit OAS",
                    LpaeS1Geometry.FORMAT, owner, paddr, oas));
        }
        if ((prot & (Prot.READ | Prot.WRITE)) == 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s %s: protection 0x%x at IOVA 0x%x has neither read nor write",
                    LpaeS1Geometry.FORMAT, owner, prot, iova));
        }
        if (((iova | paddr) & (pgsize - 1)) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s %s: IOVA 0x%x or PA 0x%x not aligned to the page size 0x%x",
                    LpaeS1Geometry.FORMAT, owner, iova, paddr, pgsize));
        }
        if (pgcount < 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s %s: page count %d at IOVA 0x%x",
                    LpaeS1Geometry.FORMAT, owner, pgcount, iova));
        }
    }

    /** Allocates a next-level table for the empty entry at {@code ptep} and installs it, or takes the winner's. */
    private long installTable(long ptep, int lvl, long iova) {
        long newTable;
        try {
            newTable = tables.allocTable();
        } catch (IommuException e) {
            if (e.errno() != Errno.ENOMEM) {
                throw e;
            }
            throw new IommuException(Errno.ENOMEM, String.format("%s %s: no memory for a level-%d table at IOVA 0x%x",
                    LpaeS1Geometry.FORMAT, owner, lvl + 1, iova), 0, e);
        }
        long entry = (newTable & oaMask) | LpaeS1Pte.TYPE_TABLE;
        long old = tables.installTable(ptep, entry, newTable);
        return old == 0 ? entry : old;
    }

    /**
     * arm_lpae_init_pte's checks, done before anything is written: an existing leaf is EEXIST; so is
     * a table with a live leaf below it.
     *
     * @return true if some target entry holds an (empty) table that the new leaves replace
     */
    private boolean checkTargets(long ptep, int n, long iova, long pgsize, int level) {
        boolean sawTable = false;
        for (int i = 0; i < n; i++) {
            long pte = memory.read64(ptep + ((long) i << 3));
            if (pte == 0) {
                continue;
            }
            if (!LpaeS1Pte.isTable(pte, level)) {
                throw new IommuException(Errno.EEXIST, String.format(
                        "%s %s: IOVA 0x%x already mapped (level-%d entry 0x%x); unmap it first",
                        LpaeS1Geometry.FORMAT, owner, iova + i * pgsize, level, pte));
            }
            if (hasLeaf(pte & oaMask, level + 1)) {
                throw new IommuException(Errno.EEXIST, String.format(
                        "%s %s: block 0x%x at IOVA 0x%x overlaps mappings below its level-%d entry; unmap them first",
                        LpaeS1Geometry.FORMAT, owner, pgsize, iova + i * pgsize, level));
            }
            sawTable = true;
        }
        return sawTable;
    }

    /** Clears and frees the empty tables in the target range, flushing walks cached through them. */
    private void replaceTables(long ptep, int n, long iova, long pgsize, int level) {
        for (int i = 0; i < n; i++) {
            long p = ptep + ((long) i << 3);
            long pte = memory.read64(p);
            if (pte != 0) {
                memory.write64(p, 0);
                flush.tlbFlushWalk(iova + i * pgsize, pgsize, granule);
                freeTables(pte & oaMask, level + 1);
            }
        }
    }

    /** arm_lpae_unmap_pages + __arm_lpae_unmap. */
    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        if ((pgsize & (pgsize - 1)) != 0 || (pgsize & pgsizeBitmap) == 0 || pgcount <= 0 || (iova >>> ias) != 0) {
            LOG.debug("{} {}: unmap of {} x 0x{} at IOVA 0x{} refused (page sizes 0x{}, IAS {})", LpaeS1Geometry.FORMAT,
                    owner, pgcount, Long.toHexString(pgsize), Long.toHexString(iova), Long.toHexString(pgsizeBitmap), ias);
            return 0;
        }
        int sz = Long.numberOfTrailingZeros(pgsize);
        int target = levelByShift[sz];
        long table = ttbr;
        int s = topShift;
        long mask = topEntries - 1;
        int lvl = startLevel;
        long ptep;
        while (true) {
            ptep = table + (((iova >>> s) & mask) << 3);
            long pte = memory.read64(ptep);
            if (pte == 0) {
                return 0;
            }
            if (lvl == target) {
                break;
            }
            // lvl < target <= LEAF_LEVEL: anything but a table pointer is a block covering more than pgsize
            if ((pte & LpaeS1Pte.TYPE_MASK) != LpaeS1Pte.TYPE_TABLE) {
                warnPartial(iova, pgsize, lvl);
                return 0;
            }
            table = pte & oaMask;
            s -= bitsPerLevel;
            mask = fullEntries - 1;
            lvl++;
        }
        long entries = target == startLevel ? topEntries : fullEntries;
        int idx = (int) ((iova >>> sz) & (entries - 1));
        int n = (int) Math.min(pgcount, entries - idx);
        int i;
        if (target == LEAF_LEVEL) {
            i = clearLeaves(ptep, n);
        } else {
            i = clearBlocks(ptep, n, iova, pgsize, target);
        }
        // io_pgtable_tlb_add_page per cleared page, as Linux; skipped when it can do nothing (no
        // flush ops and no gather) or the gather is queued (the whole domain is flushed later).
        if (gather == null ? flush != TlbFlushOps.NONE : !gather.queued()) {
            for (int j = 0; j < i; j++) {
                flush.tlbAddPage(gather, iova + j * pgsize, pgsize);
            }
        }
        return i * pgsize;
    }

    /**
     * Clears last-level entries from {@code ptep} up to the first empty one (the first is known to
     * be valid: the walk read it); page entries never point at tables.
     *
     * @return entries cleared
     */
    private int clearLeaves(long ptep, int n) {
        if (n >= BULK_ENTRIES) {
            int len = n << 3;
            byte[] buf = scratch(len);
            memory.read(ptep, buf, 0, len);
            int b = 8;
            while (b < len && (long) LE64.get(buf, b) != 0) {
                b += 8;
            }
            memory.fill(ptep, b, (byte) 0);
            return b >>> 3;
        }
        memory.write64(ptep, 0);
        int i = 1;
        for (; i < n; i++) {
            long p = ptep + ((long) i << 3);
            if (memory.read64(p) == 0) {
                break;
            }
            memory.write64(p, 0);
        }
        return i;
    }

    /**
     * Clears block-level entries up to the first empty one; an entry holding a table (a block-sized
     * range mapped with smaller pages) loses the whole sub-table, as Linux does.
     *
     * @return entries cleared
     */
    private int clearBlocks(long ptep, int n, long iova, long pgsize, int target) {
        int i = 0;
        for (; i < n; i++) {
            long p = ptep + ((long) i << 3);
            long pte = memory.read64(p);
            if (pte == 0) {
                break;
            }
            memory.write64(p, 0);
            if (LpaeS1Pte.isTable(pte, target)) {
                flush.tlbFlushWalk(iova + i * pgsize, pgsize, granule);
                freeTables(pte & oaMask, target + 1);
            }
        }
        return i;
    }

    private void warnPartial(long iova, long pgsize, int lvl) {
        long now = System.nanoTime();
        long last = lastWarn;
        if (last == 0 || now - last >= WARN_INTERVAL_NANOS) {
            lastWarn = now == 0 ? 1 : now;
            LOG.warn("{} {}: unmap of 0x{} at IOVA 0x{} hits a level-{} block: unmap of a partial large IOPTE is not allowed",
                    LpaeS1Geometry.FORMAT, owner, Long.toHexString(pgsize), Long.toHexString(iova), lvl);
        } else {
            LOG.debug("{} {}: partial unmap of a level-{} block at IOVA 0x{} refused", LpaeS1Geometry.FORMAT, owner, lvl,
                    Long.toHexString(iova));
        }
    }

    /** arm_lpae_iova_to_phys: walk to the leaf and add the offset inside the page or block. */
    @Override
    public long iovaToPhys(long iova) {
        if ((iova >>> ias) != 0) {
            return 0;
        }
        long table = ttbr;
        int s = topShift;
        long mask = topEntries - 1;
        for (int lvl = startLevel; ; lvl++) {
            long pte = memory.read64(table + (((iova >>> s) & mask) << 3));
            long type = pte & LpaeS1Pte.TYPE_MASK;
            if (lvl == LEAF_LEVEL) {
                return type == LpaeS1Pte.TYPE_PAGE ? (pte & oaMask) | (iova & ((1L << s) - 1)) : 0;
            }
            if (type == LpaeS1Pte.TYPE_BLOCK) {
                return (pte & oaMask) | (iova & ((1L << s) - 1));
            }
            if (type != LpaeS1Pte.TYPE_TABLE) {
                return 0;
            }
            table = pte & oaMask;
            s -= bitsPerLevel;
            mask = fullEntries - 1;
        }
    }

    /** @return the tables held: counted since alloc, or walked for a table re-opened by attach (0 once freed) */
    @Override
    public synchronized long tablePages() {
        if (!reopened) {
            return tables.count();
        }
        return freed ? 0 : countTables();
    }

    @Override
    public long tableBytes() {
        return tablePages() * tables.tableBytes();
    }

    /** free_io_pgtable_ops: flush everything, then return every table reachable from TTBR0, the top one too. */
    @Override
    public synchronized void free() {
        if (freed) {
            LOG.warn("{} {}: free of a table already freed (TTBR0 0x{})", LpaeS1Geometry.FORMAT, owner, Long.toHexString(ttbr));
            return;
        }
        freed = true;
        flush.tlbFlushAll();
        freeTables(ttbr, startLevel);
    }

    /** __arm_lpae_free_pgtable: the table at {@code table} (a level-{@code level} table) and all below it. */
    private void freeTables(long table, int level) {
        if (level < LEAF_LEVEL) {
            int n = (int) indexMask[level] + 1;
            for (int i = 0; i < n; i++) {
                long pte = memory.read64(table + ((long) i << 3));
                if (LpaeS1Pte.isTable(pte, level)) {
                    freeTables(pte & oaMask, level + 1);
                }
            }
        }
        tables.freeTable(table);
    }

    /** @return true if a valid entry other than a table pointer lies in or below the table */
    private boolean hasLeaf(long table, int level) {
        int n = (int) indexMask[level] + 1;
        for (int i = 0; i < n; i++) {
            long pte = memory.read64(table + ((long) i << 3));
            if (pte != 0 && (!LpaeS1Pte.isTable(pte, level) || hasLeaf(pte & oaMask, level + 1))) {
                return true;
            }
        }
        return false;
    }

    /** @return tables reachable from TTBR0, the top one included (the count of a re-opened table) */
    long countTables() {
        return countTables(ttbr, startLevel);
    }

    private long countTables(long table, int level) {
        long count = 1;
        if (level < LEAF_LEVEL) {
            int n = (int) indexMask[level] + 1;
            for (int i = 0; i < n; i++) {
                long pte = memory.read64(table + ((long) i << 3));
                if (LpaeS1Pte.isTable(pte, level)) {
                    count += countTables(pte & oaMask, level + 1);
                }
            }
        }
        return count;
    }
}
