package io.iommulab.pgtable.dart;

import io.iommulab.api.Prot;

/**
 * PTE layout of DART2 ({@code apple-dart2}: t6000, t8110; OAS 42), per dart-facts §2.2:
 *
 * <table>
 * <caption>DART2 entry bits</caption>
 * <tr><th>bits</th><th>leaf PTE</th><th>table PTE</th></tr>
 * <tr><td>0</td><td>VALID = 1</td><td>VALID = 1</td></tr>
 * <tr><td>1</td><td>NO_CACHE, set unless the mapping has {@link Prot#CACHE}</td><td>0</td></tr>
 * <tr><td>2</td><td>NO_WRITE, set when the mapping lacks {@link Prot#WRITE}</td><td>0</td></tr>
 * <tr><td>3</td><td>NO_READ, set when the mapping lacks {@link Prot#READ}</td><td>0</td></tr>
 * <tr><td>[37:10]</td><td>PA[41:14] (PA shifted right by 4)</td><td>next table PA[41:14]</td></tr>
 * <tr><td>[51:40]</td><td>SUBPAGE_END = 0xFFF</td><td>0</td></tr>
 * <tr><td>[63:52]</td><td>SUBPAGE_START = 0</td><td>0</td></tr>
 * </table>
 *
 * The shift leaves PA[13:0] unrepresentable: output pages and tables are 16 KiB aligned.
 * NOEXEC, MMIO and PRIV are ignored, as Linux does.
 */
public final class Dart2Pte {

    /** Output address bits of DART2 */
    public static final int OAS = 42;
    public static final long VALID = 1L;
    public static final long NO_CACHE = 1L << 1;
    public static final long NO_WRITE = 1L << 2;
    public static final long NO_READ = 1L << 3;
    /** GENMASK(37, 10): where PA >> 4 is stored */
    public static final long PADDR_MASK = 0x0000_003F_FFFF_FC00L;
    /** PA is stored shifted right by this many bits */
    public static final int PADDR_SHIFT = 4;
    public static final long SUBPAGE_END = 0xFFFL << 40;
    public static final long SUBPAGE_START = 0L << 52;

    private Dart2Pte() {
    }

    /** @return the leaf entry mapping {@code pa} with {@code prot} (IOMMU_* bits) */
    public static long leaf(long pa, int prot) {
        long pte = VALID | SUBPAGE_END | SUBPAGE_START | ((pa >>> PADDR_SHIFT) & PADDR_MASK);
        if ((prot & Prot.CACHE) == 0) {
            pte |= NO_CACHE;
        }
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
        return ((tablePa >>> PADDR_SHIFT) & PADDR_MASK) | VALID;
    }

    /** @return the physical address held by a leaf or table entry */
    public static long toPa(long pte) {
        return (pte & PADDR_MASK) << PADDR_SHIFT;
    }
}
