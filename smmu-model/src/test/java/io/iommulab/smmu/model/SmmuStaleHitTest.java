package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.machine.testing.ReadCountingFactory;
import io.iommulab.machine.testing.RecordingMonitor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The SMMU's TLB under a DMA sanitizer (the machine's bus monitor set): a hit whose leaf no longer
 * matches the stream's context bank and tables is reported once per hit, with what changed and
 * the TLBI that was due, and the transaction still uses it; after that TLBI, for a matching hit,
 * for a bypassed stream and with the check off nothing is reported, and the check that is off
 * reads no memory.
 */
class SmmuStaleHitTest {
    static final int ON = M | TRE | AFE | CFRE | CFIE;
    static final int RW = Prot.READ | Prot.WRITE;
    static final long IOVA = 0x5000;
    static final long OFF = 0x123;
    static final int SID = 0x10;
    static final int ASID = 1;
    static final String TLBIVAL = "SMMU TLBIVAL ASID 1 VA 0x5000 (or TLBIASID 1)";
    static final String TLBIASID = "SMMU TLBIASID 1 / TLBIALLNSNH";

    private final ReadCountingFactory models = new ReadCountingFactory(new SmmuModelFactory());
    private final SmmuRig rig = new SmmuRig(models, Map.of());
    private final MmioWindow w = rig.regs(SMMU0);
    private final DmaMaster m = rig.master(DMA0);
    private final RecordingMonitor seen = new RecordingMonitor();
    /** Bank 0, ASID 1, reached by SMR/S2CR 0 for SID 0x10 (the master's stream 0); IOVA mapped to {@link #page}. */
    private final SmmuRig.Tables t = rig.new Tables(12, 48);
    private final long page = data(0x11);

    SmmuStaleHitTest() {
        t.page(IOVA, page);
        context(w, 8, 0, t, ASID, ON);
        stream(w, 0, SID, S2CR_TRANS | 0);
        enable(w);
        rig.machine.setBusMonitor(seen);
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF), "fills the TLB");
        assertEquals(List.of(), seen.stale, "a fresh fill is not stale");
    }

    private long data(int fill) {
        long pa = rig.alloc(0x1000);
        rig.fill(pa, 0x1000, fill);
        return pa;
    }

    private static StaleTranslation stale(Access access, long cachedPa, int cachedPerms, long pa, int perms, String fault,
            String cause, String due) {
        return new StaleTranslation(SMMU0, SID, IOVA + OFF, access, cachedPa, cachedPerms, pa, perms, fault, cause, due);
    }

    private void tlbival() {
        writeq(w, cb(8, 0, SmmuRig.TLBIVAL), (long) ASID << 48 | IOVA >>> 12);
        w.writel(cb(8, 0, TLBSYNC), 0);
    }

    /**
     * The report says how to ask whether the TLB still holds the entry that served the hit: yes
     * until a TLBI covering it, no once one came after the hit (it raced the hit: the translation
     * was in flight, which TLBSYNC waits for on silicon, not left stale).
     */
    @Test
    void theReportAsksWhetherTheEntryIsStillCached() {
        t.put(IOVA, 3, 0);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(true), seen.stillCached);
        seen.beforeAsking = () -> {
            w.writel(cb(8, 0, SmmuRig.TLBIASID), ASID);
            w.writel(cb(8, 0, TLBSYNC), 0);
        };
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF), "served before the TLBIASID");
        assertEquals(List.of(true, false), seen.stillCached, "the TLBIASID came after the hit");
        assertEquals("TRANSLATION FAULT (level 3)", readFault(m, 0, IOVA + OFF));
    }

    @Test
    void clearedPteIsReportedOnEveryHitUntilTlbival() {
        t.put(IOVA, 3, 0);
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF), "the stale leaf still serves the transaction, as on silicon");
        StaleTranslation expected = stale(Access.READ, page + OFF, RW, 0, 0, "TRANSLATION FAULT (level 3)", "PTE cleared", TLBIVAL);
        assertEquals(List.of(expected), seen.stale);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(expected, expected), seen.stale, "once per hit");
        tlbival();
        assertEquals("TRANSLATION FAULT (level 3)", readFault(m, 0, IOVA + OFF));
        assertEquals(2, seen.stale.size());
    }

    @Test
    void changedPteToAnotherPage() {
        long other = data(0x22);
        t.page(IOVA, other);
        dmaWrite(m, 0, IOVA + OFF, (byte) 9);
        assertEquals(9, rig.peek(page + OFF), "the write went to the old page");
        assertEquals(List.of(stale(Access.WRITE, page + OFF, RW, other + OFF, RW, null, "PTE changed", TLBIVAL)), seen.stale);
        tlbival();
        assertEquals(0x22, dmaPeek(m, 0, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void reducedPermissionsLetTheStaleWriteThrough() {
        t.page(IOVA, page, false);
        dmaWrite(m, 0, IOVA + OFF, (byte) 7);
        assertEquals(List.of(stale(Access.WRITE, page + OFF, RW, page + OFF, Prot.READ, null, "permissions reduced", TLBIVAL)),
                seen.stale);
        tlbival();
        assertEquals("PERMISSION FAULT (level 3)", writeFault(m, 0, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void noExecIsAReducedPermission() {
        t.put(IOVA, 3, page | 3 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1 | SmmuRig.Tables.NG | 1L << 54);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, page + OFF, RW | Prot.NOEXEC, null, "permissions reduced",
                TLBIVAL)), seen.stale);
    }

    @Test
    void clearedTableDescriptorIsDueATlbiva() {
        t.put(IOVA, 3, 0);
        t.put(IOVA, 2, 0);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, 0, 0, "TRANSLATION FAULT (level 2)",
                "table entry cleared (level 2)", "SMMU TLBIVA ASID 1 VA 0x5000 (or TLBIASID 1)")), seen.stale);
    }

    @Test
    void changedTtbrWithTheSameAsid() {
        SmmuRig.Tables copy = rig.new Tables(12, 48);
        copy.page(IOVA, page);
        writeq(w, cb(8, 0, TTBR0), (long) ASID << 48 | copy.root);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(), seen.stale, "new tables that translate the same: the leaf is still right");

        SmmuRig.Tables moved = rig.new Tables(12, 48);
        long other = data(0x33);
        moved.page(IOVA, other);
        writeq(w, cb(8, 0, TTBR0), (long) ASID << 48 | moved.root);
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF));
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, other + OFF, RW, null, "TTBR changed", TLBIASID)), seen.stale);
        w.writel(cb(8, 0, SmmuRig.TLBIASID), ASID);
        assertEquals(0x33, dmaPeek(m, 0, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void changedTcrThatDisablesTheWalk() {
        w.writel(cb(8, 0, TCR), t.tcr() | EPD0);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, 0, 0, "TRANSLATION FAULT (level 0)", "TCR changed", TLBIASID)),
                seen.stale);
    }

    @Test
    void aBankRepublishedWithTheSameValuesIsNotStale() {
        w.writel(cb(8, 0, SCTLR), ON);
        w.writel(cb(8, 0, TCR), t.tcr());
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(), seen.stale);
    }

    /** Bank 1 with the same ASID and its own tables, mapping IOVA to another page. */
    private long secondBankWithTheSameAsid() {
        SmmuRig.Tables t1 = rig.new Tables(12, 48);
        long other = data(0x44);
        t1.page(IOVA, other);
        context(w, 8, 1, t1, ASID, ON);
        return other;
    }

    @Test
    void s2crMovedToAnotherBankWithTheSameAsid() {
        long other = secondBankWithTheSameAsid();
        w.writel(s2cr(0), S2CR_TRANS | 1);
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF), "the ASID-tagged TLB serves bank 0's leaf to bank 1");
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, other + OFF, RW, null,
                "context bank changed: SID 16 now reaches context bank 1, the entry was walked through context bank 0", TLBIASID)),
                seen.stale);
        w.writel(TLBIALLNSNH, 0);
        assertEquals(0x44, dmaPeek(m, 0, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void smrMovedTheStreamToAnotherBank() {
        long other = secondBankWithTheSameAsid();
        w.writel(s2cr(1), S2CR_TRANS | 1);
        w.writel(smr(0), 0);
        w.writel(smr(1), SMR_VALID | SID);
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(List.of(stale(Access.READ, page + OFF, RW, other + OFF, RW, null,
                "context bank changed: SID 16 now reaches context bank 1, the entry was walked through context bank 0", TLBIASID)),
                seen.stale);
    }

    @Test
    void aBypassedStreamDoesNotUseTheTlb() {
        t.put(IOVA, 3, 0);
        w.writel(s2cr(0), S2CR_BYPASS);
        long pa = RAM + 0x3000;
        rig.fill(pa, 0x10, 0x55);
        assertEquals(0x55, dmaPeek(m, 0, pa), "S2CR BYPASS: PA = IOVA, the TLB is not looked up");
        assertEquals(List.of(), seen.stale);
    }

    /**
     * The machine's own memory (the counting one above hands out none) gives an entry filled while a
     * monitor watches a window on its leaf; one filled before the monitor came has none and is read
     * through memory. Both see the PTE cleared.
     */
    @Test
    void entriesFilledBeforeAndWhileAMonitorWatchesAreBothChecked() {
        SmmuRig plain = new SmmuRig();
        MmioWindow pw = plain.regs(SMMU0);
        DmaMaster pm = plain.master(DMA0);
        SmmuRig.Tables pt = plain.new Tables(12, 48);
        long p = plain.alloc(0x1000);
        plain.fill(p, 0x1000, 0x11);
        long before = 0x9000;
        pt.page(IOVA, p);
        pt.page(before, p);
        context(pw, 8, 0, pt, ASID, ON);
        stream(pw, 0, SID, S2CR_TRANS | 0);
        enable(pw);
        assertEquals(0x11, dmaPeek(pm, 0, before), "filled with no monitor");
        plain.machine.setBusMonitor(seen);
        assertEquals(0x11, dmaPeek(pm, 0, IOVA + OFF), "filled while the monitor watches");
        dmaPeek(pm, 0, before);
        assertEquals(List.of(), seen.stale, "both entries still match their leaves");

        pt.put(IOVA, 3, 0);
        pt.put(before, 3, 0);
        assertEquals(0x11, dmaPeek(pm, 0, IOVA + OFF));
        assertEquals(0x11, dmaPeek(pm, 0, before));
        String fault = "TRANSLATION FAULT (level 3)";
        assertEquals(List.of(stale(Access.READ, p + OFF, RW, 0, 0, fault, "PTE cleared", TLBIVAL),
                new StaleTranslation(SMMU0, SID, before, Access.READ, p, RW, 0, 0, fault, "PTE cleared",
                        "SMMU TLBIVAL ASID 1 VA 0x9000 (or TLBIASID 1)")), seen.stale);
    }

    @Test
    void theCheckReadsTheLeafOnlyWhileAMonitorWatches() {
        long before = models.reads();
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(1, models.reads() - before, "a checked hit that matches: one read, the leaf");

        rig.machine.setBusMonitor(null);
        t.put(IOVA, 3, 0);
        before = models.reads();
        assertEquals(0x11, dmaPeek(m, 0, IOVA + OFF));
        assertEquals(0, models.reads() - before, "the check is off: a hit reads no memory");
        assertEquals(List.of(), seen.stale);

        tlbival();
        t.page(IOVA, page);
        before = models.reads();
        dmaPeek(m, 0, IOVA + OFF);
        assertEquals(4, models.reads() - before, "a miss reads one descriptor per level (4 KiB granule, 48 bits)");
    }
}
