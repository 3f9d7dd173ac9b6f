package io.iommulab.testiommu.model;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;

/**
 * The table walker: reads the two levels of entries in physical memory and decodes them, as
 * the datasheet ({@code test-iommu-model/README.md}) describes. Stateless apart from the memory it reads.
 */
final class TestIommuWalker {

    /** IOTLB permission bit: reads allowed. */
    static final int PERM_READ = 1;
    /** IOTLB permission bit: writes allowed. */
    static final int PERM_WRITE = 2;

    private final PhysicalMemory memory;

    TestIommuWalker(PhysicalMemory memory) {
        this.memory = memory;
    }

    /**
     * What one walk found: a leaf (code 0) or the fault code that ends the walk.
     *
     * @param code  0, or the datasheet's fault code (NO_TTBR, NO_TABLE, NO_PTE)
     * @param ttbr  the TTBR value the walk started from (kept by the IOTLB for a sanitizer's checks)
     * @param base  first IOVA of the page or block
     * @param mask  its size - 1
     * @param out   its output address
     * @param perms {@link #PERM_READ}/{@link #PERM_WRITE}
     * @param level 1 for a 2 MiB block (the L1 entry), 2 for a page (an L2 entry)
     * @param slot  physical address of the leaf entry (kept by the IOTLB for a sanitizer's checks)
     * @param pte   the leaf entry
     */
    record Walk(int code, int ttbr, long base, long mask, long out, int perms, int level, long slot, long pte) {
        static Walk fault(int code, int ttbr) {
            return new Walk(code, ttbr, 0, 0, 0, 0, 0, 0, 0);
        }

        boolean found() {
            return code == 0;
        }
    }

    /**
     * @return the fault code a transaction gets before any table is read (TTBR not VALID, IOVA
     *         beyond the IAS), or 0 if {@link #walk} reads the tables
     */
    static int reach(int ttbr, long iova) {
        if ((ttbr & TestIommuRegs.TTBR_VALID) == 0) {
            return TestIommuRegs.CODE_NO_TTBR;
        }
        return (iova >>> TestIommuRegs.IAS) != 0 ? TestIommuRegs.CODE_NO_TABLE : 0;
    }

    /**
     * Walks the tables {@code ttbr} points at for {@code iova}. A bus error while reading a table
     * reads as an invalid entry at that level.
     */
    Walk walk(int ttbr, long iova) {
        int code = reach(ttbr, iova);
        if (code != 0) {
            return Walk.fault(code, ttbr);
        }
        long l1Slot = TestIommuRegs.ttbrTable(ttbr) + 8L * TestIommuRegs.l1Index(iova);
        long l1e = read(l1Slot);
        if (!isValid(l1e)) {
            return Walk.fault(TestIommuRegs.CODE_NO_TABLE, ttbr);
        }
        if (!isTable(l1e)) {
            long mask = TestIommuRegs.BLOCK_SIZE - 1;
            return new Walk(0, ttbr, iova & ~mask, mask, blockAddress(l1e), perms(l1e), 1, l1Slot, l1e);
        }
        long l2Slot = address(l1e) + 8L * TestIommuRegs.l2Index(iova);
        long l2e = read(l2Slot);
        if (!isValid(l2e)) {
            return Walk.fault(TestIommuRegs.CODE_NO_PTE, ttbr);
        }
        long mask = TestIommuRegs.PAGE_SIZE - 1;
        return new Walk(0, ttbr, iova & ~mask, mask, address(l2e), perms(l2e), 2, l2Slot, l2e);
    }

    /** @return the entry at {@code pa}, or 0 (invalid) on a bus error */
    private long read(long pa) {
        try {
            return memory.read64(pa);
        } catch (IommuException busError) {
            return 0;
        }
    }

    static boolean isValid(long pte) {
        return (pte & TestIommuRegs.PTE_VALID) != 0;
    }

    /** @return true if a valid L1 entry points to an L2 table (false: a 2 MiB block) */
    static boolean isTable(long l1e) {
        return (l1e & TestIommuRegs.PTE_TABLE) != 0;
    }

    /** @return the L2 table address of an L1 table entry, or the output page of an L2 entry */
    static long address(long pte) {
        return pte & TestIommuRegs.PTE_ADDR_MASK;
    }

    /** @return the output address of an L1 block entry (bits [20:12] ignored) */
    static long blockAddress(long l1e) {
        return l1e & TestIommuRegs.PTE_BLOCK_ADDR_MASK;
    }

    /** @return {@link #PERM_READ}/{@link #PERM_WRITE} of a leaf entry */
    static int perms(long leaf) {
        return ((leaf & TestIommuRegs.PTE_READ) != 0 ? PERM_READ : 0)
                | ((leaf & TestIommuRegs.PTE_WRITE) != 0 ? PERM_WRITE : 0);
    }
}
