package io.iommulab.pgtable.table;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.pgtable.PageTableContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Table pages of one page table: allocation (zeroed, naturally aligned, from the context's
 * {@link PageAllocator}), accounting, and the compare-and-swap install of a new table pointer
 * that io-pgtable uses so that concurrent maps of disjoint ranges can share a parent table.
 *
 * <p>Thread-safe: the count is atomic, the install is a CAS on the entry.
 */
public final class TablePages {

    private final PhysicalMemory memory;
    private final PageAllocator pages;
    private final String owner;
    private final int order;
    private final long tableBytes;
    private final AtomicLong count = new AtomicLong();

    /**
     * @param ctx   where the tables live and who allocates them
     * @param order log2 of (table bytes / PageAllocator.PAGE_SIZE): 0 for 4 KiB tables, 2 for 16 KiB, 4 for 64 KiB
     */
    public TablePages(PageTableContext ctx, int order) {
        if (order < 0 || order > 20) {
            throw new IommuException(Errno.EINVAL, "TablePages for " + ctx.owner() + ": table order " + order
                    + " not supported (0..20)");
        }
        this.memory = ctx.memory();
        this.pages = ctx.pages();
        this.owner = ctx.owner();
        this.order = order;
        this.tableBytes = (long) PageAllocator.PAGE_SIZE << order;
    }

    /**
     * @return physical address of a new zeroed table, aligned to its size (the allocator hands out
     *         zeroed, naturally aligned blocks)
     * @throws IommuException ENOMEM from the allocator, unchanged
     */
    public long allocTable() {
        long pa = pages.allocPages(order, owner);
        count.incrementAndGet();
        return pa;
    }

    /** Returns a table to the allocator. */
    public void freeTable(long pa) {
        pages.freePages(pa);
        count.decrementAndGet();
    }

    /**
     * Installs a new table pointer with a CAS at {@code entryPa} (expected 0), as io-pgtable's
     * {@code cmpxchg64} in {@code __arm_lpae_install_table} / {@code dart_install_table}.
     *
     * @param entryPa    physical address of the parent entry
     * @param tableEntry the entry value pointing at {@code newTablePa}
     * @param newTablePa the table allocated for it; freed here if another thread won
     * @return 0 on success, otherwise the winner's entry value (the caller uses that table)
     */
    public long installTable(long entryPa, long tableEntry, long newTablePa) {
        long old = memory.compareAndExchange64(entryPa, 0L, tableEntry);
        if (old != 0L) {
            freeTable(newTablePa);
        }
        return old;
    }

    /** @return tables held now */
    public long count() {
        return count.get();
    }

    /** @return bytes per table */
    public long tableBytes() {
        return tableBytes;
    }

    /** @return log2 of the table size in allocator pages */
    public int order() {
        return order;
    }

    /** @return the memory the tables live in */
    public PhysicalMemory memory() {
        return memory;
    }

    /** @return bits [hi:lo] of {@code v}, shifted down */
    public static long bits(long v, int hi, int lo) {
        return (v >>> lo) & mask(hi - lo + 1);
    }

    /** @return a mask of the low {@code n} bits (n in 0..64) */
    public static long mask(int n) {
        return n >= 64 ? -1L : (1L << n) - 1;
    }

    /** @return a mask of bits [hi:lo] in place (GENMASK_ULL) */
    public static long genmask(int hi, int lo) {
        return mask(hi - lo + 1) << lo;
    }
}
