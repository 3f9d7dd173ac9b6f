package io.iommulab.dart.model.impl;

import io.iommulab.dart.model.spi.DartModelHw;

/**
 * The two DART page-table entry layouts the walker reads (dart-facts §2.2). An entry is a
 * little-endian 64-bit word; it is present when VALID (bit 0) is set (the hardware view in the
 * model contract, {@code dart-model/README.md} step 5; io-pgtable's own walks test "entry != 0"). Table and leaf entries carry the next
 * table's / the page's PA in the same field.
 *
 * <p>Subpage protection fields ([63:40]) and DART2's NO_CACHE (bit 1) are not modelled.
 */
public enum DartPteFormat {

    /**
     * DART1 ({@code APPLE_DART}, t8103 and usb4): PA [35:12] unshifted, NO_WRITE bit 7, NO_READ bit 8.
     */
    DART1(0xF_FFFF_F000L, 0, 1L << 7, 1L << 8),

    /**
     * DART2 ({@code APPLE_DART2}, t6000 and T8110): PA [41:14] stored in bits [37:10] (PA >> 4),
     * NO_WRITE bit 2, NO_READ bit 3.
     */
    DART2(((1L << 28) - 1) << 10, 4, 1L << 2, 1L << 3);

    /** Entry bit 0: present. */
    public static final long VALID = 1L;
    /** IOTLB permission bit: reads allowed. */
    static final int PERM_READ = 1;
    /** IOTLB permission bit: writes allowed. */
    static final int PERM_WRITE = 2;

    private final long addrMask;
    private final int addrShift;
    private final long noWrite;
    private final long noRead;

    DartPteFormat(long addrMask, int addrShift, long noWrite, long noRead) {
        this.addrMask = addrMask;
        this.addrShift = addrShift;
        this.noWrite = noWrite;
        this.noRead = noRead;
    }

    /** @return the walker's view of a variant's entry format */
    static DartPteFormat of(DartModelHw.PteFormat format) {
        return format == DartModelHw.PteFormat.DART1 ? DART1 : DART2;
    }

    /** @return true if the entry is present (VALID) */
    public static boolean isValid(long pte) {
        return (pte & VALID) != 0;
    }

    /** @return the PA held in a table or leaf entry (the next table, or the page) */
    public long address(long pte) {
        return (pte & addrMask) << addrShift;
    }

    /** @return {@link #PERM_READ}/{@link #PERM_WRITE} granted by a leaf entry */
    int perms(long leaf) {
        return ((leaf & noRead) == 0 ? PERM_READ : 0) | ((leaf & noWrite) == 0 ? PERM_WRITE : 0);
    }
}
