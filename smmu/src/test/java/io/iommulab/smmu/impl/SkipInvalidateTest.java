package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.InjectedFaults;
import io.iommulab.testkit.LogCapture;
import io.iommulab.testkit.MmioRecordingDriver;
import io.iommulab.testkit.MmioRecordingDriver.Write;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Injected driver bugs ({@code skip-invalidate}) on the SMMU: one occurrence is one io-pgtable
 * flush callback (a leaf's TLBIVAL; TLBIASID + sync; a walk's TLBIVA run + sync), or the reset's
 * TLBIALLs. The N injected ones write nothing and leave the TLB as it was; the ones after are written.
 */
class SkipInvalidateTest {

    static final long PG = 0x4000;
    static final long SZ_32M = 0x200_0000;
    static final long IOVA = 0x40_0000;
    static final String SKIP = PlatformDevice.SKIP_INVALIDATE;

    SmmuRig rig;
    IommuDomain dom;
    SmmuDomain ops;
    int cb;
    DmaMaster dma;
    long buf;

    @BeforeEach
    void boot() {
        rig = SmmuRig.boot("smmu");
        buf = rig.ram() + 0x200_0000;
        dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        ops = (SmmuDomain) ((DomainImpl) dom).ops();
        cb = ops.cbndx();
        dma = rig.master(DMA);
    }

    private long bank() {
        return rig.bankBase(SMMU0, cb);
    }

    /** @return the two words of the 64-bit TLBIVA/TLBIVAL write for {@code iova} (high word first) */
    private List<Write> byVa(int reg, long iova) {
        long v = (iova >>> 12) | ((long) cb << 48);
        return List.of(new Write(SMMU0, bank() + reg + 4, (int) (v >>> 32)), new Write(SMMU0, bank() + reg, (int) v));
    }

    private Write sync() {
        return new Write(SMMU0, bank() + SmmuRegs.CB_TLBSYNC, SmmuRegs.DUMMY_VAL);
    }

    /** @return the TLB maintenance writes since the last call (a fault's FSR clear left out) */
    private List<Write> tlbWrites() {
        long b = bank();
        return rig.rec.take().stream().filter(w -> w.offset() == b + SmmuRegs.CB_S1_TLBIVAL || w.offset() == b + SmmuRegs.CB_S1_TLBIVAL + 4
                || w.offset() == b + SmmuRegs.CB_S1_TLBIVA || w.offset() == b + SmmuRegs.CB_S1_TLBIVA + 4
                || w.offset() == b + SmmuRegs.CB_S1_TLBIASID || w.offset() == b + SmmuRegs.CB_TLBSYNC).toList();
    }

    @Test
    void theFirstLeafsTlbivalIsSkippedAndTheSecondsWritten() {
        dom.map(IOVA, buf, 2 * PG, Prot.READ | Prot.WRITE);
        assertTrue(dma.read(0, IOVA, 4).ok());
        assertTrue(dma.read(0, IOVA + PG, 4).ok());
        rig.rec.faults.inject(SMMU0, SKIP, 1);
        rig.rec.take();
        assertEquals(2 * PG, dom.unmap(IOVA, 2 * PG));
        List<Write> expected = new ArrayList<>(byVa(SmmuRegs.CB_S1_TLBIVAL, IOVA + PG));
        expected.add(sync());
        assertEquals(expected, tlbWrites(), "no TLBIVAL for the first page; the second's and iotlb_sync's sync go out");
        assertTrue(dma.read(0, IOVA + 0x10, 4).ok(), "the first page's TLB entry is stale and still used");
        assertFalse(dma.read(0, IOVA + PG, 4).ok(), "the second page's went with its TLBIVAL");
        assertEquals(0, rig.rec.faults.remaining(SMMU0, SKIP));
    }

    @Test
    void flushIotlbAllSkipsTlbiasidAndItsSyncNTimesThenWritesThem() {
        dom.map(IOVA, buf, PG, Prot.READ | Prot.WRITE);
        assertTrue(dma.read(0, IOVA, 4).ok());
        rig.rec.faults.inject(SMMU0, SKIP, 2);
        rig.rec.take();
        ops.flushIotlbAll();
        ops.flushIotlbAll();
        assertEquals(List.of(), tlbWrites());
        ops.flushIotlbAll();
        assertEquals(List.of(new Write(SMMU0, bank() + SmmuRegs.CB_S1_TLBIASID, cb), sync()), tlbWrites());
    }

    @Test
    void aWalksTlbivaRunAndItsSyncAreOneOccurrence() {
        long iova = 4 * SZ_32M;
        dom.map(iova, buf, PG, Prot.READ | Prot.WRITE);
        dom.unmap(iova, PG);
        rig.rec.faults.inject(SMMU0, SKIP, 1);
        rig.rec.take();
        dom.map(iova, buf, SZ_32M, Prot.READ | Prot.WRITE); // replaces the empty table: tlb_flush_walk
        assertEquals(List.of(), tlbWrites(), "none of the TLBIVAs, no sync");
        assertEquals(0, rig.rec.faults.remaining(SMMU0, SKIP));
        dom.unmap(iova, SZ_32M);
        List<Write> expected = new ArrayList<>(byVa(SmmuRegs.CB_S1_TLBIVAL, iova));
        expected.add(sync());
        assertEquals(expected, tlbWrites(), "the block's TLBIVAL after it is written");
    }

    @Test
    void withoutInjectionOrAfterOffEveryInvalidationIsWritten() {
        dom.map(IOVA, buf, PG, Prot.READ | Prot.WRITE);
        rig.rec.take();
        rig.rec.faults.inject(SMMU1, SKIP, InjectedFaults.ALL);
        ops.flushIotlbAll();
        assertEquals(List.of(new Write(SMMU0, bank() + SmmuRegs.CB_S1_TLBIASID, cb), sync()), tlbWrites(),
                "another SMMU's injection changes nothing here");
        rig.rec.faults.inject(SMMU0, SKIP, InjectedFaults.ALL);
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 4; i++) {
                ops.flushIotlbAll();
            }
            List<String> lines = log.matching("injected fault");
            assertEquals(1, lines.size(), "one WARN, the rest at DEBUG: " + lines);
            assertTrue(lines.get(0).contains("WARN"), lines.get(0));
            assertTrue(lines.get(0).contains(SMMU0 + ": injected fault skip-invalidate: TLBIASID " + cb), lines.get(0));
        }
        assertEquals(List.of(), tlbWrites());
        rig.rec.faults.off(SMMU0);
        assertEquals(PG, dom.unmap(IOVA, PG));
        List<Write> expected = new ArrayList<>(byVa(SmmuRegs.CB_S1_TLBIVAL, IOVA));
        expected.add(sync());
        assertEquals(expected, tlbWrites());
    }

    @Test
    void theResetsTlbiallsAreOneOccurrenceAndTheGlobalSyncStays() {
        SmmuRig r = SmmuRig.boot("smmu", d -> {
            ((MmioRecordingDriver<?>) d).faults.inject(SMMU0, SKIP, 1);
            return d;
        });
        List<Write> w = r.rec.take();
        assertEquals(List.of(), at(w, SMMU0, SmmuRegs.GR0_TLBIALLH));
        assertEquals(List.of(), at(w, SMMU0, SmmuRegs.GR0_TLBIALLNSNH));
        assertEquals(1, at(w, SMMU0, SmmuRegs.GR0_STLBGSYNC).size());
        assertEquals(1, at(w, SMMU1, SmmuRegs.GR0_TLBIALLNSNH).size(), "another SMMU's reset invalidates");
        assertEquals(0, r.rec.faults.remaining(SMMU0, SKIP));
    }

    private static List<Write> at(List<Write> writes, String iommu, long offset) {
        return writes.stream().filter(x -> x.iommu().equals(iommu) && x.offset() == offset).toList();
    }
}
