package io.iommulab.testiommu.model;

import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.lib.hw.IotlbHitCheck;

/**
 * A DMA sanitizer's check of an IOTLB hit ({@link TranslationCheck}): does the cached entry still
 * give what the stream's TTBR and tables give now? Called on a hit only while the check is enabled;
 * the transaction goes on with the cached entry either way, as on silicon. The test IOMMU's part of
 * it; the read of the leaf, the comparison and the report are {@link IotlbHitCheck}'s.
 *
 * <ul>
 * <li>{@link #unchanged}, under the stream's lock: the TTBR value against the one the entry was
 *     walked from, and one 64-bit read of the leaf entry against the value it was filled from. An
 *     L1 entry rewritten while the old L2 table still holds the old leaf is not seen.</li>
 * <li>{@link #recheck}, after the lock: a fresh walk (not counted, no fill, no fault latched, no
 *     interrupt); if it gives another page or other permissions, or faults, a
 *     {@link StaleTranslation} names what changed and the CMD INVALIDATE that was due.</li>
 * </ul>
 */
final class TestIommuHitCheck {

    private final IotlbHitCheck hits;
    private final TestIommuWalker walker;

    TestIommuHitCheck(IotlbHitCheck hits, TestIommuWalker walker) {
        this.hits = hits;
        this.walker = walker;
    }

    /** @return true if the walk that filled a hit started from {@code ttbr} and its leaf still holds the cached value */
    boolean unchanged(TestIommuWalker.Walk cached, int ttbr) {
        return cached.ttbr() == ttbr && hits.unchanged(cached.slot(), cached.pte());
    }

    /**
     * Walks afresh from {@code ttbr}; reports the hit if the walk disagrees with {@code cached}, the
     * walk that filled it in {@code tlb}, the stream's IOTLB.
     */
    void recheck(int sid, int ttbr, long iova, Access access, TestIommuWalker.Walk cached, TestIommuTlb tlb) {
        TestIommuWalker.Walk now = walker.walk(ttbr, iova);
        long cachedPa = cached.out() | (iova & cached.mask());
        // PERM_READ/PERM_WRITE are Prot's READ/WRITE bits
        long pa = now.found() ? now.out() | (iova & now.mask()) : 0;
        String fault = now.found() ? null : TestIommuRegs.codeName(now.code());
        if (IotlbHitCheck.same(cachedPa, cached.perms(), pa, now.perms(), fault)) {
            return;
        }
        hits.report(sid, iova, access, cachedPa, cached.perms(), pa, now.perms(), fault,
                cause(cached, now, cachedPa, pa), "CMD INVALIDATE stream " + sid, () -> stillCached(tlb, iova, cached));
    }

    /** @return true if no CMD INVALIDATE has dropped the entry {@code cached} filled (it still translates {@code iova}) */
    private static boolean stillCached(TestIommuTlb tlb, long iova, TestIommuWalker.Walk cached) {
        synchronized (tlb) {
            int slot = tlb.lookup(iova);
            return slot >= 0 && tlb.source(slot) == cached;
        }
    }

    /** @return what changed since the entry was filled, the TTBR first (it makes the tables moot) */
    private static String cause(TestIommuWalker.Walk cached, TestIommuWalker.Walk now, long cachedPa, long pa) {
        if (now.ttbr() != cached.ttbr()) {
            return "TTBR changed";
        }
        if (!now.found()) {
            // NO_TABLE ends the walk at the L1 entry, NO_PTE at the L2 entry
            int level = now.code() == TestIommuRegs.CODE_NO_PTE ? 2 : 1;
            return level < cached.level() ? "L1 entry cleared" : level == cached.level() ? "PTE cleared" : "PTE changed";
        }
        if (now.slot() != cached.slot()) {
            return "L1 entry changed";
        }
        return IotlbHitCheck.leafChange(cachedPa, cached.perms(), pa, now.perms());
    }
}
