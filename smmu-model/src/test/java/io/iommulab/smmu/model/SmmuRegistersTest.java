package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.MmioWindow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ID and reset values, SMR probing, stream identification and S2CR types, global faults. */
class SmmuRegistersTest {
    // ID0 fields
    static final int S1TS = 1 << 30;
    static final int S2TS = 1 << 29;
    static final int NTS = 1 << 28;
    static final int SMS = 1 << 27;
    static final int ATOSNS = 1 << 26;
    static final int NO_AARCH32 = 1 << 25;
    static final int NO_AARCH32S = 1 << 24;
    static final int CTTW = 1 << 14;
    static final int ID0_FIXED = S1TS | S2TS | NTS | ATOSNS | NO_AARCH32 | NO_AARCH32S | CTTW;

    private final SmmuRig rig = new SmmuRig();

    @Test
    void idRegistersOfTheDefaultStrapping() {
        MmioWindow w = rig.regs(SMMU0);
        assertEquals(ID0_FIXED | SMS | 1 << 16 | 15 << 9 | 32, w.readl(ID0), "ID0: 32 SMRs, 15 SID bits, 1 global irq");
        assertEquals(2 << 28 | 8, w.readl(ID1), "ID1: 8 banks, NUMPAGE 8 = 2^(2+1), 4 KiB pages, NUMS2CB 0");
        assertEquals(0x7000 | 5 << 8 | 5 << 4 | 5, w.readl(ID2), "ID2: 4k/16k/64k, IAS/OAS/UBS 48");
        for (int off = 0x2C; off <= 0x3C; off += 4) {
            assertEquals(0, w.readl(off), "ID3..ID7");
        }
        MmioWindow s = rig.regs(SMMU1);
        assertEquals(ID0_FIXED | 1 << 16 | 7 << 9, s.readl(ID0), "stream indexing: SMS 0, NUMSMRG 0, 7 SID bits");
        assertEquals(1 << 28 | 4, s.readl(ID1), "4 banks: NUMPAGE 4");
    }

    @Test
    void idRegistersFollowTheOptions() {
        SmmuRig r = new SmmuRig(options(SMMU0, "context-banks", "3", "smrs", "100", "sid-bits", "10",
                "granules", "64k,4k", "ias", "36", "oas", "40", "ubs", "42"));
        MmioWindow w = r.regs(SMMU0);
        assertEquals(ID0_FIXED | SMS | 1 << 16 | 10 << 9 | 100, w.readl(ID0));
        assertEquals(1 << 28 | 3, w.readl(ID1), "3 banks: NUMPAGE 4");
        assertEquals(1 << 14 | 1 << 12 | 3 << 8 | 2 << 4 | 1, w.readl(ID2), "64k+4k, UBS 42, OAS 40, IAS 36");
        // bank 2 is page 4 + 2; page 4 + 3 has no bank behind it
        w.writel(cb(4, 2, TTBR0), 0x1234_5000);
        assertEquals(0x1234_5000, w.readl(cb(4, 2, TTBR0)));
        w.writel(cb(4, 3, TTBR0), 0x1234_5000);
        assertEquals(0, w.readl(cb(4, 3, TTBR0)), "no fourth bank: RAZ/WI");
        SmmuRig g = new SmmuRig(options(SMMU0, "granules", "16k"));
        assertEquals(1 << 13 | 5 << 8 | 5 << 4 | 5, g.regs(SMMU0).readl(ID2));
    }

    @Test
    void resetValues() {
        MmioWindow w = rig.regs(SMMU0);
        assertEquals(0x0020_0001, w.readl(SCR0), "CLIENTPD set at reset");
        for (int n = 0; n < 32; n++) {
            assertEquals(0, w.readl(smr(n)));
            assertEquals(0x0002_0000, w.readl(s2cr(n)), "S2CR TYPE = FAULT at reset");
        }
        assertEquals(0, w.readl(s2cr(32)), "no S2CR 32");
        for (int n = 0; n < 8; n++) {
            assertEquals(0, w.readl(cb(8, n, SCTLR)));
            assertEquals(0, w.readl(cb(8, n, FSR)));
            assertEquals(0, w.readl(cb(8, n, TLBSTATUS)));
            assertEquals(0, w.readl(cbar(n)));
        }
        assertEquals(0, w.readl(SGFSR));
        assertEquals(0, w.readl(STLBGSTATUS));
        w.writel(SCR0, 0xFFFF_FFFF);
        assertEquals(0x3FFF_FF37, w.readl(SCR0), "no EXIDENABLE, no VMID16EN, reserved bits 6, 7, 30");
        w.writel(cba2r(7), 0xFFFF_FFFF);
        assertEquals(1, w.readl(cba2r(7)), "CBA2R: only VA64 (no 16-bit VMIDs)");
        writeq(w, cb(8, 7, TTBR0), 0x0102_0304_0506_0708L);
        assertEquals(0x0102_0304_0506_0708L, readq(w, cb(8, 7, TTBR0)), "bank 7 TTBR0 at page 15");
        w.writel(cb(8, 3, TLBIVA + 4), 0xABCD);
        assertEquals(0xABCD, w.readl(cb(8, 3, TLBIVA + 4)), "TLBIVA high word is storage");
        w.writel(cb(8, 3, TLBIVA), 0x1234);
        assertEquals(0, w.readl(cb(8, 3, TLBIVA)), "TLBIVA low word is a command");
    }

    @Test
    void smrWidthProbeKeepsSidBits() {
        MmioWindow w = rig.regs(SMMU0);
        w.writel(smr(5), 0xFFFF_FFFF);
        assertEquals(0xFFFF_7FFF, w.readl(smr(5)), "15 bits of ID and MASK, VALID");
        SmmuRig r = new SmmuRig(options(SMMU0, "sid-bits", "10"));
        MmioWindow n = r.regs(SMMU0);
        n.writel(smr(0), 0xFFFF_FFFF);
        assertEquals(0x83FF_03FF, n.readl(smr(0)), "10 bits of ID and MASK, VALID");
        n.writel(smr(0), 0x7FFF_FFFF);
        assertEquals(0x03FF_03FF, n.readl(smr(0)));
    }

    @Test
    void clientPortDisabledBypassesEveryStream() {
        long pa = RAM + 0x0300_0000L;
        rig.fill(pa, 0x1000, 0x5a);
        DmaMaster m = rig.master(DMA0);
        assertEquals(0x5a, dmaPeek(m, 0, pa), "CLIENTPD: PA = IOVA");
        assertEquals(0x5a, dmaPeek(m, 2, pa + 0xfff));
        dmaWrite(m, 3, pa + 0x10, (byte) 0x77);
        assertEquals(0x77, rig.peek(pa + 0x10));
        assertEquals(0L, rig.counter(SMMU0, "faults"));
        assertEquals(0L, rig.counter(SMMU0, "iotlb.misses"));
    }

    @Test
    void unmatchedStreamFaultsWithUsfcfgAndLatchesTheRecord() {
        MmioWindow w = rig.regs(SMMU0);
        IrqLine global = rig.irq(SMMU0, 0);
        List<Integer> seen = new ArrayList<>();
        global.request("test", irq -> {
            int gfsr = w.readl(SGFSR);
            if (gfsr == 0) {
                return IrqReturn.NONE;
            }
            seen.add(gfsr);
            seen.add(w.readl(SGFSYNR1));
            return IrqReturn.HANDLED;
        }, true);
        enable(w);
        DmaMaster m = rig.master(DMA0);
        long iova = 0x1_2345_6780L;
        assertEquals("UNIDENTIFIED STREAM", writeFault(m, 0, iova));
        assertEquals(USF, w.readl(SGFSR));
        assertEquals(0x10, w.readl(SGFSYNR1), "SID");
        assertEquals(1 << 1, w.readl(SGFSYNR0), "WNR for a write");
        assertEquals(0, w.readl(SGFSYNR2));
        assertEquals(iova, readq(w, SGFAR_LO));
        assertEquals(List.of(USF, 0x10), seen, "the handler ran once and saw the complete record");
        assertEquals(1, global.raisedCount());

        assertEquals("UNIDENTIFIED STREAM", readFault(m, 2, 0x1000));
        assertEquals(USF | GMULTI, w.readl(SGFSR), "second fault: MULTI, first record kept");
        assertEquals(0x10, w.readl(SGFSYNR1));
        assertEquals(iova, readq(w, SGFAR_LO));

        w.writel(SGFSR, w.readl(SGFSR));
        assertEquals(0, w.readl(SGFSR), "W1C");
        assertEquals("UNIDENTIFIED STREAM", readFault(m, 2, 0x2000));
        assertEquals(USF, w.readl(SGFSR));
        assertEquals(0x7fff, w.readl(SGFSYNR1), "a new record after clearing");
        assertEquals(0, w.readl(SGFSYNR0), "read: no WNR");
        assertEquals(0x2000L, readq(w, SGFAR_LO));
        assertEquals(3, rig.counter(SMMU0, "faults"));
    }

    @Test
    void unmatchedStreamBypassesWithoutUsfcfgAndGfieGatesTheIrq() {
        MmioWindow w = rig.regs(SMMU0);
        long pa = RAM + 0x0300_0000L;
        rig.fill(pa, 0x1000, 0x33);
        w.writel(SCR0, GFRE);
        DmaMaster m = rig.master(DMA0);
        assertEquals(0x33, dmaPeek(m, 0, pa), "USFCFG 0: unmatched streams bypass");
        assertEquals(0, w.readl(SGFSR));
        w.writel(SCR0, GFRE | USFCFG);
        assertEquals("UNIDENTIFIED STREAM", readFault(m, 0, pa));
        assertEquals(USF, w.readl(SGFSR), "latched without GFIE");
        assertEquals(0, rig.irq(SMMU0, 0).raisedCount(), "no interrupt without GFIE");
    }

    @Test
    void streamMatchingMasksAndConflicts() {
        MmioWindow w = rig.regs(SMMU0);
        enable(w);
        long pa = RAM + 0x0300_0000L;
        rig.fill(pa, 0x1000, 0x44);
        DmaMaster m = rig.master(DMA0);
        // SMR 3: ID 0x10, MASK 0x1 -> sids 0x10 and 0x11
        w.writel(smr(3), SMR_VALID | 0x1 << 16 | 0x10);
        w.writel(s2cr(3), S2CR_BYPASS);
        assertEquals(0x44, dmaPeek(m, 0, pa), "sid 0x10");
        assertEquals(0x44, dmaPeek(m, 1, pa), "sid 0x11 under MASK");
        assertEquals("UNIDENTIFIED STREAM", readFault(m, 3, pa), "sid 0x20");
        w.writel(SGFSR, w.readl(SGFSR));

        // SMR 7 also takes sid 0x11: two matches
        w.writel(smr(7), SMR_VALID | 0x11);
        w.writel(s2cr(7), S2CR_BYPASS);
        assertEquals("STREAM MATCH CONFLICT", readFault(m, 1, pa));
        assertEquals(SMCF, w.readl(SGFSR));
        assertEquals(0x11, w.readl(SGFSYNR1));
        w.writel(SGFSR, w.readl(SGFSR));
        assertEquals(0x44, dmaPeek(m, 0, pa), "sid 0x10 matches only SMR 3");

        // An SMR write takes effect on the next transaction.
        w.writel(smr(3), SMR_VALID | 0x20);
        assertEquals(0x44, dmaPeek(m, 3, pa), "sid 0x20 now matches SMR 3");
        assertEquals(0x44, dmaPeek(m, 1, pa), "sid 0x11 only SMR 7 now");
        assertEquals("UNIDENTIFIED STREAM", readFault(m, 0, pa), "sid 0x10 no longer matches");
        w.writel(smr(7), 0x11);
        w.writel(SGFSR, w.readl(SGFSR));
        assertEquals("UNIDENTIFIED STREAM", readFault(m, 1, pa), "an invalid SMR matches nothing");
    }

    @Test
    void s2crTypes() {
        MmioWindow w = rig.regs(SMMU0);
        enable(w);
        long pa = RAM + 0x0300_0000L;
        rig.fill(pa, 0x1000, 0x66);
        DmaMaster m = rig.master(DMA0);
        stream(w, 0, 0x10, S2CR_FAULT);
        assertEquals("S2CR FAULT", readFault(m, 0, pa));
        assertEquals(0, w.readl(SGFSR), "S2CR FAULT latches nothing");
        assertEquals(0, rig.irq(SMMU0, 0).raisedCount());
        w.writel(s2cr(0), S2CR_BYPASS);
        assertEquals(0x66, dmaPeek(m, 0, pa));
        w.writel(s2cr(0), S2CR_TRANS | 5);
        assertEquals(0x66, dmaPeek(m, 0, pa), "bank 5 with SCTLR.M = 0 bypasses");
        w.writel(s2cr(0), S2CR_TRANS | 8);
        assertEquals("INVALID CONTEXT BANK", writeFault(m, 0, pa));
        assertEquals(UCBF, w.readl(SGFSR));
        assertEquals(0x10, w.readl(SGFSYNR1));
        assertEquals(pa, readq(w, SGFAR_LO));
        w.writel(s2cr(0), 3 << 16);
        assertEquals("S2CR FAULT", readFault(m, 0, pa), "reserved TYPE 3 faults");
    }

    @Test
    void streamIndexingUsesTheSidAsS2crIndex() {
        MmioWindow w = rig.regs(SMMU1);
        DmaMaster m = rig.master(DMA1);
        long pa = RAM + 0x0300_0000L;
        rig.fill(pa, 0x1000, 0x21);
        w.writel(SCR0, GFRE | GFIE | USFCFG);
        assertEquals("S2CR FAULT", readFault(m, 0, pa), "S2CR(3) is FAULT at reset");
        w.writel(s2cr(3), S2CR_BYPASS);
        assertEquals(0x21, dmaPeek(m, 0, pa), "sid 3 -> S2CR(3)");
        assertEquals("S2CR FAULT", readFault(m, 1, pa), "sid 0x7f -> S2CR(127)");
        assertEquals(0x21, dmaPeek(m, 2, pa), "sid 0x83: 7 SID bits, S2CR(3)");
        w.writel(s2cr(127), S2CR_TRANS | 4);
        assertEquals("INVALID CONTEXT BANK", readFault(m, 1, pa), "4 banks");
        assertEquals(0x7f, w.readl(SGFSYNR1));
        assertEquals(0, w.readl(s2cr(128)), "128 S2CRs");
        w.writel(smr(0), 0xFFFF_FFFF);
        assertEquals(0, w.readl(smr(0)), "no SMRs under stream indexing");
        assertEquals(0, w.readl(SGFSR) & USF, "never an unidentified stream");
    }
}
