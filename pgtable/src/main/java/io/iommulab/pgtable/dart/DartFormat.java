package io.iommulab.pgtable.dart;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.function.IntToLongFunction;

/**
 * The two Apple DART io-pgtable formats, side by side: {@link #DART1} ({@code apple-dart}) and
 * {@link #DART2} ({@code apple-dart2}). They share geometry and walk ({@link DartGeometry},
 * {@link DartPageTable}) and differ in the PTE layout ({@link Dart1Pte}, {@link Dart2Pte}), which
 * is reduced here to what the walk needs: where the PA sits (shift and mask) and the non-address
 * bits of a leaf for each protection.
 *
 * <p>Stateless: all state lives in the {@link DartPageTable} objects and in memory.
 */
public final class DartFormat implements PageTableFormat {

    public static final DartFormat DART1 = new DartFormat(APPLE_DART, Dart1Pte.OAS, Dart1Pte.PADDR_SHIFT,
            Dart1Pte.PADDR_MASK, Dart1Pte.VALID, p -> Dart1Pte.leaf(0, p));
    public static final DartFormat DART2 = new DartFormat(APPLE_DART2, Dart2Pte.OAS, Dart2Pte.PADDR_SHIFT,
            Dart2Pte.PADDR_MASK, Dart2Pte.VALID, p -> Dart2Pte.leaf(0, p));

    /** Protection bits a leaf encodes: READ | WRITE | CACHE (index into {@link #leafBits}). */
    static final int PROT_MASK = 7;

    private final String name;
    private final int oas;
    private final int paShift;
    private final long paMask;
    private final long valid;
    private final long[] leafBits = new long[PROT_MASK + 1];

    private DartFormat(String name, int oas, int paShift, long paMask, long valid, IntToLongFunction leafWithoutPa) {
        this.name = name;
        this.oas = oas;
        this.paShift = paShift;
        this.paMask = paMask;
        this.valid = valid;
        for (int p = 0; p <= PROT_MASK; p++) {
            leafBits[p] = leafWithoutPa.applyAsLong(p);
        }
    }

    /** @return the format for a name, or null */
    public static DartFormat byName(String name) {
        return APPLE_DART.equals(name) ? DART1 : APPLE_DART2.equals(name) ? DART2 : null;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the only output address size the format supports */
    public int oas() {
        return oas;
    }

    /** @return how far right the PA is shifted into an entry */
    public int paShift() {
        return paShift;
    }

    /** @return where the shifted PA sits in an entry */
    public long paMask() {
        return paMask;
    }

    /** @return the VALID bit */
    public long valid() {
        return valid;
    }

    /** @return leaf bits other than the address for {@code prot & 7} */
    long leafBits(int prot) {
        return leafBits[prot & PROT_MASK];
    }

    /** @return the table entry pointing at {@code tablePa} */
    public long tableEntry(long tablePa) {
        return ((tablePa >>> paShift) & paMask) | valid;
    }

    /** @return the leaf entry mapping {@code pa} with {@code prot} */
    public long leafEntry(long pa, int prot) {
        return leafBits[prot & PROT_MASK] | ((pa >>> paShift) & paMask);
    }

    /** @return the physical address in a leaf or table entry */
    public long entryToPa(long pte) {
        return (pte & paMask) << paShift;
    }

    @Override
    public PageTableOps alloc(PageTableConfig config, PageTableContext context) {
        DartGeometry geometry = DartGeometry.of(this, config);
        return DartPageTable.alloc(this, geometry, config.withPgsizeBitmap(geometry.pageSize()), context);
    }

    @Override
    public PageTableOps attach(PageTableState state, PageTableContext context) {
        if (!name.equals(state.format())) {
            throw new IommuException(Errno.EINVAL, name + ": cannot attach a table of format " + state.format());
        }
        DartGeometry geometry = DartGeometry.of(this, state.config());
        if (state.levels() != geometry.levels()) {
            throw new IommuException(Errno.EINVAL, name + ": state levels " + state.levels()
                    + " do not match the configuration (" + geometry.levels() + " levels)");
        }
        if (!state.hw().isEmpty()) {
            throw new IommuException(Errno.EINVAL, name + ": state carries hw values " + state.hw().keySet()
                    + "; a DART table has none");
        }
        long[] ttbrs = state.ttbrs();
        if (ttbrs.length != geometry.nTtbrs()) {
            throw new IommuException(Errno.EINVAL, name + ": state has " + ttbrs.length
                    + " TTBRs; the configuration needs " + geometry.nTtbrs());
        }
        for (long t : ttbrs) {
            if ((t & (geometry.pageSize() - 1)) != 0 || (t >>> oas) != 0 || entryToPa(tableEntry(t)) != t) {
                throw new IommuException(Errno.EINVAL, String.format(
                        "%s: TTBR table address 0x%x is not a %d-byte aligned address below 2^%d", name, t,
                        geometry.pageSize(), oas));
            }
        }
        return DartPageTable.attach(this, geometry, state.config(), ttbrs, context);
    }

    @Override
    public String toString() {
        return name;
    }
}
