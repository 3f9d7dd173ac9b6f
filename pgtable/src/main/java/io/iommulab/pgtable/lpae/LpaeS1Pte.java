package io.iommulab.pgtable.lpae;

import io.iommulab.api.Prot;

/**
 * AArch64 long-descriptor bits of a stage-1 table, as {@code io-pgtable-arm.c} writes them
 * (dart-facts §4.4; Arm ARM D8.3).
 *
 * <pre>
 *  bits     field      written as
 *  [1:0]    type       0b11 table (levels 0-2) or page (level 3); 0b01 block (levels 1-2); 0 invalid
 *  [4:2]    AttrIndx   MAIR index: 2 device (IOMMU_MMIO), 1 write-back (IOMMU_CACHE), else 0 non-cacheable
 *  5        NS         never set (no ARM_NS quirk)
 *  6        AP[1]      set unless IOMMU_PRIV: EL0 (unprivileged) access allowed
 *  7        AP[2]      set for read without write: read-only; a write-only mapping stays read/write
 *  [9:8]    SH         3 inner-shareable with IOMMU_CACHE, else 2 outer-shareable
 *  10       AF         always set (no access-flag faults)
 *  11       nG         always set for stage 1 (ASID-tagged)
 *  [47:g]   OA         output address, g = log2(granule); for a table descriptor the next table
 *  51       DBM        not set (no ARM_HD quirk)
 *  53       PXN        with IOMMU_NOEXEC
 *  54       UXN/XN     with IOMMU_NOEXEC
 *  63       NSTable    not set
 * </pre>
 */
public final class LpaeS1Pte {

    public static final long TYPE_MASK = 0x3;
    public static final long TYPE_BLOCK = 1;
    public static final long TYPE_TABLE = 3;
    public static final long TYPE_PAGE = 3;

    public static final int ATTRINDX_SHIFT = 2;
    public static final long NS = 1L << 5;
    public static final long AP_UNPRIV = 1L << 6;
    public static final long AP_RDONLY = 1L << 7;
    public static final long SH_OS = 2L << 8;
    public static final long SH_IS = 3L << 8;
    public static final long AF = 1L << 10;
    public static final long NG = 1L << 11;
    public static final long XN = 3L << 53;
    public static final long NSTABLE = 1L << 63;

    /** Leaf level (ARM_LPAE_MAX_LEVELS - 1). */
    static final int LEAF_LEVEL = LpaeS1Geometry.MAX_LEVELS - 1;

    private LpaeS1Pte() {
    }

    /**
     * arm_lpae_prot_to_pte for ARM_64_LPAE_S1: attribute bits of a leaf, without type and address.
     */
    public static long protToPte(int prot) {
        long pte = NG;
        if ((prot & Prot.WRITE) == 0 && (prot & Prot.READ) != 0) {
            pte |= AP_RDONLY;
        }
        if ((prot & Prot.PRIV) == 0) {
            pte |= AP_UNPRIV;
        }
        if ((prot & Prot.MMIO) != 0) {
            pte |= (long) LpaeS1Geometry.MAIR_ATTR_IDX_DEV << ATTRINDX_SHIFT;
        } else if ((prot & Prot.CACHE) != 0) {
            pte |= (long) LpaeS1Geometry.MAIR_ATTR_IDX_CACHE << ATTRINDX_SHIFT;
        }
        pte |= (prot & Prot.CACHE) != 0 ? SH_IS : SH_OS;
        if ((prot & Prot.NOEXEC) != 0) {
            pte |= XN;
        }
        return pte | AF;
    }

    /** @return the type bits a leaf at {@code level} carries: page at the last level, block above */
    public static long leafType(int level) {
        return level == LEAF_LEVEL ? TYPE_PAGE : TYPE_BLOCK;
    }

    /** iopte_leaf: a page at the last level, a block above it. */
    public static boolean isLeaf(long pte, int level) {
        return level == LEAF_LEVEL ? (pte & TYPE_MASK) == TYPE_PAGE : (pte & TYPE_MASK) == TYPE_BLOCK;
    }

    /** iopte_table: a pointer to the next level (never at the last level). */
    public static boolean isTable(long pte, int level) {
        return level != LEAF_LEVEL && (pte & TYPE_MASK) == TYPE_TABLE;
    }
}
