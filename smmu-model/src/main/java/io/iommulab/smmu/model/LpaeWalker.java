package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRegs.*;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.concurrent.atomic.LongAdder;

/**
 * The stage-1 AArch64 (VMSAv8-64 long-descriptor) table walker of a context bank: dart-facts §4.4
 * and the contract's "Context bank translation". The model's own walker: it never uses the
 * page-table code it is meant to check.
 *
 * <ul>
 * <li>Granule {@code g} = 12, 14 or 16 bits; each table level resolves {@code g - 3} IOVA bits;
 *     level {@code L} indexes IOVA bits from {@code g + (3 - L)(g - 3)}. The walk starts at the
 *     bank's start level, whose table may be smaller than a granule.</li>
 * <li>Descriptor [1:0]: 0b11 is a table at levels 0-2 and a page at level 3; 0b01 is a block where
 *     blocks are allowed (4 KiB: levels 1 and 2; 16 KiB and 64 KiB: level 2, since their level-1
 *     blocks need 52-bit output addresses) and invalid elsewhere; anything else is invalid.
 *     Invalid: translation fault at that level.</li>
 * <li>A leaf with AF = 0 while SCTLR.AFE is set: access flag fault at the leaf's level (nothing
 *     is cached for it). Permissions (AP[2:1]) are checked by the caller on every access, so a
 *     leaf that only some accesses may use is still cached.</li>
 * <li>A table address outside RAM: translation fault at the level of the read (model choice;
 *     the contract names no external-abort encoding).</li>
 * </ul>
 *
 * <p>The result is one {@code long} so a walk allocates nothing. A leaf: the output address of the
 * page or block (bits [47:12], granule aligned) with bit 0 set, the level in bits [2:1], AP[1] in
 * bit 3, AP[2] in bit 4 and UXN in bit 5. A fault: bit 0 clear, the level in bits [2:1], the {@link SmmuFault}
 * ordinal in bits [7:3]. Stateless apart from the memory it reads; any number of walks may run at once.
 */
final class LpaeWalker {

    private static final long LEAF = 1;
    private static final int LEVEL_SHIFT = 1;
    private static final long RESULT_AP1 = 1L << 3;
    private static final long RESULT_AP2 = 1L << 4;
    private static final long RESULT_XN = 1L << 5;
    private static final int KIND_SHIFT = 3;
    private static final SmmuFault[] FAULTS = SmmuFault.values();

    private final PhysicalMemory memory;
    private final LongAdder walks = new LongAdder();

    /** @param memory where the tables are */
    LpaeWalker(PhysicalMemory memory) {
        this.memory = memory;
    }

    /** @return walks that read tables */
    long walks() {
        return walks.sum();
    }

    /**
     * Where a walk found its leaf descriptor: filled in by {@link #walk} when it returns a leaf. The
     * TLB keeps it with the entry, so that a sanitizer can check later hits against memory with one
     * read. A walk reads every descriptor once; this only remembers the last one.
     */
    static final class Leaf {
        /** Physical address of the leaf descriptor. */
        long addr;
        /** Its value. */
        long desc;
    }

    /**
     * Walks the bank's TTBR0 tables for {@code iova}. The caller has checked that the bank is
     * walkable and the IOVA lies inside its input range.
     *
     * @param leaf    where to note the leaf descriptor's address and value (untouched on a fault)
     * @param counted true for the hardware's own walks ({@link #walks}); false for a sanitizer's
     *                look at the tables, which the hardware never did
     * @return a leaf or a fault (see the class comment)
     */
    long walk(SmmuBank bank, long iova, Leaf leaf, boolean counted) {
        if (counted) {
            walks.increment();
        }
        int g = bank.granuleShift();
        int stride = g - 3;
        long indexMask = (1L << stride) - 1;
        long tableMask = PTE_ADDR & -(1L << g);
        long table = bank.ttb();
        for (int level = bank.startLevel(); level <= 3; level++) {
            int shift = g + (3 - level) * stride;
            long at = table + (((iova >>> shift) & indexMask) << 3);
            long desc;
            try {
                desc = memory.read64(at);
            } catch (IommuException busError) {
                return fault(SmmuFault.TRANSLATION, level);
            }
            long type = desc & PTE_TYPE;
            if (level < 3 && type == PTE_TYPE_TABLE) {
                table = desc & tableMask;
                continue;
            }
            boolean isLeaf = level == 3 ? type == PTE_TYPE_TABLE : type == PTE_TYPE_BLOCK && blockAllowed(g, level);
            if (!isLeaf) {
                return fault(SmmuFault.TRANSLATION, level);
            }
            if (bank.afe() && (desc & PTE_AF) == 0) {
                return fault(SmmuFault.ACCESS_FLAG, level);
            }
            leaf.addr = at;
            leaf.desc = desc;
            return (desc & PTE_ADDR & -(1L << shift)) | LEAF | (long) level << LEVEL_SHIFT
                    | ((desc & PTE_AP1) != 0 ? RESULT_AP1 : 0) | ((desc & PTE_AP2) != 0 ? RESULT_AP2 : 0)
                    | ((desc & PTE_UXN) != 0 ? RESULT_XN : 0);
        }
        throw new IllegalStateException("walk from level " + bank.startLevel());
    }

    /** @return true if a block descriptor is allowed at {@code level} for granule {@code g} */
    static boolean blockAllowed(int g, int level) {
        return level == 2 || (g == 12 && level == 1);
    }

    /** @return IOVA bits below a leaf at {@code level}: log2 of its size */
    static int leafShift(int g, int level) {
        return g + (3 - level) * (g - 3);
    }

    /** @return the {@link #walk} result meaning fault {@code f} at {@code level} */
    static long fault(SmmuFault f, int level) {
        return (long) f.ordinal() << KIND_SHIFT | (long) level << LEVEL_SHIFT;
    }

    /** @return true if a {@link #walk} result is a leaf */
    static boolean isLeaf(long result) {
        return (result & LEAF) != 0;
    }

    /** @return the walk level of a leaf or a fault */
    static int level(long result) {
        return (int) (result >>> LEVEL_SHIFT) & 3;
    }

    /** @return the fault of a result that is not a leaf */
    static SmmuFault faultOf(long result) {
        return FAULTS[(int) (result >>> KIND_SHIFT) & 0x1F];
    }

    /** @return the output address of a leaf */
    static long address(long result) {
        return result & PTE_ADDR;
    }

    /** @return AP[1] of a leaf: unprivileged (device) access allowed */
    static boolean ap1(long result) {
        return (result & RESULT_AP1) != 0;
    }

    /** @return AP[2] of a leaf: read-only */
    static boolean ap2(long result) {
        return (result & RESULT_AP2) != 0;
    }

    /** @return UXN of a leaf: no instruction fetch */
    static boolean xn(long result) {
        return (result & RESULT_XN) != 0;
    }
}
