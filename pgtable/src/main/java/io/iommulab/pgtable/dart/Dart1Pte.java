package io.iommulab.pgtable.dart;

import io.iommulab.api.Prot;

/**
 * PTE layout of DART1 ({@code apple-dart}: t8103, t8103-usb4; OAS 36), per dart-facts §2.2:
 *
 * <table>
 * <caption>DART1 entry bits</caption>
 * <tr><th>bits</th><th>leaf PTE</th><th>table PTE</th></tr>
 * <tr><td>0</td><td>VALID = 1</td><td>VALID = 1</td></tr>
 * <tr><td>1</td><td>SP_DIS = 1 (subpage protection disabled; always set)</td><td>0</td></tr>
 * <tr><td>7</td><td>NO_WRITE, set when the mapping lacks {@link Prot#WRITE}</td><td>0</td></tr>
 * <tr><td>8</td><td>NO_READ, set when the mapping lacks {@link Prot#READ}</td><td>0</td></tr>
 * <tr><td>[35:12]</td><td>PA[35:12], in place</td><td>next table PA[35:12]</td></tr>
 * <tr><td>[51:40]</td><td>SUBPAGE_END = 0xFFF</td><td>0</td></tr>
 * <tr><td>[63:52]</td><td>SUBPAGE_START = 0</td><td>0</td></tr>
 * </table>
 *
 * Other protection bits (CACHE, NOEXEC, MMIO, PRIV) are ignored, as Linux does.
 */
public final class Dart1Pte {

    /** Output address bits of DART1 */
    public static final int OAS = 36;
    public static final long VALID = 1L;
    public static final long SP_DIS = 1L << 1;
    public static final long NO_WRITE = 1L << 7;
    public static final long NO_READ = 1L << 8;
    /** GENMASK(35, 12): the PA stored in place */
    public static final long PADDR_MASK = 0x0000_000F_FFFF_F000L;
    /** PA bits are stored unshifted */
    public static final int PADDR_SHIFT = 0;
    public static final long SUBPAGE_END = 0xFFFL << 40;
    public static final long SUBPAGE_START = 0L << 52;

    private Dart1Pte() {
    }

    /** @return the leaf entry mapping {@code pa} with {@code prot} (IOMMU_* bits) */
    public static long leaf(long pa, int prot) {
        long pte = VALID | SP_DIS | SUBPAGE_END | SUBPAGE_START | (pa & PADDR_MASK);
        if ((prot & Prot.WRITE) == 0) {
            pte |= NO_WRITE;
        }
        if ((prot & Prot.READ) == 0) {
            pte |= NO_READ;
        }
        return pte;
    }

    /** @return the table entry pointing at the table at {@code tablePa} */
    public static long table(long tablePa) {
        return (tablePa & PADDR_MASK) | VALID;
    }

    /** @return the physical address held by a leaf or table entry */
    public static long toPa(long pte) {
        return pte & PADDR_MASK;
    }
}
