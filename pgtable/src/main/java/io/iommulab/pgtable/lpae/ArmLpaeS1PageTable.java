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
 */
public final class ArmLpaeS1PageTable implements PageTableOps {

    private static final Logger LOG = LoggerFactory.getLogger(ArmLpaeS1PageTable.class);
    private static final long WARN_INTERVAL_NANOS = 5_000_000_000L;
    private static final int LEAF_LEVEL = LpaeS1Pte.LEAF_LEVEL;

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
    /** Last rate-limited warning, System.nanoTime(); 0 when none yet. */
    private volatile long lastWarn;
    private volatile boolean freed;

    ArmLpaeS1PageTable(LpaeS1Geometry geometry, PageTableContext ctx, TablePages tables, long ttbr) {
        this.geometry = geometry;
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
        checkMap(iova, paddr, pgsize, pgcount, prot);
        if (pgcount == 0) {
            return 0;
        }
        int target = levelOf(pgsize);
        int idx = (int) ((iova >>> shift[target]) & indexMask[target]);
        int n = (int) Math.min(pgcount, indexMask[target] + 1 - idx);
        if (((paddr + (long) n * pgsize - 1) >>> oas) != 0) {
            throw new IommuException(Errno.ERANGE, String.format("%s %s: PA range 0x%x+0x%x goes beyond the %d-bit OAS",
                    LpaeS1Geometry.FORMAT, owner, paddr, n * pgsize, oas));
        }
        long table = ttbr;
        for (int lvl = startLevel; lvl < target; lvl++) {
            long ptep = table + (((iova >>> shift[lvl]) & indexMask[lvl]) << 3);
            long pte = memory.read64(ptep);
            if (pte == 0) {
                pte = installTable(ptep, lvl, iova);
            }
            if (!LpaeS1Pte.isTable(pte, lvl)) {
                throw new IommuException(Errno.EEXIST, String.format(
                        "%s %s: IOVA 0x%x already mapped by a level-%d block (entry 0x%x); unmap it first",
                        LpaeS1Geometry.FORMAT, owner, iova, lvl, pte));
            }
            table = pte & oaMask;
        }
        long ptep = table + ((long) idx << 3);
        if (checkTargets(ptep, n, iova, pgsize, target)) {
            replaceTables(ptep, n, iova, pgsize, target);
        }
        long attrs = LpaeS1Pte.protToPte(prot) | LpaeS1Pte.leafType(target);
        for (int i = 0; i < n; i++) {
            memory.write64(ptep + ((long) i << 3), attrs | ((paddr + i * pgsize) & oaMask));
        }
        return n * pgsize;
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
        if (pgsize == 0 || (pgsize & pgsizeBitmap) != pgsize || (pgsize & (pgsize - 1)) != 0 || pgcount <= 0
                || (iova >>> ias) != 0) {
            LOG.debug("{} {}: unmap of {} x 0x{} at IOVA 0x{} refused (page sizes 0x{}, IAS {})", LpaeS1Geometry.FORMAT,
                    owner, pgcount, Long.toHexString(pgsize), Long.toHexString(iova), Long.toHexString(pgsizeBitmap), ias);
            return 0;
        }
        int target = levelOf(pgsize);
        long table = ttbr;
        int lvl = startLevel;
        long ptep;
        while (true) {
            ptep = table + (((iova >>> shift[lvl]) & indexMask[lvl]) << 3);
            long pte = memory.read64(ptep);
            if (pte == 0) {
                return 0;
            }
            if (lvl == target) {
                break;
            }
            if (!LpaeS1Pte.isTable(pte, lvl)) {
                warnPartial(iova, pgsize, lvl);
                return 0;
            }
            table = pte & oaMask;
            lvl++;
        }
        int idx = (int) ((iova >>> shift[target]) & indexMask[target]);
        int n = (int) Math.min(pgcount, indexMask[target] + 1 - idx);
        int i = 0;
        for (; i < n; i++) {
            long p = ptep + ((long) i << 3);
            long pte = memory.read64(p);
            if (pte == 0) {
                break;
            }
            memory.write64(p, 0);
            if (LpaeS1Pte.isTable(pte, target)) {
                // A block-sized range mapped with smaller pages: drop the whole sub-table, as Linux does.
                flush.tlbFlushWalk(iova + i * pgsize, pgsize, granule);
                freeTables(pte & oaMask, target + 1);
            }
        }
        if (gather == null || !gather.queued()) {
            for (int j = 0; j < i; j++) {
                flush.tlbAddPage(gather, iova + j * pgsize, pgsize);
            }
        }
        return i * pgsize;
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
        for (int lvl = startLevel; ; lvl++) {
            long pte = memory.read64(table + (((iova >>> shift[lvl]) & indexMask[lvl]) << 3));
            if (LpaeS1Pte.isLeaf(pte, lvl)) {
                return (pte & oaMask) | (iova & ((1L << shift[lvl]) - 1));
            }
            if (!LpaeS1Pte.isTable(pte, lvl)) {
                return 0;
            }
            table = pte & oaMask;
        }
    }

    @Override
    public long tablePages() {
        return tables.count();
    }

    @Override
    public long tableBytes() {
        return tables.count() * tables.tableBytes();
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

    /** @return tables reachable from TTBR0, the top one included (for attach) */
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

    /** @return the level whose descriptors map {@code pgsize} bytes (pgsize is in the settled bitmap) */
    private int levelOf(long pgsize) {
        return LpaeS1Geometry.MAX_LEVELS - (Long.numberOfTrailingZeros(pgsize) - 3) / bitsPerLevel;
    }
}
