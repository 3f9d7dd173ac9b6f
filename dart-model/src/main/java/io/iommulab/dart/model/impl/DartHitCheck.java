package io.iommulab.dart.model.impl;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.RamWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.lib.hw.IotlbHitCheck;

/**
 * A DMA sanitizer's check of an IOTLB hit ({@link TranslationCheck}): does the cached entry still
 * give what the tables and registers give now? The model calls it on a hit only while the check is
 * enabled; the transaction goes on with the cached entry either way, as on silicon. The DART's part
 * of it; the read of the leaf, the comparison and the report are {@link IotlbHitCheck}'s.
 *
 * <ul>
 * <li>Cheap part, on every checked hit: the TTBR that translates the IOVA and the TCR against the
 *     values the entry was walked with, and one 64-bit read of the leaf entry against the value it
 *     was filled from. A change above the leaf (a PMD or PGD rewritten while the old leaf table
 *     still holds the old leaf) is not seen by this part.</li>
 * <li>When that differs: a fresh walk (not counted as a hardware walk, no IOTLB fill, no fault
 *     latched, no interrupt). If it gives the same page and permissions the entry is still right
 *     and nothing is reported; otherwise a {@link StaleTranslation} names what changed and the
 *     invalidation the family was due ({@link DartLayout#flushDue}).</li>
 * </ul>
 */
final class DartHitCheck {

    private final IotlbHitCheck hits;
    private final DartLayout layout;
    private final DartWalker walker;
    private final DartPteFormat format;
    private final DartIotlb iotlb;
    private final int pageShift;
    private final long pageMask;

    DartHitCheck(IotlbHitCheck hits, DartLayout layout, DartWalker walker, DartPteFormat format, DartIotlb iotlb,
            int pageShift) {
        this.hits = hits;
        this.layout = layout;
        this.walker = walker;
        this.format = format;
        this.iotlb = iotlb;
        this.pageShift = pageShift;
        this.pageMask = (1L << pageShift) - 1;
    }

    /** @return the window a new IOTLB entry keeps on its leaf entry at {@code pa} (null while the check is off) */
    RamWindow leaf(long pa) {
        return hits.leaf(pa);
    }

    /** Checks hit {@code e} of a transaction that decoded {@code tcr}; reports it if it is stale. */
    void verify(int sid, int tcr, long iova, Access access, DartIotlb.Entry e) {
        int ttbr = layout.ttbrFor(sid, iova);
        if (ttbr != e.ttbr || tcr != e.tcr || !hits.unchanged(e.leaf, e.pteAddr, e.pte)) {
            recheck(sid, tcr, ttbr, iova, access, e);
        }
    }

    /** The slow part: a fresh walk with the registers as they are now. */
    private void recheck(int sid, int tcr, int ttbr, long iova, Access access, DartIotlb.Entry e) {
        long located = layout.locate(tcr, ttbr, iova, false);
        long leaf = walker.leafOf(located);
        long off = iova & pageMask;
        long pa = 0;
        int perms = 0;
        String fault = null;
        if (DartWalker.found(leaf)) {
            // PERM_READ/PERM_WRITE are Prot's READ/WRITE bits
            pa = (format.address(leaf) & ~pageMask) | off;
            perms = format.perms(leaf);
        } else {
            fault = DartWalker.fault(leaf).text();
        }
        long cachedPa = e.pa | off;
        if (IotlbHitCheck.same(cachedPa, e.perms, pa, perms, fault)) {
            return;
        }
        // still cached: no invalidation of the stream has come since the hit
        hits.report(sid, iova, access, cachedPa, e.perms, pa, perms, fault,
                cause(e, tcr, ttbr, located, leaf, cachedPa, pa, perms), layout.flushDue(sid),
                () -> iotlb.lookup(sid, iova >>> pageShift) == e);
    }

    /** @return what changed since the entry was filled, registers first (they make the leaf moot) */
    private static String cause(DartIotlb.Entry e, int tcr, int ttbr, long located, long leaf, long cachedPa, long pa,
            int perms) {
        if (ttbr != e.ttbr) {
            return "TTBR changed";
        }
        if (tcr != e.tcr) {
            return "TCR changed";
        }
        if (!DartWalker.found(leaf)) {
            switch (DartWalker.fault(leaf)) {
                case NO_PTE: return "PTE cleared";
                case NO_PMD: return "PMD cleared";
                case NO_PGD: return "PGD cleared";
                default: return "walk faults: " + DartWalker.fault(leaf).text();
            }
        }
        if (DartWalker.slot(located) != e.pteAddr) {
            return "PMD changed";
        }
        return IotlbHitCheck.leafChange(cachedPa, e.perms, pa, perms);
    }
}
