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
 * <p>Results are one {@code long} so a walk allocates nothing: the leaf entry's slot (an 8-byte
 * aligned address, tagged with bit 0) or the leaf entry itself (bit 0 is VALID), or a fault token
 * with bit 0 clear ({@link #found}, {@link #fault}).
 */
final class DartWalker {

    private final PhysicalMemory memory;
    private final DartPteFormat format;
    private final int pageShift;
    private final int bitsPerLevel;
    private final long indexMask;
    private final LongAdder walks = new LongAdder();
    /** Bit 0 of a result that is not a fault: VALID of a leaf entry, the tag of a slot. */
    private static final long FOUND = DartPteFormat.VALID;

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
     * Walks {@code levels} tables (2 or 3) from {@code table} for {@code iova}, down to the leaf
     * entry. The caller has already checked that the IOVA lies inside what the tables cover. A
     * table address outside RAM reads as an invalid entry at that level (model choice: the walk
     * aborts like a missing entry rather than taking the machine down).
     *
     * <p>In two steps, so that the caller learns where the leaf is without reading it twice (the
     * IOTLB keeps the leaf's address and value for a sanitizer's check of later hits):
     * {@code locate} reads the tables above the leaf table, {@link #readLeaf} the leaf.
     *
     * @param counted true for the hardware's own walks ({@link #walks}); false for a sanitizer's
     *                look at the tables, which the hardware never did
     * @return the leaf entry's {@link #slot slot} ({@link #found} is true), or a fault token: NO PMD
     *         for the table above the leaf table, NO PGD for the top of a three-table walk
     */
    long locate(long table, int levels, long iova, boolean counted) {
        if (counted) {
            walks.increment();
        }
        long t = table;
        for (int k = levels; k >= 1; k--) {
            long slot = t + (((iova >>> (pageShift + (k - 1) * bitsPerLevel)) & indexMask) << 3);
            if (k == 1) {
                return slot | FOUND;
            }
            long pte;
            try {
                pte = memory.read64(slot);
            } catch (IommuException busError) {
                return faultToken(faultAt(k));
            }
            if (!DartPteFormat.isValid(pte)) {
                return faultToken(faultAt(k));
            }
            t = format.address(pte);
        }
        throw new IllegalArgumentException("walk of " + levels + " levels");
    }

    /** @return the leaf entry at {@code slot} (VALID set), or the NO PTE fault token */
    long readLeaf(long slot) {
        long pte;
        try {
            pte = memory.read64(slot);
        } catch (IommuException busError) {
            return faultToken(DartFault.NO_PTE);
        }
        return DartPteFormat.isValid(pte) ? pte : faultToken(DartFault.NO_PTE);
    }

    /** @return the walk's result from a {@link #locate} result: the leaf entry or a fault token */
    long leafOf(long located) {
        return found(located) ? readLeaf(slot(located)) : located;
    }

    private static DartFault faultAt(int level) {
        switch (level) {
            case 1: return DartFault.NO_PTE;
            case 2: return DartFault.NO_PMD;
            default: return DartFault.NO_PGD;
        }
    }

    /** @return the result meaning {@code f} (also used for faults found before the walk) */
    static long faultToken(DartFault f) {
        return (long) f.ordinal() << 1;
    }

    /** @return true if a {@link #locate} or {@link #readLeaf} result is a slot or a leaf entry, not a fault */
    static boolean found(long result) {
        return (result & FOUND) != 0;
    }

    /** @return the leaf entry's physical address from a {@link #locate} result that is {@link #found} */
    static long slot(long located) {
        return located & ~FOUND;
    }

    /** @return the fault of a {@link #locate} or {@link #readLeaf} result that is not {@link #found} */
    static DartFault fault(long result) {
        return DartFault.of((int) (result >>> 1));
    }
}
