package io.iommulab.dart.impl;

import static io.iommulab.testkit.BackendChecks.assertProbeFailed;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.testkit.LogCapture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Probe and remove (dart-facts §1.8) per variant, and every upstream probe failure. */
class ProbeTest {

    static final String SIO = "/soc/iommu@235004000";
    static final String DWC3_DART0 = "/soc/iommu@382f00000";
    static final String DWC3_DART1 = "/soc/iommu@382f80000";
    static final String DWC3 = "/soc/usb@382280000";

    @Test
    void t8103ProbeLogsTheUpstreamLineAndResetsTheHardware() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = DartRig.boot("t8103");
            for (String dart : List.of(SIO, DWC3_DART0, DWC3_DART1, "/soc/iommu@681008000")) {
                IommuNodeDTO n = rig.iommu(dart);
                assertEquals("probed", n.state(), dart + ": " + n.reason());
                assertEquals(AppleDartDriver.NAME, n.driver());
                assertEquals(1, log.matching("apple-dart t8103 " + dart + ": DART [pagesize 4000, 16 streams, bypass support: 1,"
                        + " bypass forced: 0, AS 32 -> 36] initialized").size(), dart);
            }
            // streams nobody uses: blocked, no tables, enabled globally (TCR isolates), no error
            MmioWindow sio = rig.regs(SIO);
            for (int sid = 0; sid < 16; sid++) {
                assertEquals(sid == 2 ? T8020Regs.TCR_TRANSLATE_ENABLE : 0, sio.readl(T8020Regs.TCR + 4 * sid), "TCR " + sid);
                for (int idx = sid == 2 ? 1 : 0; idx < 4; idx++) {
                    assertEquals(0, sio.readl(T8020Regs.TTBR + 16 * sid + 4 * idx), "TTBR " + sid + "/" + idx);
                }
            }
            assertEquals(0xffff, sio.readl(T8020Regs.STREAMS_ENABLE) & 0xffff);
            assertEquals(0, sio.readl(T8020Regs.ERROR));
            DartInstance d = rig.dart(SIO);
            assertEquals(0x4000, d.params().pageSize());
            assertEquals(32, d.params().ias());
            assertEquals(36, d.params().oas());
            assertEquals(16, d.numStreams());
            assertTrue(d.params().supportsBypass());
        }
    }

    @Test
    void probeRequestsTheSharedFaultInterruptAndRemoveFreesIt() {
        DartRig rig = DartRig.boot("t8103");
        IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(DWC3_DART0), 0);
        assertEquals(2, line.actions().size(), "both dwc3 DARTs on line 781");
        for (IrqLineImpl.Action a : line.actions()) {
            assertEquals(AppleDartDriver.IRQ_NAME, a.devName());
            assertTrue(a.shared());
        }
        rig.engine.removeDriver(rig.drivers.get(0));
        assertTrue(line.actions().isEmpty());
    }

    @Test
    void removeResetsEveryStreamToBlockedWithoutTables() {
        DartRig rig = DartRig.boot("t8103");
        MmioWindow w = rig.regs(DWC3_DART0);
        assertEquals(T8020Regs.TCR_TRANSLATE_ENABLE, w.readl(T8020Regs.TCR), "dwc3 translates on SID 0");
        assertNotEquals(0, w.readl(T8020Regs.TTBR));
        rig.engine.removeDriver(rig.drivers.get(0));
        for (String dart : List.of(SIO, DWC3_DART0, DWC3_DART1)) {
            MmioWindow r = rig.regs(dart);
            for (int sid = 0; sid < 16; sid++) {
                assertEquals(0, r.readl(T8020Regs.TCR + 4 * sid), dart + " TCR " + sid);
                for (int idx = 0; idx < 4; idx++) {
                    assertEquals(0, r.readl(T8020Regs.TTBR + 16 * sid + 4 * idx), dart + " TTBR " + sid + "/" + idx);
                }
            }
        }
        assertTrue(rig.driver("t8103").instances().isEmpty());
        assertEquals("deferred", rig.iommu(SIO).state());
    }

    @Test
    void bypassIsForcedWhenTheDartPageIsLargerThanTheCpuPage() {
        CoreConfig fourK = new CoreConfig(DomainType.DMA, true, 4096, true);
        try (LogCapture log = new LogCapture()) {
            DartRig rig = DartRig.boot("t8103", Map.of(), fourK, System::nanoTime, DartVariants.all());
            assertEquals(1, log.matching(DWC3_DART0 + ": DART [pagesize 4000, 16 streams, bypass support: 1, bypass forced: 1,"
                    + " AS 32 -> 36] initialized").size());
            // def_domain_type asks for identity: the dwc3 bypasses on both DARTs
            assertEquals(DomainType.IDENTITY, rig.engine.domainOf(DWC3).type());
            int bypass = T8020Regs.TCR_BYPASS_DART | T8020Regs.TCR_BYPASS_DAPF;
            assertEquals(bypass, rig.regs(DWC3_DART0).readl(T8020Regs.TCR));
            assertEquals(bypass, rig.regs(DWC3_DART1).readl(T8020Regs.TCR + 4));
            // and a paging domain cannot be made
            var e = assertThrows(io.iommulab.api.error.IommuException.class,
                    () -> rig.engine.domainAlloc(DWC3, DomainType.UNMANAGED));
            assertEquals(io.iommulab.api.error.Errno.EINVAL, e.errno());
        }
    }

    @Test
    void eachProbeFailureIsReportedAndLeavesNothingBehind() {
        DartRig rig = DartRig.boot("t8103-faulty");
        assertProbeFailed(rig.iommu("/soc/iommu@300000000"), "EINVAL", "MMIO region too small (0x1000 bytes, need 0x4000)");
        assertProbeFailed(rig.iommu("/soc/iommu@300100000"), "ENODEV", "no fault interrupt");
        assertProbeFailed(rig.iommu("/soc/iommu@300200000"), "EINVAL", "DART is locked down until reboot: 00008000");
        assertProbeFailed(rig.iommu("/soc/iommu@300300000"), "ETIMEDOUT", "busy bit did not clear after command 100000 for streams ffff");
        assertEquals("probed", rig.iommu("/soc/iommu@300400000").state());
        assertEquals(List.of("/soc/iommu@300400000"), rig.driver("t8103").instances().stream().map(DartInstance::node).toList());
        // no failed DART left a handler on its line
        for (String dart : List.of("/soc/iommu@300000000", "/soc/iommu@300200000", "/soc/iommu@300300000")) {
            IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(dart), 0);
            assertTrue(line.actions().isEmpty(), dart);
        }
        // the master behind the locked DART waits; the other works
        var devices = rig.engine.devices();
        assertEquals("deferred", devices.stream().filter(d -> d.node().equals("/soc/locked-master@310000000")).findFirst()
                .orElseThrow().state());
        assertEquals("probed", devices.stream().filter(d -> d.node().equals("/soc/good-master@310100000")).findFirst()
                .orElseThrow().state());
    }

    @Test
    void t8112ReadsStreamsAndAddressSizesFromParams() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = DartRig.boot("t8112");
            assertEquals(1, log.matching("apple-dart t8110 /soc/iommu@235004000: DART [pagesize 4000, 16 streams, bypass support: 1,"
                    + " bypass forced: 0, AS 36 -> 42] initialized").size());
            assertEquals(1, log.matching("/soc/iommu@382f00000: DART [pagesize 4000, 32 streams,").size());
            IommuNodeDTO huge = rig.iommu("/soc/iommu@390000000");
            assertEquals("failed", huge.state());
            assertTrue(huge.reason().contains("EINVAL: /soc/iommu@390000000: Too many streams (300 > 256)"), huge.reason());
            DartInstance sio = rig.dart("/soc/iommu@235004000");
            assertFalse(sio.params().fourLevel());
            MmioWindow w = rig.regs("/soc/iommu@235004000");
            assertEquals(0, w.readl(T8110Regs.ERROR_MASK));
            assertEquals(0xffff, w.readl(T8110Regs.ENABLE_STREAMS) & 0xffff);
            assertEquals(T8110Regs.TCR_TRANSLATE_ENABLE, w.readl(T8110Regs.TCR + 4 * 2), "admac SID 2 translates, 3 levels");
            int ttbr = w.readl(T8110Regs.TTBR + 4 * 2);
            assertEquals(T8110Regs.TTBR_VALID, ttbr & T8110Regs.TTBR_VALID);
        }
    }

    @Test
    void t6000UsesDart2TablesAnd42BitOutput() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = DartRig.boot("t6000");
            assertEquals(1, log.matching("apple-dart t6000 /soc/iommu@39b004000: DART [pagesize 4000, 16 streams, bypass support: 1,"
                    + " bypass forced: 0, AS 32 -> 42] initialized").size());
            assertEquals("probed", rig.iommu("/soc/iommu@39b008000").state());
        }
    }

    @Test
    void t6020BindsThroughTheT8110FallbackWithFourLevels() {
        try (LogCapture log = new LogCapture()) {
            DartRig rig = DartRig.boot("t6020");
            assertEquals(List.of("apple,t8110-dart"), rig.driver("t8110").compatibles());
            assertEquals(1, log.matching("apple-dart t8110 /soc/iommu@39b004000: DART [pagesize 4000, 16 streams, bypass support: 1,"
                    + " bypass forced: 0, AS 42 -> 42] initialized").size());
            assertTrue(rig.dart("/soc/iommu@39b004000").params().fourLevel());
            assertEquals(T8110Regs.TCR_TRANSLATE_ENABLE | T8110Regs.TCR_FOUR_LEVEL,
                    rig.regs("/soc/iommu@39b004000").readl(T8110Regs.TCR + 4 * 2), "admac's DMA domain uses 4 levels");
        }
    }
}
