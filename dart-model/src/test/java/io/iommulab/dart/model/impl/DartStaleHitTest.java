package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.machine.testing.ReadCountingFactory;
import io.iommulab.machine.testing.RecordingMonitor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The DART's IOTLB under a DMA sanitizer (the machine's bus monitor set): a hit whose entry no longer
 * matches the tables or registers is reported once per hit, with what changed and the flush the
 * family was due, and the transaction still uses the stale entry; a flushed stream, a matching hit
 * and a check that is off report nothing, and the check that is off reads no memory.
 */
class DartStaleHitTest {
    static final int RW = Prot.READ | Prot.WRITE;
    static final long IOVA = 0x1234_0000L;
    static final long OFF = 0x120;
    static final String FLUSH_A1 = "DART stream flush: STREAM_SELECT word 0 (0x34) bit 1 + STREAM_COMMAND INVALIDATE (stream 1)";

    private final ReadCountingFactory models = new ReadCountingFactory(DartRig.models());
    private final DartRig rig = new DartRig(models, Map.of());
    private final RecordingMonitor seen = new RecordingMonitor();

    /** A T8020 stream (DART_A SID 1, DART1 tables) with IOVA mapped to a page, its IOTLB filled. */
    private final class T8020Stream {
        final MmioWindow w = rig.regs(DART_A);
        final DmaMaster m = rig.master(DMA_A);
        final DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        final long page = rig.allocPage(0x11);

        T8020Stream() {
            t.map(IOVA, page);
            DartT8020ModelTest.translate(w, 0x200, 1, 0, t);
            rig.machine.setBusMonitor(seen);
            assertEquals(0x11, dmaPeek(m, 1, IOVA + OFF), "fills the IOTLB");
            assertEquals(List.of(), seen.stale, "a fresh fill is not stale");
        }

        void flush() {
            DartT8020ModelTest.invalidate(w, 1, 1);
        }
    }

    private static StaleTranslation stale(String dart, int sid, long iova, Access access, long cachedPa, int cachedPerms,
            long pa, int perms, String fault, String cause, String due) {
        return new StaleTranslation(dart, sid, iova, access, cachedPa, cachedPerms, pa, perms, fault, cause, due);
    }

    @Test
    void clearedPteIsReportedOnEveryHitUntilTheStreamIsFlushed() {
        T8020Stream s = new T8020Stream();
        s.t.unmap(IOVA);
        assertEquals(0x11, dmaPeek(s.m, 1, IOVA + OFF), "the stale entry still serves the transaction, as on silicon");
        StaleTranslation expected = stale(DART_A, 1, IOVA + OFF, Access.READ, s.page + OFF, RW, 0, 0, "NO PTE FOR IOVA",
                "PTE cleared", FLUSH_A1);
        assertEquals(List.of(expected), seen.stale);
        assertEquals(0x11, dmaPeek(s.m, 1, IOVA + OFF));
        assertEquals(List.of(expected, expected), seen.stale, "once per hit");

        s.flush();
        assertEquals("NO PTE FOR IOVA", readFault(s.m, 1, IOVA + OFF), "after the flush the walk sees the cleared PTE");
        assertEquals(2, seen.stale.size(), "a fault after a flush is no stale hit");
    }

    /**
     * The report says how to ask whether the IOTLB still holds the entry that served the hit: yes
     * until the stream is flushed, no once a flush came after the hit (it raced the hit: the
     * translation was in flight, not left stale).
     */
    @Test
    void theReportAsksWhetherTheEntryIsStillCached() {
        T8020Stream s = new T8020Stream();
        s.t.unmap(IOVA);
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(List.of(true), seen.stillCached);
        seen.beforeAsking = s::flush;
        assertEquals(0x11, dmaPeek(s.m, 1, IOVA + OFF), "served before the flush");
        assertEquals(List.of(true, false), seen.stillCached, "the flush came after the hit");
        assertEquals("NO PTE FOR IOVA", readFault(s.m, 1, IOVA + OFF));
    }

    @Test
    void changedPteToAnotherPageNamesBothPages() {
        T8020Stream s = new T8020Stream();
        long other = rig.allocPage(0x22);
        s.t.map(IOVA, other);
        DmaResult r = s.m.write(1, IOVA + OFF, new byte[] {5});
        assertTrue(r.ok());
        assertEquals(5, rig.peek(s.page + OFF), "the write went to the old page");
        assertEquals(List.of(stale(DART_A, 1, IOVA + OFF, Access.WRITE, s.page + OFF, RW, other + OFF, RW, null,
                "PTE changed", FLUSH_A1)), seen.stale);
        s.flush();
        assertEquals(0x22, dmaPeek(s.m, 1, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void reducedPermissionsLetTheStaleWriteThrough() {
        T8020Stream s = new T8020Stream();
        s.t.map(IOVA, s.page, true, false);
        assertTrue(s.m.write(1, IOVA + OFF, new byte[] {7}).ok(), "the cached entry still allows writes");
        assertEquals(List.of(stale(DART_A, 1, IOVA + OFF, Access.WRITE, s.page + OFF, RW, s.page + OFF, Prot.READ, null,
                "permissions reduced", FLUSH_A1)), seen.stale);
        s.flush();
        assertEquals("WRITE FAULT", writeFault(s.m, 1, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void changedTtbrIsReportedOnlyWhenTheNewTablesDisagree() {
        T8020Stream s = new T8020Stream();
        DartRig.Tables same = rig.new Tables(Pte.DART1, 2);
        same.map(IOVA, s.page);
        s.w.writel(DartT8020ModelTest.ttbr(0x200, 1, 0), DartT8020ModelTest.ttbrValue(same.root));
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(List.of(), seen.stale, "new tables with the same translation: the entry is still right");

        DartRig.Tables moved = rig.new Tables(Pte.DART1, 2);
        long other = rig.allocPage(0x33);
        moved.map(IOVA, other);
        s.w.writel(DartT8020ModelTest.ttbr(0x200, 1, 0), DartT8020ModelTest.ttbrValue(moved.root));
        assertEquals(0x11, dmaPeek(s.m, 1, IOVA + OFF));
        assertEquals(List.of(stale(DART_A, 1, IOVA + OFF, Access.READ, s.page + OFF, RW, other + OFF, RW, null,
                "TTBR changed", FLUSH_A1)), seen.stale);
        s.flush();
        assertEquals(0x33, dmaPeek(s.m, 1, IOVA + OFF));
        assertEquals(1, seen.stale.size());
    }

    @Test
    void clearedPmdIsNamedByTheFreshWalk() {
        T8020Stream s = new T8020Stream();
        // Tables torn down without a flush: the PMD entry and the leaf are both gone.
        s.t.unmap(IOVA);
        rig.write64(s.t.slot(IOVA, 2), 0);
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(List.of(stale(DART_A, 1, IOVA + OFF, Access.READ, s.page + OFF, RW, 0, 0, "NO PMD FOR IOVA",
                "PMD cleared", FLUSH_A1)), seen.stale);
    }

    @Test
    void aBypassedStreamDoesNotUseItsIotlb() {
        T8020Stream s = new T8020Stream();
        s.t.unmap(IOVA);
        s.w.writel(DartT8020ModelTest.tcr(1), DartT8020ModelTest.TCR_BYPASS_DART);
        long pa = RAM + 0x8000;
        rig.machine.memory().write8(pa, (byte) 0x44);
        assertEquals(0x44, dmaPeek(s.m, 1, pa), "bypass: PA = IOVA, the TCR is decoded before the IOTLB");
        assertEquals(List.of(), seen.stale);
    }

    @Test
    void aFlushOfAnotherStreamLeavesTheStaleEntry() {
        T8020Stream s = new T8020Stream();
        s.t.unmap(IOVA);
        DartT8020ModelTest.invalidate(s.w, 1, 0);
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(1, seen.stale.size(), "stream 0's flush does not cover stream 1");
        assertEquals(FLUSH_A1, seen.stale.get(0).due());
    }

    @Test
    void usb4StreamsAboveThirtyOneNeedTheSecondSelectWord() {
        MmioWindow w = rig.regs(USB4);
        DmaMaster nhi = rig.master(NHI);
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long page = rig.allocPage(0x55);
        t.map(IOVA, page);
        DartT8020ModelTest.translate(w, 0x400, 33, 0, t);
        rig.machine.setBusMonitor(seen);
        dmaPeek(nhi, 2, IOVA);
        t.unmap(IOVA);
        // Upstream's flush writes only word 0 for streams 32-63 (dart-facts §1.9 (a)).
        w.writel(DartT8020ModelTest.STREAM_SELECT, 0);
        w.writel(DartT8020ModelTest.STREAM_COMMAND, DartT8020ModelTest.INVALIDATE);
        assertEquals(0x55, dmaPeek(nhi, 2, IOVA));
        assertEquals(List.of(stale(USB4, 33, IOVA, Access.READ, page, RW, 0, 0, "NO PTE FOR IOVA", "PTE cleared",
                "DART stream flush: STREAM_SELECT word 1 (0x38) bit 1 + STREAM_COMMAND INVALIDATE (stream 33)")), seen.stale);
        DartT8020ModelTest.invalidate(w, 2, 33);
        assertFalse(nhi.read(2, IOVA, 1).ok());
        assertEquals(1, seen.stale.size());
    }

    @Test
    void dart2TablesOnT6000() {
        MmioWindow w = rig.regs(T6000);
        DmaMaster m = rig.master(DMA_T6000);
        DartRig.Tables t = rig.new Tables(Pte.DART2, 2);
        long page = rig.allocPage(0x66);
        t.map(IOVA, page);
        DartT8020ModelTest.translate(w, 0x200, 5, 0, t);
        rig.machine.setBusMonitor(seen);
        dmaPeek(m, 1, IOVA);
        long other = rig.allocPage(0x77);
        t.map(IOVA, other, true, false);
        assertEquals(0x66, dmaPeek(m, 1, IOVA));
        assertEquals(List.of(stale(T6000, 5, IOVA, Access.READ, page, RW, other, Prot.READ, null, "PTE changed",
                "DART stream flush: STREAM_SELECT word 0 (0x34) bit 5 + STREAM_COMMAND INVALIDATE (stream 5)")), seen.stale);
    }

    /** A T8110 stream (SID 15, DART2 tables) with IOVA mapped and its IOTLB filled. */
    private final class T8110Stream {
        final MmioWindow w = rig.regs(T8110);
        final DmaMaster m = rig.master(DMA_T8110);
        final DartRig.Tables t = rig.new Tables(Pte.DART2, 2);
        final long page = rig.allocPage(0x88);

        T8110Stream() {
            t.map(IOVA, page);
            DartT8110ModelTest.translate(w, 15, t);
            rig.machine.setBusMonitor(seen);
            assertEquals(0x88, dmaPeek(m, 2, IOVA + OFF));
        }
    }

    @Test
    void t8110ClearedPteIsDueATlbCmdFlushSid() {
        T8110Stream s = new T8110Stream();
        s.t.unmap(IOVA);
        assertEquals(0x88, dmaPeek(s.m, 2, IOVA + OFF));
        assertEquals(List.of(stale(T8110, 15, IOVA + OFF, Access.READ, s.page + OFF, RW, 0, 0, "NO PTE FOR IOVA",
                "PTE cleared", "T8110 TLB_CMD FLUSH_SID 15")), seen.stale);
        DartT8110ModelTest.flushSid(s.w, 15);
        assertFalse(s.m.read(2, IOVA + OFF, 1).ok());
        assertEquals(1, seen.stale.size());
    }

    @Test
    void t8110ChangedTcrFourLevelMakesTheOldTablesUnwalkable() {
        T8110Stream s = new T8110Stream();
        s.w.writel(DartT8110ModelTest.tcr(15), DartT8110ModelTest.TCR_TRANSLATE | DartT8110ModelTest.TCR_FOUR_LEVEL);
        assertEquals(0x88, dmaPeek(s.m, 2, IOVA + OFF));
        // Read as three tables, the two-table root's entry for IOVA[46:36] = 0 is empty.
        assertEquals(List.of(stale(T8110, 15, IOVA + OFF, Access.READ, s.page + OFF, RW, 0, 0, "NO PGD FOR IOVA",
                "TCR changed", "T8110 TLB_CMD FLUSH_SID 15")), seen.stale);
    }

    @Test
    void t8110ChangedTtbr() {
        T8110Stream s = new T8110Stream();
        DartRig.Tables moved = rig.new Tables(Pte.DART2, 2);
        long other = rig.allocPage(0x99);
        moved.map(IOVA, other);
        s.w.writel(DartT8110ModelTest.ttbr(15), DartT8110ModelTest.ttbrValue(moved.root));
        dmaPeek(s.m, 2, IOVA + OFF);
        assertEquals(List.of(stale(T8110, 15, IOVA + OFF, Access.READ, s.page + OFF, RW, other + OFF, RW, null,
                "TTBR changed", "T8110 TLB_CMD FLUSH_SID 15")), seen.stale);
    }

    /**
     * The machine's own memory (the counting one above hands out none) gives an entry filled while a
     * monitor watches a window on its leaf; one filled before the monitor came has none and is read
     * through memory. Both see the PTE cleared.
     */
    @Test
    void entriesFilledBeforeAndWhileAMonitorWatchesAreBothChecked() {
        DartRig plain = new DartRig();
        MmioWindow w = plain.regs(DART_A);
        DmaMaster m = plain.master(DMA_A);
        DartRig.Tables t = plain.new Tables(Pte.DART1, 2);
        long page = plain.allocPage(0x11);
        long before = 0x4000_0000L;
        t.map(IOVA, page);
        t.map(before, page);
        DartT8020ModelTest.translate(w, 0x200, 1, 0, t);
        assertEquals(0x11, dmaPeek(m, 1, before), "filled with no monitor");
        plain.machine.setBusMonitor(seen);
        assertEquals(0x11, dmaPeek(m, 1, IOVA + OFF), "filled while the monitor watches");
        dmaPeek(m, 1, before);
        assertEquals(List.of(), seen.stale, "both entries still match their leaves");

        t.unmap(IOVA);
        t.unmap(before);
        assertEquals(0x11, dmaPeek(m, 1, IOVA + OFF));
        assertEquals(0x11, dmaPeek(m, 1, before));
        assertEquals(List.of(
                stale(DART_A, 1, IOVA + OFF, Access.READ, page + OFF, RW, 0, 0, "NO PTE FOR IOVA", "PTE cleared", FLUSH_A1),
                stale(DART_A, 1, before, Access.READ, page, RW, 0, 0, "NO PTE FOR IOVA", "PTE cleared", FLUSH_A1)), seen.stale);
    }

    @Test
    void theCheckReadsTheLeafOnlyWhileAMonitorWatches() {
        T8020Stream s = new T8020Stream();
        long before = models.reads();
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(1, models.reads() - before, "a checked hit that matches: one read, the leaf");

        rig.machine.setBusMonitor(null);
        s.t.unmap(IOVA);
        before = models.reads();
        assertEquals(0x11, dmaPeek(s.m, 1, IOVA + OFF));
        assertEquals(0, models.reads() - before, "the check is off: a hit reads no memory");
        assertEquals(List.of(), seen.stale);

        s.flush();
        s.t.map(IOVA, s.page);
        before = models.reads();
        dmaPeek(s.m, 1, IOVA + OFF);
        assertEquals(2, models.reads() - before, "a miss reads the PMD and the leaf, once each");
    }
}
