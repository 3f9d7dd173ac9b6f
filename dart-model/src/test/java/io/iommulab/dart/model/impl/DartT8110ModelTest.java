package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The T8110 family (t8110, t6020) driven like software: registers through MMIO, tables written by
 * hand in memory, transactions by DMA.
 */
class DartT8110ModelTest {
    static final int PARAMS1 = 0x00;
    static final int PARAMS2 = 0x04;
    static final int PARAMS3 = 0x08;
    static final int PARAMS4 = 0x0C;
    static final int TLB_CMD = 0x80;
    static final int BUSY = 1 << 31;
    static final int ERROR = 0x100;
    static final int ERROR_MASK = 0x104;
    static final int ERROR_ADDR_LO = 0x170;
    static final int ERROR_ADDR_HI = 0x174;
    static final int ERROR_STREAMS = 0x1C0;
    static final int PROTECT = 0x200;
    static final int ENABLE = 0xC00;
    static final int DISABLE = 0xC20;
    static final int TCR_TRANSLATE = 1;
    static final int TCR_BYPASS_DART = 1 << 1;
    static final int TCR_BYPASS_DAPF = 1 << 2;
    static final int TCR_FOUR_LEVEL = 1 << 3;
    static final int FLAG = 1 << 31;
    static final int NO_TTBR = 0x01;
    static final int NO_PGD = 0x02;
    static final int NO_PMD = 0x04;
    static final int NO_PTE = 0x08;
    static final int WRITE_FAULT = 0x10;
    static final int READ_FAULT = 0x20;

    static int tcr(int sid) {
        return 0x1000 + 4 * sid;
    }

    static int ttbr(int sid) {
        return 0x1400 + 4 * sid;
    }

    static int ttbrValue(long pa) {
        return (int) ((pa >>> 14) << 2) | 1;
    }

    private final DartRig rig = new DartRig();

    static void translate(MmioWindow w, int sid, DartRig.Tables t) {
        w.writel(ENABLE + 4 * (sid / 32), 1 << (sid % 32));
        w.writel(ttbr(sid), ttbrValue(t.root));
        w.writel(tcr(sid), TCR_TRANSLATE | (t.levels == 3 ? TCR_FOUR_LEVEL : 0));
    }

    /** The driver's flush of one SID: TLB_CMD op 1, poll BUSY. */
    static void flushSid(MmioWindow w, int sid) {
        w.writel(TLB_CMD, 1 << 8 | sid);
        pollBusy(w, TLB_CMD, BUSY);
    }

    @Test
    void resetValuesAndParams() {
        MmioWindow w = rig.regs(T8110);
        assertEquals(14 << 24, w.readl(PARAMS1));
        assertEquals(1, w.readl(PARAMS2));
        assertEquals(42 << 24 | 36 << 16, w.readl(PARAMS3), "t8110: OAS 42, IAS 36");
        assertEquals(16, w.readl(PARAMS4));
        assertEquals(0, w.readl(PROTECT));
        assertEquals(0, w.readl(ERROR_MASK));
        for (int i = 0; i < 8; i++) {
            assertEquals(0, w.readl(ENABLE + 4 * i));
            assertEquals(0, w.readl(DISABLE + 4 * i));
            assertEquals(0, w.readl(ERROR_STREAMS + 4 * i));
        }
        w.writel(tcr(15), 0xffff_ffff);
        assertEquals(0xf, w.readl(tcr(15)), "TCR bits 3..0 writable");
        w.writel(ttbr(15), 0xffff_ffff);
        assertEquals(0x3fff_fffd, w.readl(ttbr(15)), "TTBR: VALID and [29:2]");
        assertEquals(42 << 24 | 42 << 16, rig.regs(T6020).readl(PARAMS3),
                "\"apple,t6020-dart\", \"apple,t8110-dart\": the first compatible wins, IAS 42");
    }

    @Test
    void optionsStrapParams() {
        Map<String, String> p = new HashMap<>();
        p.putAll(option(T8110, "streams", "300"));
        p.putAll(option(T8110, "ias", "40"));
        p.putAll(option(T8110, "oas", "36"));
        p.putAll(option(T8110, "bypass", "false"));
        DartRig r = new DartRig(p);
        MmioWindow w = r.regs(T8110);
        assertEquals(300, w.readl(PARAMS4));
        assertEquals(36 << 24 | 40 << 16, w.readl(PARAMS3));
        assertEquals(0, w.readl(PARAMS2));
        w.writel(ENABLE + 28, 0xffff_ffff);
        assertEquals(0xffff_ffff, w.readl(ENABLE + 28), "SIDs 224..255 exist");
        w.writel(tcr(255), TCR_TRANSLATE);
        assertEquals(TCR_TRANSLATE, w.readl(tcr(255)));
        assertEquals("NO TTBR FOR IOVA", readFault(r.master(DMA_T8110), 4, 0), "SID 255 has registers and a TCR");
    }

    @Test
    void enableAndDisableStreamsSetAndClearOneState() {
        MmioWindow w = rig.regs(T8110);
        DmaMaster m = rig.master(DMA_T8110);
        w.writel(tcr(1), TCR_BYPASS_DART | TCR_BYPASS_DAPF);
        assertEquals("STREAM DISABLED", readFault(m, 1, RAM));
        w.writel(ENABLE, 1 << 1);
        w.writel(ENABLE, 1 << 0);
        assertEquals(0x3, w.readl(ENABLE), "write-1-to-set accumulates");
        assertEquals(0x3, w.readl(DISABLE), "DISABLE_STREAMS reads the same state");
        assertTrue(m.read(1, RAM, 4).ok(), "SID 1 enabled, bypass");
        w.writel(DISABLE, 1 << 1);
        assertEquals(0x1, w.readl(ENABLE));
        assertEquals("STREAM DISABLED", readFault(m, 1, RAM));
        assertEquals(0, w.readl(ERROR), "nothing latched for a disabled stream");
        w.writel(ENABLE, 0xffff_ffff);
        assertEquals(0xffff, w.readl(ENABLE), "16 SIDs");
        assertEquals(0, w.readl(ENABLE + 4));
    }

    @Test
    void twoTableWalkAndItsFaults() {
        DartRig.Tables t = rig.new Tables(Pte.DART2, 2);
        long page = rig.allocPage(0x5c);
        long iova = 0xf_fffc_0000L;   // top of the 36-bit space
        t.map(iova, page);
        t.map(iova - PAGE, rig.allocPage(0), false, true);
        t.map(iova - 2 * PAGE, rig.allocPage(0), true, false);
        MmioWindow w = rig.regs(T8110);
        translate(w, 15, t);
        DmaMaster m = rig.master(DMA_T8110);
        assertEquals(0x5c, dmaPeek(m, 2, iova + 0x3fff));
        record Case(String text, int code, long iova, boolean write) {
        }
        List<Case> cases = List.of(
                new Case("READ FAULT", READ_FAULT, iova - PAGE, false),
                new Case("WRITE FAULT", WRITE_FAULT, iova - 2 * PAGE, true),
                new Case("NO PTE FOR IOVA", NO_PTE, iova - 3 * PAGE, false),
                new Case("NO PMD FOR IOVA", NO_PMD, 0x4000, false),
                new Case("NO TTBR FOR IOVA", NO_TTBR, 1L << 36, false));
        for (Case c : cases) {
            assertEquals(c.text, c.write ? writeFault(m, 2, c.iova) : readFault(m, 2, c.iova));
            int err = w.readl(ERROR);
            assertEquals(FLAG | 15 << 20 | c.code, err, c.text + ": FLAG | STREAM [27:20] | CODE");
            assertEquals((int) c.iova, w.readl(ERROR_ADDR_LO));
            assertEquals((int) (c.iova >>> 32), w.readl(ERROR_ADDR_HI));
            w.writel(ERROR, err);
        }
    }

    @Test
    void fourLevelWalkOnT6020() {
        DartRig.Tables t = rig.new Tables(Pte.DART2, 3);
        long page = rig.allocPage(0x42);
        long iova = 0x3ff_0000_4000L;   // needs IOVA bits above 36
        t.map(iova, page);
        MmioWindow w = rig.regs(T6020);
        translate(w, 2, t);
        DmaMaster m = rig.master(DMA_T6020);
        assertEquals(0x42, dmaPeek(m, 1, iova));
        assertEquals("NO PTE FOR IOVA", readFault(m, 1, iova + PAGE));
        assertEquals(NO_PTE, w.readl(ERROR) & 0x7fff);
        w.writel(ERROR, w.readl(ERROR));
        assertEquals("NO PMD FOR IOVA", readFault(m, 1, iova + (1L << 25)), "middle entry missing");
        assertEquals(NO_PMD, w.readl(ERROR) & 0x7fff);
        w.writel(ERROR, w.readl(ERROR));
        assertEquals("NO PGD FOR IOVA", readFault(m, 1, 0x4000), "top entry missing");
        assertEquals(NO_PGD, w.readl(ERROR) & 0x7fff);
        w.writel(ERROR, w.readl(ERROR));
        assertEquals("NO TTBR FOR IOVA", readFault(m, 1, 1L << 47), "beyond three tables");
        // Without FOUR_LEVEL the same TTBR is read as a two-table walk: IOVA bit 36+ is beyond it.
        w.writel(tcr(2), TCR_TRANSLATE);
        flushSid(w, 2);
        assertEquals("NO TTBR FOR IOVA", readFault(m, 1, iova));
    }

    @Test
    void blockedAndBypass() {
        MmioWindow w = rig.regs(T8110);
        DmaMaster m = rig.master(DMA_T8110);
        w.writel(ENABLE, 0xffff);
        rig.machine.memory().write8(RAM + 0x4000, (byte) 0x99);
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, RAM + 0x4000), "TCR 0");
        assertEquals(FLAG | NO_TTBR, w.readl(ERROR));
        w.writel(ERROR, w.readl(ERROR));
        w.writel(tcr(0), TCR_BYPASS_DART | TCR_BYPASS_DAPF);
        assertEquals(0x99, dmaPeek(m, 0, RAM + 0x4000));
        w.writel(tcr(0), TCR_BYPASS_DART | TCR_TRANSLATE);
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, RAM + 0x4000), "TRANSLATE+BYPASS: blocked");
    }

    @Test
    void tlbCmdFlushSidAndFlushAll() {
        DartRig.Tables t = rig.new Tables(Pte.DART2, 2);
        long iova = 0x10_0000L;
        t.map(iova, rig.allocPage(0x01));
        MmioWindow w = rig.regs(T8110);
        translate(w, 0, t);
        translate(w, 1, t);
        DmaMaster m = rig.master(DMA_T8110);
        assertEquals(0x01, dmaPeek(m, 0, iova));
        assertEquals(0x01, dmaPeek(m, 1, iova));
        t.map(iova, rig.allocPage(0x02));
        assertEquals(0x01, dmaPeek(m, 0, iova), "stale");

        w.writel(TLB_CMD, 1 << 8 | 1);
        assertEquals(1 << 8 | 1, w.readl(TLB_CMD), "OP and STREAM read back, BUSY clear: done within the write");
        assertEquals(0x01, dmaPeek(m, 0, iova), "op 1 flushed SID 1 only");
        assertEquals(0x02, dmaPeek(m, 1, iova));

        t.map(iova, rig.allocPage(0x03));
        w.writel(TLB_CMD, 0);
        pollBusy(w, TLB_CMD, BUSY);
        assertEquals(0x03, dmaPeek(m, 0, iova), "op 0 flushes every SID");
        assertEquals(0x03, dmaPeek(m, 1, iova));
        w.writel(TLB_CMD, 2 << 8 | 1);
        pollBusy(w, TLB_CMD, BUSY);
        assertEquals(2L, rig.counters(T8110).get("invalidations"), "op 2 is no invalidation");
    }

    @Test
    void busyStuckNeverClears() {
        DartRig r = new DartRig(option(T8110, "busy-stuck", "1"));
        DartRig.Tables t = r.new Tables(Pte.DART2, 2);
        t.map(0, r.allocPage(0x07));
        MmioWindow w = r.regs(T8110);
        translate(w, 0, t);
        DmaMaster m = r.master(DMA_T8110);
        assertEquals(0x07, dmaPeek(m, 0, 0));
        t.unmap(0);
        w.writel(TLB_CMD, 1 << 8);
        for (int i = 0; i < 200; i++) {
            assertEquals(BUSY, w.readl(TLB_CMD) & BUSY);
        }
        assertEquals(0x07, dmaPeek(m, 0, 0), "not invalidated");
    }

    @Test
    void failNthLosesOneTlbCommandUntilTheNextOne() {
        DartRig r = new DartRig();
        DartRig.Tables t = r.new Tables(Pte.DART2, 2);
        t.map(0, r.allocPage(0x07));
        MmioWindow w = r.regs(T8110);
        translate(w, 0, t);
        DmaMaster m = r.master(DMA_T8110);
        assertEquals(0x07, dmaPeek(m, 0, 0));
        t.unmap(0);
        r.machine.failNth().arm(1, java.util.List.of());
        w.writel(TLB_CMD, 1 << 8);
        for (int i = 0; i < 200; i++) {
            assertEquals(BUSY, w.readl(TLB_CMD) & BUSY);
        }
        assertEquals(0x07, dmaPeek(m, 0, 0), "not invalidated");
        assertEquals(io.iommulab.api.machine.FailNth.BUSY_STUCK, r.machine.failNth().state().point());
        w.writel(TLB_CMD, 1 << 8);
        assertEquals(0, w.readl(TLB_CMD) & BUSY);
        assertTrue(readFault(m, 0, 0).length() > 0, "the next command flushed: the unmapped IOVA faults now");
    }

    @Test
    void errorStreamsNoteEveryFaultAndClearW1c() {
        MmioWindow w = rig.regs(T8110);
        DmaMaster m = rig.master(DMA_T8110);
        w.writel(ENABLE, 0xffff);
        readFault(m, 1, 0);
        readFault(m, 2, 0);
        assertEquals(FLAG | 1 << 20 | NO_TTBR, w.readl(ERROR), "the first error stays");
        assertEquals(1 << 1 | 1 << 15, w.readl(ERROR_STREAMS), "both SIDs noted");
        w.writel(ERROR_STREAMS, 1 << 1);
        assertEquals(1 << 15, w.readl(ERROR_STREAMS), "W1C");
        w.writel(ERROR_STREAMS, 0xffff_ffff);
        assertEquals(0, w.readl(ERROR_STREAMS));
    }

    @Test
    void errorMaskSuppressesLatchAndInterrupt() {
        MmioWindow w = rig.regs(T8110);
        List<Integer> seen = rig.recordFaults(T8110, ERROR);
        IrqLine line = rig.irq(T8110);
        DmaMaster m = rig.master(DMA_T8110);
        w.writel(ENABLE, 0xffff);
        w.writel(ERROR_MASK, NO_TTBR);
        assertEquals(NO_TTBR, w.readl(ERROR_MASK));
        assertEquals("NO TTBR FOR IOVA", readFault(m, 0, 0), "a masked fault still fails");
        assertEquals(0, w.readl(ERROR));
        assertEquals(0, w.readl(ERROR_STREAMS));
        assertEquals(0, line.raisedCount());
        w.writel(ERROR_MASK, 0);
        readFault(m, 0, 0x8000);
        assertEquals(List.of(FLAG | NO_TTBR), seen);
        assertEquals(0x8000, w.readl(ERROR_ADDR_LO));
    }

    @Test
    void lockedIgnoresTcrAndTtbrWrites() {
        DartRig r = new DartRig(option(T6020, "locked", "true"));
        MmioWindow w = r.regs(T6020);
        assertEquals(1, w.readl(PROTECT) & 1);
        w.writel(tcr(0), TCR_BYPASS_DART);
        w.writel(ttbr(0), ttbrValue(RAM));
        assertEquals(0, w.readl(tcr(0)));
        assertEquals(0, w.readl(ttbr(0)));
        w.writel(ENABLE, 1);
        assertEquals("NO TTBR FOR IOVA", readFault(r.master(DMA_T6020), 0, RAM));
    }

    @Test
    void sidsBeyondTheStreamsAreNeverDelivered() {
        MmioWindow w = rig.regs(T8110);
        w.writel(ENABLE + 4, 0xffff_ffff);
        assertEquals("NO SUCH STREAM", readFault(rig.master(DMA_T8110), 3, 0), "SID 40 of 16");
        assertEquals(0, w.readl(ERROR));

        DartRig r = new DartRig(option(T8110, "streams", "64"));
        MmioWindow w64 = r.regs(T8110);
        w64.writel(ENABLE + 4, 1 << 8);
        assertEquals("NO TTBR FOR IOVA", readFault(r.master(DMA_T8110), 3, 0), "SID 40 of 64");
        assertEquals(FLAG | 40 << 20 | NO_TTBR, w64.readl(ERROR));
        assertEquals(1 << 8, w64.readl(ERROR_STREAMS + 4));
    }

    @Test
    void smallWindowDecodesWhatFits() {
        MmioWindow w = rig.regs(SMALL);
        assertEquals(0x1000, w.size());
        assertEquals(16, w.readl(PARAMS4), "PARAMS readable through a 0x1000 window");
        assertEquals(0, w.readl(0xC00));
        assertEquals(List.of("/soc/iommu@393000000"),
                rig.machine.iommuHardware().stream().filter(h -> h.node().path().equals(SMALL) && h.model() != null)
                        .map(h -> h.node().path()).toList(), "the small-window DART has a model");
    }
}
