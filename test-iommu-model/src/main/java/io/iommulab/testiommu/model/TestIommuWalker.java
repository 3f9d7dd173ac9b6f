package io.iommulab.testiommu.model;

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

    /** @return the L1 entry for {@code iova} in the table at {@code l1Table} */
    long l1Entry(long l1Table, long iova) {
        return memory.read64(l1Table + 8L * TestIommuRegs.l1Index(iova));
    }

    /** @return the L2 entry for {@code iova} in the table at {@code l2Table} */
    long l2Entry(long l2Table, long iova) {
        return memory.read64(l2Table + 8L * TestIommuRegs.l2Index(iova));
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
