package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import org.junit.jupiter.api.Test;

/** Context banks: stage-1 walks of every granule, faults and their registers, context interrupts. */
class SmmuWalkTest {
    static final int ON = M | TRE | AFE | CFRE | CFIE;

    private final SmmuRig rig = new SmmuRig();
    private final MmioWindow w = rig.regs(SMMU0);
    private final DmaMaster m = rig.master(DMA0);

    /** Stream 0 of DMA0 (sid 0x10) through bank {@code n} with tables {@code t}. */
    private void attach(int n, SmmuRig.Tables t, int asid, int sctlr) {
        context(w, 8, n, t, asid, sctlr);
        stream(w, 0, 0x10, S2CR_TRANS | n);
        enable(w);
    }

    /** @return a data region of {@code size} filled with {@code fill} */
    private long data(long size, int fill) {
        long pa = rig.alloc(size);
        rig.fill(pa, size, fill);
        return pa;
    }

    @Test
    void walks4kPagesAnd2mAnd1gBlocks() {
        SmmuRig.Tables t = rig.new Tables(12, 48);
        assertEquals(0, t.startLevel, "48-bit input, 4 KiB: levels 0..3");
        long page = data(0x1000, 0x11);
        t.page(0x1234_5000L, page);
        long block2m = RAM + 0x1000_0000L;
        rig.fill(block2m + 0x1_2340, 16, 0x22);
        t.block(0x8020_0000L, 2, block2m);
        rig.fill(RAM + 0x1800_0000L, 16, 0x33);
        t.block(0x1_C000_0000L, 1, RAM);
        attach(0, t, 1, ON);

        assertEquals(0x11, dmaPeek(m, 0, 0x1234_5123L));
        dmaWrite(m, 0, 0x1234_5ffeL, (byte) 0xa1, (byte) 0xa2);
        assertEquals(0xa2, rig.peek(page + 0xfff));
        assertEquals(0x22, dmaPeek(m, 0, 0x8021_2340L), "2 MiB block at level 2");
        assertEquals(0x33, dmaPeek(m, 0, 0x1_D800_0000L), "1 GiB block at level 1");
        assertEquals("TRANSLATION FAULT (level 3)", readFault(m, 0, 0x1234_6000L));
        assertEquals("TRANSLATION FAULT (level 2)", readFault(m, 0, 0x1240_0000L));
        assertEquals("TRANSLATION FAULT (level 1)", readFault(m, 0, 0x40_0000_0000L));
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 0x100_0000_0000L));
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 1L << 48), "beyond 64 - T0SZ bits");
        // a transfer crossing a page boundary is split by the span: the next page is unmapped
        assertEquals(2L, m.read(0, 0x1234_5ffeL, 4).bytes());
    }

    @Test
    void walks16kPagesAnd32mBlocks() {
        SmmuRig.Tables t = rig.new Tables(14, 48);
        assertEquals(0, t.startLevel, "48-bit input, 16 KiB: level 0 resolves one bit");
        long page = data(0x4000, 0x44);
        t.page(0x8000_1234_4000L, page);
        long block = RAM + 0x1000_0000L;
        rig.fill(block + 0x1ff_fff0L, 16, 0x55);
        t.block(0x2_0000_0000L, 2, block);
        attach(1, t, 2, ON);
        assertEquals(0x44, dmaPeek(m, 0, 0x8000_1234_7fffL), "16 KiB page, top half of the input range");
        assertEquals(0x55, dmaPeek(m, 0, 0x2_01ff_fff8L), "32 MiB block at level 2");
        t.put(0x10_0000_0000L, 1, RAM | 1 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1);
        assertEquals("TRANSLATION FAULT (level 1)", readFault(m, 0, 0x10_0000_0000L), "no level-1 blocks with 16 KiB");
        t.put(0x1234_8000L, 3, RAM | 1 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1);
        assertEquals("TRANSLATION FAULT (level 3)", readFault(m, 0, 0x1234_8000L), "0b01 at level 3 is invalid");
    }

    @Test
    void walks64kPagesAnd512mBlocks() {
        SmmuRig.Tables t = rig.new Tables(16, 48);
        assertEquals(1, t.startLevel, "48-bit input, 64 KiB: levels 1..3");
        long page = data(0x1_0000, 0x66);
        t.page(0xABCD_0000L, page);
        rig.fill(RAM + 0x1F00_0000L, 16, 0x77);
        t.block(0x6000_0000L, 2, RAM);
        attach(2, t, 3, ON);
        assertEquals(0x66, dmaPeek(m, 0, 0xABCD_FFFFL));
        assertEquals(0x77, dmaPeek(m, 0, 0x7F00_0000L), "512 MiB block at level 2");
        t.put(0x400_0000_0000L, 1, RAM | 1 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1);
        assertEquals("TRANSLATION FAULT (level 1)", readFault(m, 0, 0x400_0000_0000L), "no 4 TiB blocks without 52-bit OA");
    }

    @Test
    void t0szGivesFewerLevels() {
        int[][] cases = {{12, 39, 1}, {12, 32, 1}, {12, 30, 2}, {14, 36, 2}, {16, 42, 2}, {16, 29, 3}};
        int bank = 0;
        for (int[] c : cases) {
            SmmuRig.Tables t = rig.new Tables(c[0], c[1]);
            assertEquals(c[2], t.startLevel, "granule 2^" + c[0] + ", " + c[1] + " bits");
            long page = data(1L << c[0], 0x80 + bank);
            long iova = (1L << c[1]) - (1L << c[0]);
            t.page(iova, page);
            attach(bank, t, 10 + bank, ON);
            String what = "granule 2^" + c[0] + " with " + c[1] + "-bit input";
            assertEquals(0x80 + bank, dmaPeek(m, 0, iova + 5), what);
            assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 1L << c[1]), what + ": IOVA beyond the input size");
            assertEquals(TF, w.readl(cb(8, bank, FSR)));
            assertEquals(0, w.readl(cb(8, bank, FSYNR0)), "PLVL 0");
            assertEquals(1L << c[1], readq(w, cb(8, bank, FAR)));
            bank++;
        }
    }

    @Test
    void epd0AndUnimplementedGranuleFaultWithoutAWalk() {
        SmmuRig.Tables t = rig.new Tables(16, 48);
        t.page(0x10000, data(0x1_0000, 1));
        attach(3, t, 4, ON);
        w.writel(cb(8, 3, TCR), t.tcr() | EPD0);
        long walks = rig.counter(SMMU0, "walks");
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 0x10000));
        assertEquals(walks, rig.counter(SMMU0, "walks"), "EPD0: no walk");
        w.writel(cb(8, 3, TCR), t.tcr());
        assertEquals(1, dmaPeek(m, 0, 0x10000));

        SmmuRig r = new SmmuRig(options(SMMU0, "granules", "4k,16k"));
        MmioWindow w2 = r.regs(SMMU0);
        SmmuRig.Tables t2 = r.new Tables(16, 48);
        t2.page(0x10000, r.alloc(0x1_0000));
        context(w2, 8, 0, t2, 1, ON);
        stream(w2, 0, 0x10, S2CR_TRANS);
        enable(w2);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(r.master(DMA0), 0, 0x10000), "64 KiB granule not implemented");
        assertEquals(0L, r.counter(SMMU0, "walks"));
        w2.writel(cb(8, 0, TCR), t2.tcr() | 3 << 14);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(r.master(DMA0), 0, 0x10000), "TG0 = 3 is reserved");
    }

    @Test
    void permissionsAndAccessFlag() {
        SmmuRig.Tables t = rig.new Tables(12, 48);
        long ro = data(0x1000, 0x10);
        t.page(0x1000, ro, false);
        t.put(0x2000, 3, data(0x1000, 0x20) | 3 | SmmuRig.Tables.AF);
        t.put(0x3000, 3, data(0x1000, 0x30) | 3 | SmmuRig.Tables.AP1);
        t.put(0x4000_0000L, 2, RAM | 1 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1 | SmmuRig.Tables.AP2);
        attach(4, t, 5, ON);
        int fsr = cb(8, 4, FSR);

        assertEquals(0x10, dmaPeek(m, 0, 0x1000), "AP[2]: reads allowed");
        assertEquals("PERMISSION FAULT (level 3)", writeFault(m, 0, 0x1008));
        assertEquals(PF, w.readl(fsr));
        assertEquals(3 | WNR, w.readl(cb(8, 4, FSYNR0)));
        assertEquals(0x1008L, readq(w, cb(8, 4, FAR)));
        assertEquals(0x10, w.readl(cbfrsynra(4)));
        assertEquals(0x10, rig.peek(ro + 8), "nothing written");
        w.writel(fsr, w.readl(fsr));

        assertEquals("PERMISSION FAULT (level 3)", readFault(m, 0, 0x2000), "AP[1] = 0: privileged only");
        assertEquals(PF, w.readl(fsr));
        assertEquals(3, w.readl(cb(8, 4, FSYNR0)), "read: no WNR");
        w.writel(fsr, w.readl(fsr));

        assertEquals("ACCESS FLAG FAULT (level 3)", readFault(m, 0, 0x3000), "AF = 0 with SCTLR.AFE");
        assertEquals(AFF, w.readl(fsr));
        w.writel(fsr, w.readl(fsr));

        assertEquals("PERMISSION FAULT (level 2)", writeFault(m, 0, 0x4010_0000L), "read-only 2 MiB block");
        assertEquals(2 | WNR, w.readl(cb(8, 4, FSYNR0)), "PLVL of the block");
        w.writel(fsr, w.readl(fsr));

        w.writel(cb(8, 4, SCTLR), ON & ~AFE);
        assertEquals(0x30, dmaPeek(m, 0, 0x3000), "AF is not checked without AFE");
        assertEquals(0, w.readl(fsr));
    }

    @Test
    void executeNeverChecksInstructionFetchesOnly() {
        SmmuRig.Tables t = rig.new Tables(12, 48);
        t.put(0x5000, 3, data(0x1000, 0x50) | 3 | SmmuRig.Tables.AF | SmmuRig.Tables.AP1 | 1L << 54);
        attach(4, t, 5, ON);
        int fsr = cb(8, 4, FSR);
        assertEquals(0x50, dmaPeek(m, 0, 0x5000), "UXN: data reads are allowed");
        // S2CR.INSTCFG = instruction: the stream's transactions are instruction fetches.
        w.writel(s2cr(0), w.readl(s2cr(0)) | 3 << 26);
        assertEquals("PERMISSION FAULT (level 3)", readFault(m, 0, 0x5000), "instruction fetch from an XN page");
        assertEquals(PF, w.readl(fsr));
        assertEquals(3 | 1 << 6, w.readl(cb(8, 4, FSYNR0)), "FSYNR0.IND: an instruction fetch");
        w.writel(fsr, w.readl(fsr));
        w.writel(s2cr(0), w.readl(s2cr(0)) & ~(3 << 26) | 2 << 26);
        assertEquals(0x50, dmaPeek(m, 0, 0x5000), "INSTCFG = data again");
    }

    @Test
    void faultRecordMultiAndW1c() {
        SmmuRig.Tables t = rig.new Tables(12, 48);
        attach(5, t, 6, ON);
        int fsr = cb(8, 5, FSR);
        long iova = 0xFFFF_1234_5678L;
        assertEquals("TRANSLATION FAULT (level 0)", writeFault(m, 0, iova));
        assertEquals(TF, w.readl(fsr));
        assertEquals(iova, readq(w, cb(8, 5, FAR)), "FAR holds all 64 bits");
        assertEquals(WNR, w.readl(cb(8, 5, FSYNR0)));
        assertEquals(0x10, w.readl(cbfrsynra(5)));
        assertEquals(0, w.readl(cbfrsynra(4)), "only the faulting bank's CBFRSYNRA");

        stream(w, 1, 0x11, S2CR_TRANS | 5);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 1, 0x1000));
        assertEquals(TF | MULTI, w.readl(fsr), "second fault: MULTI");
        assertEquals(iova, readq(w, cb(8, 5, FAR)), "first record kept");
        assertEquals(0x10, w.readl(cbfrsynra(5)));

        w.writel(fsr, MULTI);
        assertEquals(TF, w.readl(fsr), "W1C: only the bits written");
        w.writel(fsr, TF);
        assertEquals(0, w.readl(fsr));
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 1, 0x1000));
        assertEquals(TF, w.readl(fsr));
        assertEquals(0x1000L, readq(w, cb(8, 5, FAR)), "a new record");
        assertEquals(0x11, w.readl(cbfrsynra(5)));
        assertEquals(0, w.readl(cb(8, 5, FSYNR0)));

        w.writel(cb(8, 5, FSRRESTORE), PF | MULTI);
        assertEquals(PF | MULTI, w.readl(fsr), "FSRRESTORE writes FSR");
        assertEquals(3L, rig.counter(SMMU0, "faults"));
    }

    @Test
    void cfieGatesTheContextInterruptAndCfreTheRecord() {
        SmmuRig.Tables t = rig.new Tables(12, 48);
        attach(6, t, 7, M | CFRE);
        int fsr = cb(8, 6, FSR);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 0x1000));
        assertEquals(TF, w.readl(fsr), "recorded");
        assertEquals(0, rig.irq(SMMU0, 1 + 6).raisedCount(), "no interrupt without CFIE");
        w.writel(fsr, w.readl(fsr));

        w.writel(cb(8, 6, SCTLR), M | CFRE | CFIE);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 0x1000));
        assertEquals(1, rig.irq(SMMU0, 1 + 6).raisedCount(), "bank 6: interrupt #global-interrupts + 6");
        for (int i = 0; i < 9; i++) {
            if (i != 7) {
                assertEquals(0, rig.irq(SMMU0, i).raisedCount(), "interrupt " + i);
            }
        }
        w.writel(fsr, w.readl(fsr));

        w.writel(cb(8, 6, SCTLR), M | CFIE);
        assertEquals("TRANSLATION FAULT (level 0)", readFault(m, 0, 0x5000));
        assertEquals(0, w.readl(fsr), "CFRE clear: nothing recorded");
        assertEquals(0x1000L, readq(w, cb(8, 6, FAR)), "FAR still of the last recorded fault");
        assertEquals(1, rig.irq(SMMU0, 1 + 6).raisedCount(), "nothing recorded, nothing signalled");
    }

    @Test
    void sharedContextInterruptOfStreamIndexedSmmu() {
        MmioWindow s = rig.regs(SMMU1);
        SmmuRig.Tables t = rig.new Tables(12, 39);
        s.writel(cba2r(2), 1);
        s.writel(cb(4, 2, TCR), t.tcr());
        writeq(s, cb(4, 2, TTBR0), (long) 9 << 48 | t.root);
        s.writel(cb(4, 2, SCTLR), ON);
        s.writel(s2cr(3), S2CR_TRANS | 2);
        s.writel(SCR0, GFRE | GFIE | USFCFG);
        assertEquals("TRANSLATION FAULT (level 1)", readFault(rig.master(DMA1), 0, 0x1000));
        assertEquals(TF, s.readl(cb(4, 2, FSR)));
        assertEquals(3, s.readl(cbfrsynra(2)));
        assertEquals(1, rig.irq(SMMU1, 3).raisedCount(), "one raise of the shared line");
    }
}
