package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.PhysicalMemory;

/**
 * The driver's page-table code for the test-iommu format (entry layout in
 * {@link TestIommuRegs}): one L1 table allocated up front, L2 tables
 * allocated on demand and installed with cmpxchg so that maps of disjoint ranges may race.
 * L2 tables stay until {@link #free()} except when a 2 MiB unmap removes a whole table.
 *
 * <p>Fields: {@code memory} where the tables live; {@code pages} where table pages come from;
 * {@code owner} the allocation owner; {@code l1} the L1 table's physical address.
 */
final class TestPageTable {

    static final long PAGE_MASK = PAGE_SIZE - 1;
    static final long BLOCK_MASK = BLOCK_SIZE - 1;

    private final PhysicalMemory memory;
    private final PageAllocator pages;
    private final String owner;
    private final long l1;

    /** A table already in memory (a live update takes it over): nothing is allocated or cleared. */
    private TestPageTable(PhysicalMemory memory, PageAllocator pages, String owner, long l1) {
        this.memory = memory;
        this.pages = pages;
        this.owner = owner;
        this.l1 = l1;
    }

    /**
     * Re-opens the table at {@code l1}: its L1 page must be readable memory.
     *
     * @throws IommuException EIO naming the address when it is not
     */
    static TestPageTable attach(PhysicalMemory memory, PageAllocator pages, String owner, long l1) {
        try {
            memory.read64(l1);
        } catch (IommuException e) {
            throw new IommuException(Errno.EIO, owner + ": L1 table at 0x" + Long.toHexString(l1) + " is not in RAM");
        }
        return new TestPageTable(memory, pages, owner, l1);
    }

    TestPageTable(PhysicalMemory memory, PageAllocator pages, String owner) {
        this.memory = memory;
        this.pages = pages;
        this.owner = owner;
        long table = pages.allocPages(0, owner);
        if (((table >>> TTBR_ADDR_SHIFT) & ~(long) TTBR_ADDR_MASK) != 0) {
            pages.freePages(table);
            throw new IommuException(Errno.ENOMEM, owner + ": L1 table at 0x" + Long.toHexString(table)
                    + " is beyond the 2^40 bytes TTBR reaches");
        }
        this.l1 = table;
    }

    long l1() {
        return l1;
    }

    /** @return a leaf entry (L2 page or L1 block) for output address {@code pa} with IOMMU prot flags */
    static long leafPte(long pa, int prot) {
        return (pa & PTE_ADDR_MASK) | PTE_VALID
                | ((prot & Prot.READ) != 0 ? PTE_READ : 0)
                | ((prot & Prot.WRITE) != 0 ? PTE_WRITE : 0);
    }

    /** @return an L1 entry pointing at the L2 table at {@code table} */
    static long tablePte(long table) {
        return (table & PTE_ADDR_MASK) | PTE_TABLE | PTE_VALID;
    }

    static boolean isValid(long pte) {
        return (pte & PTE_VALID) != 0;
    }

    static boolean isTable(long l1e) {
        return (l1e & PTE_TABLE) != 0;
    }

    private long l1Slot(long iova) {
        return l1 + 8L * l1Index(iova);
    }

    private static long l2Slot(long l2, long iova) {
        return l2 + 8L * l2Index(iova);
    }

    /**
     * map_pages. Every target entry is checked before anything is written, so EEXIST changes
     * nothing; an allocation failure part-way reports what was mapped in partialBytes.
     */
    long map(long iova, long paddr, long pgsize, long pgcount, int prot) {
        long size = pgsize * pgcount;
        if (pgsize == PAGE_SIZE) {
            checkFree4k(iova, size);
            return map4k(iova, paddr, size, leafPte(0, prot));
        }
        checkFreeBlocks(iova, size);
        return mapBlocks(iova, paddr, size, leafPte(0, prot));
    }

    private void checkFree4k(long iova, long size) {
        long end = iova + size;
        for (long va = iova; va < end; va = nextBlock(va, end)) {
            long l1e = memory.read64(l1Slot(va));
            if (!isValid(l1e)) {
                continue;
            }
            if (!isTable(l1e)) {
                throw exists(va, "a 2 MiB block");
            }
            long l2 = l1e & PTE_ADDR_MASK;
            for (long p = va, stop = nextBlock(va, end); p < stop; p += PAGE_SIZE) {
                if (isValid(memory.read64(l2Slot(l2, p)))) {
                    throw exists(p, "a page");
                }
            }
        }
    }

    private void checkFreeBlocks(long iova, long size) {
        for (long va = iova; va < iova + size; va += BLOCK_SIZE) {
            long l1e = memory.read64(l1Slot(va));
            if (isValid(l1e) && (!isTable(l1e) || !tableEmpty(l1e & PTE_ADDR_MASK))) {
                throw exists(va, isTable(l1e) ? "pages" : "a 2 MiB block");
            }
        }
    }

    private IommuException exists(long va, String what) {
        return new IommuException(Errno.EEXIST, owner + ": IOVA 0x" + Long.toHexString(va) + " is already mapped by " + what);
    }

    private static long nextBlock(long va, long end) {
        return Math.min((va | BLOCK_MASK) + 1, end);
    }

    private long map4k(long iova, long paddr, long size, long attrs) {
        long end = iova + size;
        long done = 0;
        for (long va = iova; va < end; ) {
            long l2;
            try {
                l2 = l2Table(va);
            } catch (IommuException e) {
                throw new IommuException(e.errno(), owner + ": no L2 table for IOVA 0x" + Long.toHexString(va)
                        + " (mapped 0x" + Long.toHexString(done) + " of 0x" + Long.toHexString(size) + " bytes)", done, e);
            }
            for (long stop = nextBlock(va, end); va < stop; va += PAGE_SIZE, done += PAGE_SIZE) {
                memory.write64(l2Slot(l2, va), attrs | ((paddr + done) & PTE_ADDR_MASK));
            }
        }
        return done;
    }

    /** @return the L2 table for {@code iova}, allocating and installing one if the L1 entry is empty */
    private long l2Table(long iova) {
        long slot = l1Slot(iova);
        long l1e = memory.read64(slot);
        if (isValid(l1e)) {
            return l1e & PTE_ADDR_MASK;
        }
        long table = pages.allocPages(0, owner);
        long found = memory.compareAndExchange64(slot, l1e, tablePte(table));
        if (found == l1e) {
            return table;
        }
        // Another map of the same 2 MiB region installed a table first: use it.
        pages.freePages(table);
        if (isValid(found) && isTable(found)) {
            return found & PTE_ADDR_MASK;
        }
        throw exists(iova, "a 2 MiB block");
    }

    private long mapBlocks(long iova, long paddr, long size, long attrs) {
        long done = 0;
        for (long va = iova; done < size; va += BLOCK_SIZE, done += BLOCK_SIZE) {
            long slot = l1Slot(va);
            long old = memory.read64(slot);
            long found = memory.compareAndExchange64(slot, old, attrs | ((paddr + done) & PTE_BLOCK_ADDR_MASK));
            if (found != old) {
                throw new IommuException(Errno.EEXIST, owner + ": IOVA 0x" + Long.toHexString(va)
                        + " was mapped concurrently", done, null);
            }
            if (isValid(old)) {
                // checkFreeBlocks allowed only an empty table here; nothing can reach it any more.
                pages.freePages(old & PTE_ADDR_MASK);
            }
        }
        return done;
    }

    private boolean tableEmpty(long table) {
        for (int i = 0; i < PTES_PER_TABLE; i++) {
            if (isValid(memory.read64(table + 8L * i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * unmap_pages: clears up to {@code pgcount} entries of {@code pgsize}, stopping at the first
     * hole. A 4 KiB unmap that meets a 2 MiB block stops there (part of a block is never unmapped);
     * a 2 MiB unmap over an L2 table with mappings clears and frees the whole table.
     *
     * @return bytes unmapped
     */
    long unmap(long iova, long pgsize, long pgcount) {
        long size = pgsize * pgcount;
        return pgsize == PAGE_SIZE ? unmap4k(iova, size) : unmapBlocks(iova, size);
    }

    private long unmap4k(long iova, long size) {
        long end = iova + size;
        long done = 0;
        for (long va = iova; va < end; ) {
            long l1e = memory.read64(l1Slot(va));
            if (!isValid(l1e) || !isTable(l1e)) {
                return done;
            }
            long l2 = l1e & PTE_ADDR_MASK;
            for (long stop = nextBlock(va, end); va < stop; va += PAGE_SIZE, done += PAGE_SIZE) {
                long slot = l2Slot(l2, va);
                if (!isValid(memory.read64(slot))) {
                    return done;
                }
                memory.write64(slot, 0);
            }
        }
        return done;
    }

    private long unmapBlocks(long iova, long size) {
        long done = 0;
        for (long va = iova; done < size; va += BLOCK_SIZE, done += BLOCK_SIZE) {
            long slot = l1Slot(va);
            long l1e = memory.read64(slot);
            if (!isValid(l1e) || (isTable(l1e) && tableEmpty(l1e & PTE_ADDR_MASK))) {
                return done;
            }
            if (memory.compareAndExchange64(slot, l1e, 0) != l1e) {
                return done;
            }
            if (isTable(l1e)) {
                pages.freePages(l1e & PTE_ADDR_MASK);
            }
        }
        return done;
    }

    /** iova_to_phys: @return the output address, 0 when unmapped */
    long iovaToPhys(long iova) {
        if ((iova >>> IAS) != 0) {
            return 0;
        }
        long l1e = memory.read64(l1Slot(iova));
        if (!isValid(l1e)) {
            return 0;
        }
        if (!isTable(l1e)) {
            return (l1e & PTE_BLOCK_ADDR_MASK) | (iova & BLOCK_MASK);
        }
        long pte = memory.read64(l2Slot(l1e & PTE_ADDR_MASK, iova));
        return isValid(pte) ? (pte & PTE_ADDR_MASK) | (iova & PAGE_MASK) : 0;
    }

    /** Returns every table page (each L2, then L1) to the allocator. */
    void free() {
        for (int i = 0; i < PTES_PER_TABLE; i++) {
            long l1e = memory.read64(l1 + 8L * i);
            if (isValid(l1e) && isTable(l1e)) {
                pages.freePages(l1e & PTE_ADDR_MASK);
            }
        }
        pages.freePages(l1);
    }
}
