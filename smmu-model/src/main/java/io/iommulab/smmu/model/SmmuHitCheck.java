package io.iommulab.smmu.model;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.RamWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.lib.hw.IotlbHitCheck;

/**
 * A DMA sanitizer's check of a TLB hit ({@link TranslationCheck}): does the cached leaf still give
 * what the stream's context bank and its tables give now? The model calls it on a hit only while
 * the check is enabled; the transaction goes on with the cached leaf either way, as on silicon. The
 * SMMU's part of it; the read of the leaf, the comparison and the report are {@link IotlbHitCheck}'s.
 *
 * <ul>
 * <li>Cheap part, on every checked hit: the bank state the transaction goes through is the very
 *     state the entry was walked with (one reference compare: the model publishes a new
 *     {@link SmmuBank} on every SCTLR/TCR/TCR2/TTBR0 write, and each bank its own), and one 64-bit
 *     read of the leaf descriptor against the value it was filled from (through the window on it
 *     the entry keeps, {@link IotlbHitCheck#leaf}). A table descriptor
 *     rewritten above a leaf whose old table still holds it is not seen by this part.</li>
 * <li>When that differs: unless only an unchanged bank was re-published, a fresh walk (not counted
 *     as a hardware walk, no TLB fill, no fault recorded, no interrupt). If it gives the same
 *     address and permissions nothing is reported; otherwise a {@link StaleTranslation} names what
 *     changed and the invalidation that was due: TLBIVAL (a leaf), TLBIVA (a table descriptor) or
 *     TLBIASID / TLBIALLNSNH (the bank: TTBR0, TCR, SCTLR, or the stream's route to a bank).</li>
 * </ul>
 * Permissions are {@link Prot} bits as a device sees them: READ and WRITE from AP[2:1], NOEXEC from UXN.
 */
final class SmmuHitCheck {

    private final IotlbHitCheck hits;
    private final LpaeWalker walker;
    private final SmmuTlb tlb;

    SmmuHitCheck(IotlbHitCheck hits, LpaeWalker walker, SmmuTlb tlb) {
        this.hits = hits;
        this.walker = walker;
        this.tlb = tlb;
    }

    /** @return the window a new TLB entry keeps on its leaf descriptor at {@code pa} (null while the check is off) */
    RamWindow leaf(long pa) {
        return hits.leaf(pa);
    }

    /** Checks hit {@code e} of a transaction of {@code sid} through bank {@code n}; reports it if it is stale. */
    void verify(int n, SmmuBank bank, int sid, long iova, Access access, SmmuTlb.Entry e) {
        if (e.bank != bank || !hits.unchanged(e.leaf, e.descAddr, e.desc)) {
            recheck(n, bank, sid, iova, access, e);
        }
    }

    /** The slow part: a fresh walk through the bank as it is now. */
    private void recheck(int n, SmmuBank bank, int sid, long iova, Access access, SmmuTlb.Entry e) {
        if (e.cb == n && bank.equals(e.bank) && hits.unchanged(e.leaf, e.descAddr, e.desc)) {
            return;
        }
        LpaeWalker.Leaf leaf = new LpaeWalker.Leaf();
        long r = bank.walkable() && bank.inRange(iova) ? walker.walk(bank, iova, leaf, false)
                : LpaeWalker.fault(SmmuFault.TRANSLATION, 0);
        long cachedPa = e.pa | (iova & e.offsetMask);
        int cachedPerms = prot(e.unprivileged, e.readOnly, e.noExec);
        long pa = 0;
        int perms = 0;
        String fault = null;
        if (LpaeWalker.isLeaf(r)) {
            long size = 1L << LpaeWalker.leafShift(bank.granuleShift(), LpaeWalker.level(r));
            pa = LpaeWalker.address(r) | (iova & (size - 1));
            perms = prot(LpaeWalker.ap1(r), LpaeWalker.ap2(r), LpaeWalker.xn(r));
        } else {
            fault = LpaeWalker.faultOf(r).translation(LpaeWalker.level(r)).fault();
        }
        if (IotlbHitCheck.same(cachedPa, cachedPerms, pa, perms, fault)) {
            return;
        }
        String cause = bankCause(n, bank, sid, e);
        String due;
        if (cause != null) {
            due = String.format("SMMU TLBIASID %d / TLBIALLNSNH", e.asid);
        } else {
            boolean table = LpaeWalker.isLeaf(r) ? leaf.addr != e.descAddr : LpaeWalker.level(r) < e.level;
            cause = table ? tableCause(r) : leafCause(r, cachedPa, cachedPerms, pa, perms);
            due = String.format("SMMU %s ASID %d VA 0x%x (or TLBIASID %d)", table ? "TLBIVA" : "TLBIVAL", e.asid,
                    e.vpn << e.shift, e.asid);
        }
        // still cached: no TLBI covering the entry has come since the hit
        hits.report(sid, iova, access, cachedPa, cachedPerms, pa, perms, fault, cause, due, () -> tlb.lookup(e.asid, iova) == e);
    }

    /** @return what changed in the stream's context bank since the walk, or null if nothing did */
    private static String bankCause(int n, SmmuBank bank, int sid, SmmuTlb.Entry e) {
        SmmuBank was = e.bank;
        if (e.cb != n) {
            return String.format("context bank changed: SID %d now reaches context bank %d, the entry was walked through "
                    + "context bank %d", sid, n, e.cb);
        }
        if (bank.ttb() != was.ttb()) {
            return "TTBR changed";
        }
        if (bank.granuleShift() != was.granuleShift() || bank.inputBits() != was.inputBits()
                || bank.startLevel() != was.startLevel() || bank.walkable() != was.walkable()) {
            return "TCR changed";
        }
        if (bank.afe() != was.afe()) {
            return "SCTLR changed";
        }
        return null;
    }

    /** @return the cause when the leaf now lies in another table, or a table descriptor above it is gone */
    private static String tableCause(long r) {
        return LpaeWalker.isLeaf(r) ? "table entry changed" : "table entry cleared (level " + LpaeWalker.level(r) + ")";
    }

    private static String leafCause(long r, long cachedPa, int cachedPerms, long pa, int perms) {
        if (!LpaeWalker.isLeaf(r)) {
            return LpaeWalker.faultOf(r) == SmmuFault.ACCESS_FLAG ? "access flag cleared" : "PTE cleared";
        }
        return IotlbHitCheck.leafChange(cachedPa, cachedPerms, pa, perms);
    }

    /** @return {@link Prot} READ/WRITE/NOEXEC of a leaf for a device (unprivileged) access */
    static int prot(boolean unprivileged, boolean readOnly, boolean noExec) {
        int p = unprivileged ? Prot.READ | (readOnly ? 0 : Prot.WRITE) : 0;
        return noExec ? p | Prot.NOEXEC : p;
    }
}
