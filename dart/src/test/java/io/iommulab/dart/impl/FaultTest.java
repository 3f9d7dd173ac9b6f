package io.iommulab.dart.impl;

import io.iommulab.testkit.LogCapture;

import io.iommulab.klib.RateLimit;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import io.iommulab.machine.irq.IrqLineImpl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The fault interrupt handler (dart-facts §1.7): decode, rate-limited log, clear, report. */
class FaultTest {

    static final String ADMAC = "/soc/dma-controller@238200000";
    static final String SIO = "/soc/iommu@235004000";
    static final String DWC3 = "/soc/usb@382280000";
    static final String DART0 = "/soc/iommu@382f00000";
    static final String DART1 = "/soc/iommu@382f80000";

    private static DartRig boot(String board, AtomicLong clock) {
        return DartRig.boot(board, Map.of(), CoreConfig.defaults(), clock::get, DartVariants.all());
    }

    @Test
    void aFaultIsLoggedClearedAndDeliveredToTheDomain() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = boot("t8103", new AtomicLong());
            IommuDomain dom = rig.engine.domainAlloc(ADMAC, DomainType.UNMANAGED);
            rig.engine.attachGroup(dom, ADMAC);
            List<FaultDTO> seen = new ArrayList<>();
            dom.setFaultHandler((d, f) -> seen.add(f));
            // a page mapped next to it: the leaf table exists, the leaf entry does not
            dom.map(0x40000, rig.ram(), 0x4000, Prot.READ | Prot.WRITE);
            DmaResult r = rig.master(ADMAC).read(0, 0x44000, 8);
            assertEquals("NO PTE FOR IOVA", r.fault());
            assertEquals(List.of("apple-dart t8103 " + SIO
                    + ": translation fault: status:0x82000004 stream:2 code:0x4 (NO PTE FOR IOVA) at 0x44000"),
                    log.matching("translation fault").stream().map(l -> l.substring(l.indexOf("apple-dart t8103"))).toList());
            assertEquals(0, rig.regs(SIO).readl(T8020Regs.ERROR), "cleared");
            assertEquals(1, seen.size());
            FaultDTO f = seen.get(0);
            assertEquals(2, f.sid());
            assertEquals(0x44000, f.iova());
            assertEquals("read", f.access());
            assertEquals("NO PTE FOR IOVA", f.reason());
            assertEquals(0x82000004L, f.status());
            assertEquals(ADMAC, f.device());
            assertEquals(dom.id(), f.domain());
            List<FaultDTO> core = rig.engine.faults();
            assertEquals(1, core.size());
            assertTrue(core.get(0).handled());
            // the next fault latches again (the first one was cleared)
            assertFalse(rig.master(ADMAC).write(0, 0x48000, new byte[4]).ok());
            assertEquals(2, seen.size());
        }
    }

    @Test
    void aWriteToAReadOnlyPageIsAWriteFault() {
        DartRig rig = boot("t8103", new AtomicLong());
        IommuDomain dom = rig.engine.domainAlloc(ADMAC, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, ADMAC);
        dom.map(0x4000, rig.ram(), 0x4000, Prot.READ);
        assertTrue(rig.master(ADMAC).read(0, 0x4000, 4).ok());
        DmaResult w = rig.master(ADMAC).write(0, 0x4010, new byte[4]);
        assertEquals("WRITE FAULT", w.fault());
        FaultDTO f = rig.engine.faults().get(0);
        assertEquals("write", f.access());
        assertEquals("WRITE FAULT", f.reason());
        assertEquals(0x4010, f.iova());
    }

    @Test
    void faultMessagesAreRateLimitedTenPerFiveSeconds() {
        AtomicLong clock = new AtomicLong(1_000);
        try (LogCapture log = new LogCapture()) {
            DartRig rig = boot("t8103", clock);
            for (int i = 0; i < 12; i++) {
                assertFalse(rig.master(ADMAC).read(0, 0x1000_0000L + 0x4000L * i, 4).ok());
            }
            assertEquals(10, log.matching(": translation fault: ").size());
            assertEquals(12, rig.engine.faults().size(), "every fault is still reported");
            clock.addAndGet(RateLimit.INTERVAL_NANOS - 1);
            assertFalse(rig.master(ADMAC).read(0, 0x2000_0000L, 4).ok());
            assertEquals(10, log.matching(": translation fault: ").size(), "window not over yet");
            clock.addAndGet(1);
            assertFalse(rig.master(ADMAC).read(0, 0x2000_4000L, 4).ok());
            assertEquals(11, log.matching(": translation fault: ").size());
            assertEquals(1, log.matching(SIO + ": 3 callbacks suppressed").size());
        }
    }

    @Test
    void aDartOnASharedLineAnswersNoneForAnotherDartsFault() {
        DartRig rig = boot("t8103", new AtomicLong());
        IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(DART0), 0);
        long raised = line.raisedCount();
        DmaResult r = rig.master(DWC3).read(0, 0x7000_0000L, 4);
        assertEquals(rig.node(DART0).path(), r.iommu());
        assertEquals(raised + 1, line.raisedCount());
        assertEquals(0, line.unhandledCount(), "dart 0 handled its fault");
        assertEquals(IrqReturn.NONE, rig.dart(DART1).handleIrq(line.number()), "dart 1 has nothing latched");
        assertEquals(IrqReturn.NONE, rig.dart(DART0).handleIrq(line.number()), "dart 0 was cleared");
        FaultDTO f = rig.engine.faults().get(0);
        assertEquals(DART0, f.iommu());
        assertEquals(0, f.sid());
        assertEquals(DWC3, f.device());
    }

    @Test
    void t8110FaultsUseTheWideStreamFieldAndClearErrorStreams() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = boot("t8112", new AtomicLong());
            String sio = "/soc/iommu@235004000";
            DmaResult r = rig.master("/soc/dma-controller@238200000").read(0, 0x8_0000L, 4);
            // nothing mapped in the DMA domain: no leaf table either
            assertEquals("NO PMD FOR IOVA", r.fault());
            assertEquals(1, log.matching("apple-dart t8110 " + sio
                    + ": translation fault: status:0x80200004 stream:2 code:0x4 (NO PMD FOR IOVA) at 0x80000").size());
            MmioWindow w = rig.regs(sio);
            assertEquals(0, w.readl(T8110Regs.ERROR));
            for (int i = 0; i < T8110Regs.ERROR_STREAMS_WORDS; i++) {
                assertEquals(0, w.readl(T8110Regs.ERROR_STREAMS + 4 * i), "ERROR_STREAMS[" + i + "]");
            }
            FaultDTO f = rig.engine.faults().get(0);
            assertEquals(2, f.sid());
            assertEquals(0x80200004L, f.status());
        }
    }

    @Test
    void unknownCodesAreNamedUnknown() {
        assertEquals("unknown", io.iommulab.dart.impl.hw.T8020Family.codeName(T8020Regs.ERROR_READ_FAULT | T8020Regs.ERROR_NO_PTE));
        assertEquals("unknown", io.iommulab.dart.impl.hw.T8020Family.codeName(1 << 10));
        assertEquals("NO PGD FOR IOVA", io.iommulab.dart.impl.hw.T8110Family.codeName(T8110Regs.ERROR_NO_PGD));
        assertEquals("unknown", io.iommulab.dart.impl.hw.T8110Family.codeName(0));
    }
}
