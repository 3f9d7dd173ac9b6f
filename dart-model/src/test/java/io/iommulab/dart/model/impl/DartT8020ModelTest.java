package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.IotlbEntry;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The T8020 family (t8103, t6000, t8103-usb4) driven like software: registers through MMIO, tables
 * written by hand in memory, transactions by DMA.
 */
class DartT8020ModelTest {
    // Register offsets and fields as the contract gives them (written out, not taken from the model).
    static final int PARAMS1 = 0x00;
    static final int PARAMS2 = 0x04;
    static final int STREAM_COMMAND = 0x20;
    static final int INVALIDATE = 1 << 20;
    static final int BUSY = 1 << 2;
    static final int STREAM_SELECT = 0x34;
    static final int ERROR = 0x40;
    static final int ERROR_ADDR_LO = 0x50;
    static final int ERROR_ADDR_HI = 0x54;
    static final int CONFIG = 0x60;
    static final int ENABLE = 0xFC;
    static final int USB4_ENABLE1 = 0xF8;
    static final int TCR_TRANSLATE = 1 << 7;
    static final int TCR_BYPASS_DART = 1 << 8;
    static final int TCR_BYPASS_DAPF = 1 << 12;
    static final int FLAG = 1 << 31;
    static final int NO_TTBR = 0x01;
    static final int NO_PMD = 0x02;
    static final int NO_PTE = 0x04;
    static final int WRITE_FAULT = 0x08;
    static final int READ_FAULT = 0x10;

    static int tcr(int sid) {
        return 0x100 + 4 * sid;
    }

    static int ttbr(int base, int sid, int idx) {
        return base + 16 * sid + 4 * idx;
    }

    static int ttbrValue(long pa) {
        return 0x8000_0000 | (int) (pa >>> 12);
    }

    private final DartRig rig = new DartRig();

    /** Enables {@code sid}, points TTBR[sid][idx] at {@code t} and turns translation on. */
    static void translate(MmioWindow w, int ttbrBase, int sid, int idx, DartRig.Tables t) {
        int word = sid < 32 ? ENABLE : USB4_ENABLE1;
        w.writel(word, w.readl(word) | 1 << (sid & 31));
        w.writel(ttbr(ttbrBase, sid, idx), ttbrValue(t.root));
        w.writel(tcr(sid), TCR_TRANSLATE);
    }

    /** The driver's flush: STREAM_SELECT words, INVALIDATE, poll BUSY. */
    static void invalidate(MmioWindow w, int words, int... sids) {
        int[] sel = new int[words];
        for (int sid : sids) {
            sel[sid / 32] |= 1 << (sid % 32);
        }
        for (int i = 0; i < words; i++) {
            w.writel(STREAM_SELECT + 4 * i, sel[i]);
        }
        w.writel(STREAM_COMMAND, INVALIDATE);
        pollBusy(w, STREAM_COMMAND, BUSY);
    }

    @Test
    void resetValuesAndParams() {
        for (String dart : List.of(DART_A, T6000, USB4)) {
            MmioWindow w = rig.regs(dart);
            assertEquals(14 << 24, w.readl(PARAMS1), dart + " PARAMS1: 16 KiB pages");
            assertEquals(0, w.readl(CONFIG), dart + " not locked");
            assertEquals(0, w.readl(ERROR));
            assertEquals(0, w.readl(ERROR_ADDR_LO));
            assertEquals(0, w.readl(ERROR_ADDR_HI));
            assertEquals(0, w.readl(ENABLE), dart + ": streams disabled at reset");
            assertEquals(0, w.readl(STREAM_COMMAND));
            assertEquals(0, w.readl(STREAM_SELECT));
            assertEquals(0, w.readl(tcr(0)));
        }
        assertEquals(1, rig.regs(DART_A).readl(PARAMS2), "t8103 bypass support");
        assertEquals(1, rig.regs(T6000).readl(PARAMS2), "t6000 bypass support");
        assertEquals(0, rig.regs(USB4).readl(PARAMS2), "usb4 has no bypass");
        MmioWindow a = rig.regs(DART_A);
        assertEquals(0, a.readl(ttbr(0x200, 15, 3)));
        a.writel(ttbr(0x200, 15, 3), 0xdead_beef);
        assertEquals(0xdead_beef, a.readl(ttbr(0x200, 15, 3)), "TTBR[15][3] at 0x200 + 16*15 + 12");
        a.writel(tcr(15), 0xffff_ffff);
        assertEquals(TCR_TRANSLATE | TCR_BYPASS_DART | TCR_BYPASS_DAPF, a.readl(tcr(15)), "TCR writable bits");
        a.writel(ENABLE, 0xffff_ffff);
        assertEquals(0xffff, a.readl(ENABLE), "16 SIDs: 16 enable bits");
        MmioWindow u = rig.regs(USB4);
        u.writel(ttbr(0x400, 63, 3), 0x8000_0123);
        assertEquals(0x8000_0123, u.readl(0x400 + 16 * 63 + 12), "usb4 TTBRs at 0x400");
        assertEquals(0, u.readl(USB4_ENABLE1));
        u.writel(STREAM_SELECT + 4, 0xffff_ffff);
        assertEquals(0xffff_ffff, u.readl(STREAM_SELECT + 4), "usb4 has a second STREAM_SELECT word");
    }

    @Test
    void translatesThroughDart1Tables() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long page = rig.allocPage(0);
        t.map(0x1234_0000L, page);
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 1, 0, t);
        DmaMaster m = rig.master(DMA_A);
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        DmaResult r = m.write(1, 0x1234_0000L + 0x3ff8, data);
        assertTrue(r.ok(), r.fault());
        for (int i = 0; i < data.length; i++) {
            assertEquals(data[i], rig.peek(page + 0x3ff8 + i), "byte " + i + " at page offset 0x3ff8");
        }
        assertArrayEquals(data, dmaRead(m, 1, 0x1234_0000L + 0x3ff8, 8));
        assertEquals("NO PTE FOR IOVA", readFault(m, 1, 0x1234_0000L + PAGE), "only one page mapped");
    }

    @Test
    void translatesThroughDart2TablesOnT6000() {
        DartRig.Tables t = rig.new Tables(Pte.DART2, 2);
        long page = rig.allocPage(0x6a);
        t.map(0xfffc_0000L, page);
        translate(rig.regs(T6000), 0x200, 5, 0, t);
        DmaMaster m = rig.master(DMA_T6000);
        assertEquals(0x6a, dmaPeek(m, 1, 0xfffc_0000L + 0x10));
        // DART2 permission bits: NO_WRITE bit 2, NO_READ bit 3.
        t.map(0xfffc_4000L, rig.allocPage(0), false, true);
        t.map(0xfffc_8000L, rig.allocPage(0), true, false);
        assertEquals("READ FAULT", readFault(m, 1, 0xfffc_4000L));
        rig.regs(T6000).writel(ERROR, rig.regs(T6000).readl(ERROR));
        assertEquals("WRITE FAULT", writeFault(m, 1, 0xfffc_8000L));
        assertEquals(FLAG | 5 << 24 | WRITE_FAULT, rig.regs(T6000).readl(ERROR));
        assertTrue(m.write(1, 0xfffc_4000L, new byte[4]).ok());
        assertTrue(m.read(1, 0xfffc_8000L, 4).ok());
    }

    @Test
    void ttbrSelectedByIovaBits37To36() {
        DartRig.Tables t1 = rig.new Tables(Pte.DART1, 2);
        long page = rig.allocPage(0x11);
        long iova = (1L << 36) | 0x4000;
        t1.map(iova, page);
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 0, 1, t1);
        DmaMaster m = rig.master(DMA_A);
        assertEquals(0x11, dmaPeek(m, 0, iova), "TTBR[0][1] covers 64..128 GiB");
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, 0x4000), "TTBR[0][0] not valid");
        assertEquals(NO_TTBR, w.readl(ERROR) & 0xfff);
        w.writel(ERROR, w.readl(ERROR));
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, 1L << 38), "IOVA[63:38] selects no TTBR");
        assertEquals(1 << 6, w.readl(ERROR_ADDR_HI), "ERROR_ADDR_HI holds IOVA[63:32]");
    }

    @Test
    void blockedBypassAndInvalidTcr() {
        MmioWindow w = rig.regs(DART_A);
        DmaMaster m = rig.master(DMA_A);
        w.writel(ENABLE, 0xffff);
        long pa = RAM + 0x200_0000;
        rig.machine.memory().write8(pa, (byte) 0x77);
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, pa), "TCR 0: blocked");
        assertEquals(FLAG | NO_TTBR, w.readl(ERROR), "blocked latches NO TTBR for SID 0");
        w.writel(ERROR, w.readl(ERROR));
        w.writel(tcr(0), TCR_BYPASS_DART | TCR_BYPASS_DAPF);
        assertEquals(0x77, dmaPeek(m, 0, pa), "bypass: PA = IOVA");
        w.writel(tcr(0), TCR_TRANSLATE | TCR_BYPASS_DART);
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, pa), "TRANSLATE+BYPASS is invalid: blocked");

        MmioWindow u = rig.regs(USB4);
        u.writel(ENABLE, 1);
        u.writel(tcr(0), TCR_BYPASS_DART);
        assertEquals("NO TTBR FOR IOVA", readFault(rig.master(NHI), 0, pa), "usb4 cannot bypass");
        assertEquals(FLAG | NO_TTBR, u.readl(ERROR));
    }

    @Test
    void bypassOptionClearsParams2AndBlocksBypass() {
        DartRig r = new DartRig(option(DART_A, "bypass", "false"));
        MmioWindow w = r.regs(DART_A);
        assertEquals(0, w.readl(PARAMS2));
        w.writel(ENABLE, 1);
        w.writel(tcr(0), TCR_BYPASS_DART);
        assertEquals("NO TTBR FOR IOVA", readFault(r.master(DMA_A), 0, RAM));
    }

    @Test
    void everyFaultCodeLatchesWithStreamAndAddress() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long ro = 0x10_0000L;
        long wo = 0x10_4000L;
        t.map(ro, rig.allocPage(0), true, false);
        t.map(wo, rig.allocPage(0), false, true);
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 15, 0, t);
        DmaMaster m = rig.master(DMA_A);
        int stream15 = 2;
        record Case(String text, int code, long iova, boolean write) {
        }
        List<Case> cases = List.of(
                new Case("WRITE FAULT", WRITE_FAULT, ro + 0x20, true),
                new Case("READ FAULT", READ_FAULT, wo + 0x30, false),
                new Case("NO PTE FOR IOVA", NO_PTE, ro + 2 * PAGE, false),
                new Case("NO PMD FOR IOVA", NO_PMD, 0x4000_0000L, false),
                new Case("NO TTBR FOR IOVA", NO_TTBR, 1L << 36, true));
        for (Case c : cases) {
            String text = c.write ? writeFault(m, stream15, c.iova) : readFault(m, stream15, c.iova);
            assertEquals(c.text, text);
            int err = w.readl(ERROR);
            assertEquals(FLAG | 15 << 24 | c.code, err, c.text + ": ERROR = FLAG | STREAM 15 | CODE");
            assertEquals((int) c.iova, w.readl(ERROR_ADDR_LO), c.text);
            assertEquals((int) (c.iova >>> 32), w.readl(ERROR_ADDR_HI), c.text);
            w.writel(ERROR, err);
            assertEquals(0, w.readl(ERROR), "W1C clears the latch");
        }
        // The permitted directions work.
        assertTrue(m.read(stream15, ro, 4).ok());
        assertTrue(m.write(stream15, wo, new byte[4]).ok());
    }

    @Test
    void firstErrorStaysUntilClearedAndIrqRaisedOncePerLatch() {
        MmioWindow w = rig.regs(DART_A);
        List<Integer> seen = rig.recordFaults(DART_A, ERROR);
        IrqLine line = rig.irq(DART_A);
        DmaMaster m = rig.master(DMA_A);
        w.writel(ENABLE, 0xffff);
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        w.writel(ttbr(0x200, 1, 0), ttbrValue(t.root));
        w.writel(tcr(1), TCR_TRANSLATE);

        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, 0x1000));
        assertEquals("NO PMD FOR IOVA", readFault(m, 1, 0x8000), "the second fault still fails");
        assertEquals(FLAG | NO_TTBR, w.readl(ERROR), "the first error stays");
        assertEquals(0x1000, w.readl(ERROR_ADDR_LO), "its address too");
        assertEquals(List.of(FLAG | NO_TTBR), seen, "one interrupt for the latched error, none for the second");
        assertEquals(1, line.raisedCount());

        w.writel(ERROR, FLAG | NO_TTBR);
        assertEquals("NO PMD FOR IOVA", readFault(m, 1, 0x8000));
        assertEquals(FLAG | 1 << 24 | NO_PMD, w.readl(ERROR), "after W1C the next fault latches");
        assertEquals(2, seen.size());
        assertEquals(2, line.raisedCount());
    }

    @Test
    void sharedLineEachDartAnswersForItsOwnError() {
        List<Integer> a = rig.recordFaults(DART_A, ERROR);
        List<Integer> b = rig.recordFaults(DART_B, ERROR);
        IrqLine line = rig.irq(DART_A);
        assertTrue(line == rig.irq(DART_B), "the two DARTs share AIC 781");
        MmioWindow wb = rig.regs(DART_B);
        wb.writel(ENABLE, 1 << 3);
        assertEquals("NO TTBR FOR IOVA", readFault(rig.master(DMA_B), 0, 0x4000));
        assertEquals(List.of(), a, "DART A's handler saw FLAG clear");
        assertEquals(List.of(FLAG | 3 << 24 | NO_TTBR), b);
        assertEquals(1, line.raisedCount());
        assertEquals(0, line.unhandledCount());
        assertEquals(0, rig.regs(DART_A).readl(ERROR));
    }

    @Test
    void streamDisabledFaultsWithoutLatch() {
        MmioWindow w = rig.regs(DART_A);
        w.writel(tcr(0), TCR_BYPASS_DART);
        DmaMaster m = rig.master(DMA_A);
        assertEquals("STREAM DISABLED", readFault(m, 0, RAM));
        assertEquals(0, w.readl(ERROR), "nothing latched");
        assertEquals(0, rig.irq(DART_A).raisedCount(), "no interrupt");
        w.writel(ENABLE, 1);
        assertTrue(m.read(0, RAM, 4).ok(), "enabled: bypass works");
        w.writel(ENABLE, 0);
        assertEquals("STREAM DISABLED", readFault(m, 0, RAM), "disabling takes effect at once");
    }

    @Test
    void sidBeyondTheStreamsIsNeverDelivered() {
        MmioWindow w = rig.regs(DART_A);
        w.writel(ENABLE, 0xffff_ffff);
        assertEquals("NO SUCH STREAM", readFault(rig.master(DMA_A), 3, RAM), "SID 16 on a 16-SID DART");
        assertEquals(0, w.readl(ERROR));
        assertEquals(0, rig.irq(DART_A).raisedCount());
    }

    @Test
    void staleTranslationUntilInvalidationOfThatSid() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long oldPage = rig.allocPage(0xaa);
        long newPage = rig.allocPage(0xbb);
        long iova = 0x80_0000L;
        t.map(iova, oldPage);
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 0, 0, t);
        translate(w, 0x200, 1, 0, t);
        DmaMaster m = rig.master(DMA_A);
        assertEquals(0xaa, dmaPeek(m, 0, iova));
        assertEquals(0xaa, dmaPeek(m, 1, iova));

        t.map(iova, newPage);
        assertEquals(0xaa, dmaPeek(m, 0, iova), "IOTLB not coherent with memory: stale");
        w.writel(tcr(0), 0);
        w.writel(tcr(0), TCR_TRANSLATE);
        w.writel(ttbr(0x200, 0, 0), ttbrValue(t.root));
        assertEquals(0xaa, dmaPeek(m, 0, iova), "TCR/TTBR writes do not drop the IOTLB");

        invalidate(w, 1, 1);
        assertEquals(0xaa, dmaPeek(m, 0, iova), "invalidating SID 1 keeps SID 0's entries");
        assertEquals(0xbb, dmaPeek(m, 1, iova));
        invalidate(w, 1, 0);
        assertEquals(0xbb, dmaPeek(m, 0, iova), "gone after invalidating SID 0");

        t.unmap(iova);
        assertEquals(0xbb, dmaPeek(m, 0, iova), "stale after unmap");
        invalidate(w, 1, 0, 1);
        assertEquals("NO PTE FOR IOVA", readFault(m, 0, iova));
        assertEquals("NO PTE FOR IOVA", readFault(m, 1, iova));
    }

    /** What a tool sees through the machine's debug port: each stream's IOTLB, one DART page per entry. */
    @Test
    void iotlbEntriesArePerStreamAndGoWithThatStreamsInvalidation() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long rw = rig.allocPage(0x11);
        long ro = rig.allocPage(0x22);
        long iova = 0x80_0000L;
        t.map(iova, rw);
        t.map(iova + PAGE, ro, true, false);
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 0, 0, t);
        translate(w, 0x200, 1, 0, t);
        assertEquals(List.of(), rig.machine.iotlbEntries(DART_A));
        DmaMaster m = rig.master(DMA_A);
        assertEquals(0x11, dmaPeek(m, 0, iova + 0x10));
        assertEquals(0x22, dmaPeek(m, 1, iova + PAGE));
        assertEquals(0x11, dmaPeek(m, 1, iova));
        assertEquals(List.of(new IotlbEntry(0, -1, -1, iova, rw, PAGE, Prot.READ | Prot.WRITE),
                new IotlbEntry(1, -1, -1, iova + PAGE, ro, PAGE, Prot.READ),
                new IotlbEntry(1, -1, -1, iova, rw, PAGE, Prot.READ | Prot.WRITE)), rig.machine.iotlbEntries(DART_A),
                "per stream, oldest first");
        Map<String, Long> counters = rig.counters(DART_A);
        rig.machine.iotlbEntries(DART_A);
        assertEquals(counters, rig.counters(DART_A), "reading the entries counts nothing");

        invalidate(w, 1, 1);
        assertEquals(List.of(new IotlbEntry(0, -1, -1, iova, rw, PAGE, Prot.READ | Prot.WRITE)),
                rig.machine.iotlbEntries(DART_A));
    }

    @Test
    void usb4InvalidatesSids32To63ThroughTheSecondSelectWord() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long iova = 0x4000_0000L;
        t.map(iova, rig.allocPage(0x01));
        MmioWindow w = rig.regs(USB4);
        DmaMaster nhi = rig.master(NHI);
        int[] sids = {0, 1, 33, 40, 63};
        for (int sid : sids) {
            translate(w, 0x400, sid, 0, t);
        }
        assertEquals(0x3, w.readl(ENABLE));
        assertEquals(1 << 1 | 1 << 8 | 1 << 31, w.readl(USB4_ENABLE1), "SIDs 33, 40, 63 in word 1 at 0xF8");
        for (int s = 0; s < sids.length; s++) {
            assertEquals(0x01, dmaPeek(nhi, s, iova));
        }
        t.map(iova, rig.allocPage(0x02));
        invalidate(w, 2, 40, 63);
        assertEquals(0x01, dmaPeek(nhi, 0, iova), "SID 0 not selected: stale");
        assertEquals(0x01, dmaPeek(nhi, 2, iova), "SID 33 not selected: stale");
        assertEquals(0x02, dmaPeek(nhi, 3, iova), "SID 40 invalidated by STREAM_SELECT word 1 bit 8");
        assertEquals(0x02, dmaPeek(nhi, 4, iova), "SID 63 invalidated by word 1 bit 31");
        invalidate(w, 1, 0);
        assertEquals(0x02, dmaPeek(nhi, 0, iova));
        assertEquals(0x01, dmaPeek(nhi, 2, iova), "a one-word select never reaches SID 33");
    }

    @Test
    void usb4ErrorStreamFieldKeepsFourBitsOfTheSid() {
        MmioWindow w = rig.regs(USB4);
        w.writel(USB4_ENABLE1, 1 << 8);
        assertEquals("NO TTBR FOR IOVA", readFault(rig.master(NHI), 3, 0x4000));
        assertEquals(FLAG | (40 & 0xf) << 24 | NO_TTBR, w.readl(ERROR), "SID 40 reads as stream 8");
    }

    @Test
    void usb4SecondEnableWordIsAt0xF8And0x100IsTcr0() {
        MmioWindow w = rig.regs(USB4);
        DmaMaster nhi = rig.master(NHI);
        // What upstream's reset does for the second word (0xFC + 4, dart-facts §1.9 (b)).
        w.writel(0x100, 0xffff_ffff);
        assertEquals(TCR_TRANSLATE | TCR_BYPASS_DART | TCR_BYPASS_DAPF, w.readl(tcr(0)), "0x100 is TCR[0]");
        assertEquals(0, w.readl(USB4_ENABLE1), "no SID 32..63 enabled by it");
        assertEquals("STREAM DISABLED", readFault(nhi, 3, 0));
        w.writel(ENABLE, 1);
        assertEquals("NO TTBR FOR IOVA", readFault(nhi, 0, 0), "TCR[0] = TRANSLATE|BYPASS: blocked");
        w.writel(USB4_ENABLE1, 0xffff_ffff);
        assertEquals("NO TTBR FOR IOVA", readFault(nhi, 3, 0), "SID 40 enabled by 0xF8, blocked by its TCR 0");
    }

    @Test
    void busyIsClearOnceTheCommandHasRunByDefault() {
        MmioWindow w = rig.regs(DART_A);
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY, "idle");
        w.writel(STREAM_SELECT, 1);
        w.writel(STREAM_COMMAND, INVALIDATE);
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY, "the simulated DART finishes within the write");
        w.writel(STREAM_COMMAND, 0);
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY, "a write without INVALIDATE is no command");
        assertEquals(1L, rig.counters(DART_A).get("invalidations"));
    }

    @Test
    void busyPollsKeepsBusyForThatManyReads() {
        DartRig r = new DartRig(option(DART_A, "busy-polls", "2"));
        MmioWindow w = r.regs(DART_A);
        w.writel(STREAM_SELECT, 1);
        w.writel(STREAM_COMMAND, INVALIDATE);
        assertEquals(1L, r.counters(DART_A).get("invalidations"), "invalidated before BUSY is first read");
        assertEquals(BUSY, w.readl(STREAM_COMMAND) & BUSY, "read 1");
        assertEquals(BUSY, w.readl(STREAM_COMMAND) & BUSY, "read 2");
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY, "then clear");
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY);
    }

    @Test
    void busyStuckNeverClearsAndNeverInvalidates() {
        DartRig r = new DartRig(option(DART_A, "busy-stuck", "true"));
        DartRig.Tables t = r.new Tables(Pte.DART1, 2);
        long iova = 0x8000;
        t.map(iova, r.allocPage(0x31));
        MmioWindow w = r.regs(DART_A);
        translate(w, 0x200, 0, 0, t);
        DmaMaster m = r.master(DMA_A);
        assertEquals(0x31, dmaPeek(m, 0, iova));
        t.unmap(iova);
        w.writel(STREAM_SELECT, 1);
        w.writel(STREAM_COMMAND, INVALIDATE);
        for (int i = 0; i < 200; i++) {
            assertEquals(BUSY, w.readl(STREAM_COMMAND) & BUSY, "read " + i);
        }
        assertEquals(0x31, dmaPeek(m, 0, iova), "nothing was invalidated");
        assertEquals(0L, r.counters(DART_A).get("invalidations"));
    }

    @Test
    void failNthLosesOneCommandsCompletionUntilTheNextCommand() {
        DartRig r = new DartRig();
        DartRig.Tables t = r.new Tables(Pte.DART1, 2);
        long iova = 0x8000;
        t.map(iova, r.allocPage(0x31));
        MmioWindow w = r.regs(DART_A);
        translate(w, 0x200, 0, 0, t);
        DmaMaster m = r.master(DMA_A);
        assertEquals(0x31, dmaPeek(m, 0, iova));
        t.unmap(iova);
        r.machine.failNth().arm(1, java.util.List.of(io.iommulab.api.machine.FailNth.BUSY_STUCK));
        w.writel(STREAM_SELECT, 1);
        w.writel(STREAM_COMMAND, INVALIDATE);
        for (int i = 0; i < 200; i++) {
            assertEquals(BUSY, w.readl(STREAM_COMMAND) & BUSY, "read " + i);
        }
        assertEquals(0x31, dmaPeek(m, 0, iova), "the lost command invalidated nothing");
        assertEquals(DART_A, r.machine.failNth().state().where());
        w.writel(STREAM_COMMAND, INVALIDATE);
        assertEquals(0, w.readl(STREAM_COMMAND) & BUSY, "the next command runs and completes");
        assertTrue(readFault(m, 0, iova).length() > 0, "and invalidates: the unmapped IOVA faults now");
    }

    @Test
    void lockedIgnoresTcrAndTtbrWrites() {
        DartRig r = new DartRig(option(DART_A, "locked", "true"));
        MmioWindow w = r.regs(DART_A);
        assertEquals(1 << 15, w.readl(CONFIG) & 1 << 15, "CONFIG.LOCK");
        w.writel(tcr(0), TCR_BYPASS_DART);
        w.writel(ttbr(0x200, 0, 0), ttbrValue(RAM));
        assertEquals(0, w.readl(tcr(0)));
        assertEquals(0, w.readl(ttbr(0x200, 0, 0)));
        w.writel(ENABLE, 1);
        assertEquals(1, w.readl(ENABLE), "stream enables are not locked");
        assertEquals("NO TTBR FOR IOVA", readFault(r.master(DMA_A), 0, RAM), "TCR stayed 0: blocked");
    }

    @Test
    void countersCountHitsMissesWalksFaultsInvalidations() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        t.map(0, rig.allocPage(0));
        t.map(PAGE, rig.allocPage(0));
        MmioWindow w = rig.regs(DART_A);
        translate(w, 0x200, 0, 0, t);
        DmaMaster m = rig.master(DMA_A);
        assertEquals(Map.of("iotlb.hits", 0L, "iotlb.misses", 0L, "walks", 0L, "faults", 0L, "invalidations", 0L),
                rig.counters(DART_A));
        dmaRead(m, 0, 0, 16);            // miss + walk
        dmaRead(m, 0, 0x100, 16);        // hit
        dmaRead(m, 0, PAGE - 8, 16);     // two transactions: hit on page 0, miss + walk on page 1
        readFault(m, 0, 2 * PAGE);       // miss + walk, NO PTE
        readFault(m, 0, 1L << 37);       // miss, NO TTBR before any table is read
        invalidate(w, 1, 0);
        dmaRead(m, 0, 0, 16);            // miss + walk again
        assertEquals(Map.of("iotlb.hits", 2L, "iotlb.misses", 5L, "walks", 4L, "faults", 2L, "invalidations", 1L),
                rig.counters(DART_A));
    }

    @Test
    void iotlbCapacityEvictsOldestAndZeroMeansNoIotlb() {
        DartRig r = new DartRig(option(DART_A, "iotlb-entries", "2"));
        DartRig.Tables t = r.new Tables(Pte.DART1, 2);
        for (int i = 0; i < 3; i++) {
            t.map(i * PAGE, r.allocPage(i));
        }
        translate(r.regs(DART_A), 0x200, 0, 0, t);
        DmaMaster m = r.master(DMA_A);
        dmaPeek(m, 0, 0);
        dmaPeek(m, 0, PAGE);
        dmaPeek(m, 0, 0);
        assertEquals(1L, r.counters(DART_A).get("iotlb.hits"), "two entries fit");
        dmaPeek(m, 0, 2 * PAGE);                               // evicts page 0, the oldest
        dmaPeek(m, 0, PAGE);                                   // still cached
        dmaPeek(m, 0, 0);                                      // walks again
        assertEquals(Map.of("iotlb.hits", 2L, "iotlb.misses", 4L), Map.of(
                "iotlb.hits", r.counters(DART_A).get("iotlb.hits"), "iotlb.misses", r.counters(DART_A).get("iotlb.misses")));

        DartRig z = new DartRig(option(DART_A, "iotlb-entries", "0"));
        DartRig.Tables tz = z.new Tables(Pte.DART1, 2);
        tz.map(0, z.allocPage(0x10));
        translate(z.regs(DART_A), 0x200, 0, 0, tz);
        DmaMaster mz = z.master(DMA_A);
        assertEquals(0x10, dmaPeek(mz, 0, 0));
        tz.map(0, z.allocPage(0x20));
        assertEquals(0x20, dmaPeek(mz, 0, 0), "no IOTLB: every transaction walks");
        assertEquals(0L, z.counters(DART_A).get("iotlb.hits"));
        assertEquals(2L, z.counters(DART_A).get("walks"));
    }

    @Test
    void dartWithoutInterruptStillLatches() {
        MmioWindow w = rig.regs(NOIRQ);
        w.writel(ENABLE, 1);
        assertEquals("NO TTBR FOR IOVA", readFault(rig.master(DMA_NOIRQ), 0, 0));
        assertEquals(FLAG | NO_TTBR, w.readl(ERROR));
    }
}
