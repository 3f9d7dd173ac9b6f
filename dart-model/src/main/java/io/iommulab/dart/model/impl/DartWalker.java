package io.iommulab.dart.model.impl;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.concurrent.atomic.LongAdder;

/**
 * The table walker: reads the DART's tables in physical memory, from the table a TTBR points at
 * down to the leaf entry (dart-facts §2.1/§2.2; contract step 5 of {@code dart-model/README.md}). Every table is one page
 * of {@code 2^bitsPerLevel} little-endian 64-bit entries, {@code bitsPerLevel = pageShift − 3}
 * (11 for 16 KiB pages); table {@code k} (leaf table = 1) is indexed by IOVA bits from
 * {@code pageShift + (k−1)·bitsPerLevel}. Stateless apart from the memory it reads; safe for any
 * number of concurrent walks.
 *
 * <p>The result of {@link #walk} is one {@code long} so a walk allocates nothing: either the leaf
 * entry (always has bit 0, VALID, set) or a fault token with bit 0 clear ({@link #isLeaf},
 * {@link #fault}).
 */
final class DartWalker {

    private final PhysicalMemory memory;
    private final DartPteFormat format;
    private final int pageShift;
    private final int bitsPerLevel;
    private final long indexMask;
    private final LongAdder walks = new LongAdder();

    /**
     * @param memory    where the tables are
     * @param format    DART1 or DART2 entries
     * @param pageShift log2 of the page (and table) size
     */
    DartWalker(PhysicalMemory memory, DartPteFormat format, int pageShift) {
        this.memory = memory;
        this.format = format;
        this.pageShift = pageShift;
        this.bitsPerLevel = pageShift - 3;
        this.indexMask = (1L << bitsPerLevel) - 1;
    }

    /** @return IOVA bits {@code levels} tables translate ({@code pageShift + levels·bitsPerLevel}) */
    int coveredBits(int levels) {
        return pageShift + levels * bitsPerLevel;
    }

    /** @return walks started (table reads attempted) */
    long walks() {
        return walks.sum();
    }

    /**
     * Walks {@code levels} tables (2 or 3) from {@code table} for {@code iova}. The caller has
     * already checked that the IOVA lies inside what the tables cover. A table address outside
     * RAM reads as an invalid entry at that level (model choice: the walk aborts like a missing
     * entry rather than taking the machine down).
     *
     * @return the leaf entry, or a fault token: NO PTE for the leaf table, NO PMD for the table
     *         above it, NO PGD for the top of a three-table walk
     */
    long walk(long table, int levels, long iova) {
        walks.increment();
        long t = table;
        for (int k = levels; k >= 1; k--) {
            long index = (iova >>> (pageShift + (k - 1) * bitsPerLevel)) & indexMask;
            long pte;
            try {
                pte = memory.read64(t + (index << 3));
            } catch (IommuException busError) {
                return faultToken(faultAt(k));
            }
            if (!DartPteFormat.isValid(pte)) {
                return faultToken(faultAt(k));
            }
            if (k == 1) {
                return pte;
            }
            t = format.address(pte);
        }
        throw new IllegalArgumentException("walk of " + levels + " levels");
    }

    private static DartFault faultAt(int level) {
        switch (level) {
            case 1: return DartFault.NO_PTE;
            case 2: return DartFault.NO_PMD;
            default: return DartFault.NO_PGD;
        }
    }

    /** @return the {@link #walk} result meaning {@code f} (also used for faults found before the walk) */
    static long faultToken(DartFault f) {
        return (long) f.ordinal() << 1;
    }

    /** @return true if a {@link #walk} result is a leaf entry */
    static boolean isLeaf(long result) {
        return (result & DartPteFormat.VALID) != 0;
    }

    /** @return the fault of a {@link #walk} result that is not a leaf */
    static DartFault fault(long result) {
        return DartFault.of((int) (result >>> 1));
    }
}
