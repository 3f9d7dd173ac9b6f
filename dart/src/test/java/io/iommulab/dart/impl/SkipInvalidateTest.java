package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import io.iommulab.klib.Bits;
import io.iommulab.testkit.InjectedFaults;
import io.iommulab.testkit.LogCapture;
import io.iommulab.testkit.MmioRecordingDriver;
import io.iommulab.testkit.MmioRecordingDriver.Write;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Injected driver bugs ({@code skip-invalidate}): the DART asks once per hw->invalidate_tlb call and,
 * told to, writes nothing, so the IOTLB keeps what it had; the calls after the N injected ones are
 * written as usual, and without injection nothing changes.
 */
class SkipInvalidateTest {

    static final String SIO = "/soc/iommu@235004000";
    static final String ADMAC = "/soc/dma-controller@238200000";
    static final String T8112_DWC3_DART0 = "/soc/iommu@382f00000";
    static final String T8112_SIO = "/soc/iommu@235004000";
    static final long PG = 0x4000;
    static final long IOVA = 0x80000;
    static final String SKIP = PlatformDevice.SKIP_INVALIDATE;
    /** ADMAC's SID on the SIO DART */
    static final int ADMAC_SID = 2;

    DartRig rig;
    MmioRecordingDriver<AppleDartDriver> rec;
    IommuDomain dom;
    DomainOps ops;
    DmaMaster admac;

    @BeforeEach
    void boot() {
        rig = DartRig.bootWithoutDrivers("t8103", CoreConfig.defaults());
        rec = new MmioRecordingDriver<>(AppleDartDriver.create(DartVariants.T8103, DartRig.FORMATS));
        rig.add(rec);
        dom = rig.engine.domainAlloc(ADMAC, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, ADMAC);
        ops = ((DomainImpl) dom).ops();
        admac = rig.master(ADMAC);
        dom.map(IOVA, rig.ram() + 0x100_0000, PG, Prot.READ | Prot.WRITE);
        assertTrue(admac.read(0, IOVA + 0x10, 4).ok(), "the IOTLB holds the translation");
        flushes();
    }

    /** @return the T8020 invalidation sequence of ADMAC's stream on the SIO DART */
    static List<Write> invalidation() {
        return List.of(new Write(SIO, T8020Regs.STREAM_SELECT, 1 << ADMAC_SID),
                new Write(SIO, T8020Regs.STREAM_COMMAND, T8020Regs.STREAM_COMMAND_INVALIDATE));
    }

    /** @return the STREAM_SELECT and STREAM_COMMAND writes since the last call (a fault's ERROR clear left out) */
    List<Write> flushes() {
        return rec.take().stream().filter(w -> w.offset() == T8020Regs.STREAM_COMMAND
                || w.offset() == T8020Regs.STREAM_SELECT || w.offset() == T8020Regs.STREAM_SELECT + 4).toList();
    }

    @Test
    void theNextNInvalidationsAreSkippedAndTheOnesAfterAreWritten() {
        rec.faults.inject(SIO, SKIP, 2);
        assertEquals(PG, dom.unmap(IOVA, PG), "unmap + iotlb_sync: occurrence 1");
        assertEquals(List.of(), flushes(), "no STREAM_SELECT, no STREAM_COMMAND");
        assertEquals(0, dom.iovaToPhys(IOVA));
        assertTrue(admac.read(0, IOVA + 0x10, 4).ok(), "the stale IOTLB entry still translates");
        ops.flushIotlbAll(); // occurrence 2
        assertEquals(List.of(), flushes());
        assertTrue(admac.read(0, IOVA + 0x10, 4).ok());
        assertEquals(0, rec.faults.remaining(SIO, SKIP));

        ops.flushIotlbAll();
        assertEquals(invalidation(), flushes(), "the third is written");
        assertEquals("NO PTE FOR IOVA", admac.read(0, IOVA + 0x10, 4).fault());
        ops.flushIotlbAll();
        assertEquals(invalidation(), flushes());
    }

    @Test
    void withoutInjectionEveryInvalidationIsWritten() {
        assertEquals(PG, dom.unmap(IOVA, PG));
        assertEquals(invalidation(), flushes());
        assertEquals("NO PTE FOR IOVA", admac.read(0, IOVA + 0x10, 4).fault());
        ops.flushIotlbAll();
        ops.flushIotlbAll();
        assertEquals(List.of(invalidation().get(0), invalidation().get(1), invalidation().get(0), invalidation().get(1)),
                flushes());
    }

    @Test
    void anotherDartsInjectionChangesNothingHere() {
        rec.faults.inject("/soc/iommu@382f00000", SKIP, InjectedFaults.ALL);
        assertEquals(PG, dom.unmap(IOVA, PG));
        assertEquals(invalidation(), flushes());
    }

    @Test
    void skippingAllWarnsOnceThenLogsBelowWarnUntilOff() {
        rec.faults.inject(SIO, SKIP, InjectedFaults.ALL);
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 5; i++) {
                ops.flushIotlbAll();
            }
            assertEquals(List.of(), flushes());
            List<String> lines = log.matching("injected fault");
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("WARN"), lines.get(0));
            assertTrue(lines.get(0).contains(SIO + ": injected fault skip-invalidate: the invalidation of streams 2 not issued"),
                    lines.get(0));
        }
        rec.faults.off(SIO);
        ops.flushIotlbAll();
        assertEquals(invalidation(), flushes());
    }

    /**
     * T8110: one occurrence is one call, whatever number of streams it flushes. The reset's
     * invalidation (every stream, one TLB_CMD each) is skipped as one; the attach's after it is
     * written.
     */
    @Test
    void t8110OneOccurrenceIsOneCallOverEveryStreamOfIt() {
        DartRig t8112 = DartRig.bootWithoutDrivers("t8112", CoreConfig.defaults());
        MmioRecordingDriver<AppleDartDriver> r = new MmioRecordingDriver<>(AppleDartDriver.create(DartVariants.T8110, DartRig.FORMATS));
        r.faults.inject(T8112_DWC3_DART0, SKIP, 1);
        t8112.add(r);
        assertEquals(32, t8112.dart(T8112_DWC3_DART0).numStreams());
        List<Write> writes = r.take();
        assertEquals(List.of(new Write(T8112_DWC3_DART0, T8110Regs.TLB_CMD, flushSid(0))),
                at(writes, T8112_DWC3_DART0, T8110Regs.TLB_CMD),
                "the reset's 32 FLUSH_SIDs left out as one, the default domain's attach flushes SID 0");
        List<Write> sio = at(writes, T8112_SIO, T8110Regs.TLB_CMD);
        assertEquals(flushSid(0), sio.get(0).value(), "another DART's reset flushes from SID 0");
        assertTrue(sio.size() > 1);
    }

    private static int flushSid(int sid) {
        return Bits.prep(T8110Regs.TLB_CMD_OP, T8110Regs.TLB_CMD_OP_FLUSH_SID) | Bits.prep(T8110Regs.TLB_CMD_STREAM, sid);
    }

    private static List<Write> at(List<Write> writes, String iommu, long offset) {
        return writes.stream().filter(w -> w.iommu().equals(iommu) && w.offset() == offset).toList();
    }
}
