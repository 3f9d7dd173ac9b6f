package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.DelegatingDriver;
import io.iommulab.testkit.LogCapture;
import io.iommulab.testkit.MmioRecordingDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A live update of the apple-dart driver on a running board, outside OSGi as the core sees one:
 * the old driver leaves in an update ({@code removeDriver(old, true)}), a new driver object of the
 * same variant arrives ({@code addDriver(new, origin)}), while one thread keeps doing DMA through
 * existing mappings and another keeps mapping, doing DMA and unmapping.
 */
class LiveUpdateTest {

    static final String NEXT = "io.iommulab.dart 0.2.0";

    /** The old driver with what it preserves changed (a driver without the feature, a newer layout, a bug). */
    static final class EditedRecord extends DelegatingDriver {
        private final UnaryOperator<PreservedIommu> edit;
        final List<PreservedIommu> preserved = new ArrayList<>();

        EditedRecord(AppleDartDriver base, UnaryOperator<PreservedIommu> edit) {
            super(base);
            this.edit = edit;
        }

        @Override
        public PreservedIommu preserve(IommuDevice iommu) {
            PreservedIommu rec = base.preserve(iommu);
            preserved.add(rec);
            return edit.apply(rec);
        }
    }

    private static AppleDartDriver driver(UpdateBoard.Layout layout) {
        return AppleDartDriver.create(layout.variant(), DartRig.FORMATS);
    }

    /** The whole update under load, on a board; @return the report of the update */
    private LiveUpdateDTO updateUnderLoad(UpdateBoard b, MmioRecordingDriver<AppleDartDriver> next, Runnable whileRetired) {
        Map<String, Map<Integer, Integer>> regs = b.registers();
        Map<Integer, String> domains = b.domains();
        Map<Integer, String> groups = b.groups();
        List<DeviceDTO> devices = b.rig.engine.devices();
        UpdateLoad load = b.load().start();
        long pages;
        try {
            load.awaitRounds(30);
            pages = b.rig.machine.pages().pagesInUse();
            b.rig.engine.removeDriver(b.rig.drivers.get(0), true);
            load.awaitRounds(10); // the old code serves map, unmap and DMA meanwhile
            whileRetired.run();
            b.rig.engine.addDriver(next, NEXT);
            load.awaitRounds(30);
            assertEquals(pages, b.rig.machine.pages().pagesInUse(), "no table page allocated by the takeover");
        } finally {
            load.close();
        }
        assertEquals(List.of(), load.failures, "DMA, maps and unmaps across the update");
        assertEquals(regs, b.registers(), "every TCR and TTBR as before");
        List<MmioRecordingDriver.Change> changes = next.takeChanges().stream().filter(c -> b.isTcrOrTtbr(c.write().offset()))
                .toList();
        assertFalse(changes.isEmpty(), "the new code attached the groups again");
        assertEquals(List.of(), changes.stream().filter(c -> c.before() != c.write().value()).toList(),
                "TCR/TTBR writes of the new code that changed a register");
        assertEquals(domains, b.domains(), "domains with their ids, types and groups");
        assertEquals(groups, b.groups(), "groups with their ids, devices and domains");
        assertEquals(devices, b.rig.engine.devices(), "every master in its group and domain");
        b.assertTranslations();
        b.assertDmaEverywhere("after the update");
        List<LiveUpdateDTO> updates = b.rig.engine.liveUpdates();
        return updates.get(updates.size() - 1);
    }

    private void assertAdopted(UpdateBoard b, LiveUpdateDTO u, int fromRecord) {
        assertTrue(u.adopted(), u.reason());
        assertEquals(AppleDartDriver.NAME, u.driver());
        assertEquals(NEXT, u.to());
        assertEquals(b.layout.darts(), u.iommus());
        assertEquals(fromRecord, u.fromRecord(), "taken over from their records");
        assertEquals(u.iommus().size() - fromRecord, u.fromHardware(), "read from the hardware");
        assertEquals(b.rig.engine.domains().size(), u.domains(), "every domain of the driver taken over");
        long made = b.translations.values().stream().mapToLong(Map::size).sum();
        assertTrue(u.mappings() >= made, "every page mapped at set-up (and the mapper's, if mapped then): " + u);
        assertTrue(u.verified() >= 2, "DMA-API pages verified (the dwc3's, the audio DMA's): " + u);
        assertEquals(0, u.mismatches(), u.toString());
        assertEquals(0, u.faultsDuringSwap(), u.toString());
    }

    @Test
    void t8103UpdateUnderLoadKeepsEveryDomainMappingAndRegister() {
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, driver(UpdateBoard.T8103), true);
        MmioRecordingDriver<AppleDartDriver> next = new MmioRecordingDriver<>(driver(UpdateBoard.T8103));
        try (LogCapture log = new LogCapture()) {
            LiveUpdateDTO u = updateUnderLoad(b, next, () -> { });
            assertAdopted(b, u, 6);
            for (String dart : b.layout.darts()) {
                assertEquals(1, log.matching(dart + ": apple-dart from " + NEXT + " adopted ").size(), log.lines().toString());
                assertEquals(1, log.matching("apple-dart t8103 " + dart + ": took over the running DART without a reset (from"
                        + " the record apple-dart v1)").size(), log.lines().toString());
            }
            assertEquals(List.of(), log.matching("initialized"), "no probe ran");
        }
        assertEquals(b.layout.darts(), next.inner.instances().stream().map(DartInstance::node).toList());
        b.assertDetachedDomainsWorkWhenAttached("after the update, attached again");
    }

    /**
     * One driver serving two cores over two machines of the same board (the registered core and a
     * lab): their detached domains have the same ids and the same table addresses, each in its own
     * memory. Each core's takeover must re-open its domains on its own machine's DARTs: on the
     * other's they would translate through the wrong memory, and free their tables to the wrong
     * page allocator.
     */
    @Test
    void twoMachinesOfOneBoardEachKeepTheirOwnDetachedDomains() {
        AppleDartDriver old = driver(UpdateBoard.T8103);
        UpdateBoard a = new UpdateBoard(UpdateBoard.T8103, old, true);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, true);
        assertEquals(a.domains(), b.domains(), "the same ids on both machines");
        long pagesA = a.rig.machine.pages().pagesInUse();
        long pagesB = b.rig.machine.pages().pagesInUse();
        a.rig.engine.removeDriver(old, true);
        b.rig.engine.removeDriver(old, true);
        AppleDartDriver next = driver(UpdateBoard.T8103);
        a.rig.engine.addDriver(next, NEXT);
        b.rig.engine.addDriver(next, NEXT);
        for (UpdateBoard x : List.of(a, b)) {
            List<LiveUpdateDTO> u = x.rig.engine.liveUpdates();
            assertAdopted(x, u.get(u.size() - 1), 6);
            x.assertTranslations();
            x.assertDmaEverywhere("after the update of both machines");
            x.assertDetachedDomainsWorkWhenAttached("on its own machine");
        }
        assertEquals(pagesA, a.rig.machine.pages().pagesInUse(), "machine a: no table page allocated or freed");
        assertEquals(pagesB, b.rig.machine.pages().pagesInUse(), "machine b: no table page allocated or freed");
        for (UpdateBoard x : List.of(a, b)) {
            x.rig.engine.shutdown();
            assertEquals(0, x.rig.machine.pages().pagesInUse(), "every table freed to its own machine's allocator");
        }
    }

    @Test
    void t8110FamilyUpdateUnderLoad() {
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8112, driver(UpdateBoard.T8112), true);
        MmioRecordingDriver<AppleDartDriver> next = new MmioRecordingDriver<>(driver(UpdateBoard.T8112));
        LiveUpdateDTO u = updateUnderLoad(b, next, () -> { });
        assertAdopted(b, u, 3);
        assertEquals(1, b.layout.variant().ttbr().count(), "DART2 registers: one TTBR per stream");
        b.assertDetachedDomainsWorkWhenAttached("t8110 after the update");
    }

    @Test
    void theRecordNamesEachDomainByItsCoreIdWithItsTableAndStreams() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), UnaryOperator.identity());
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, true);
        DomainImpl dwc3 = (DomainImpl) b.rig.engine.domainOf(b.layout.dwc3());
        PageTableState dwc3Table = ((DartDomain) dwc3.ops()).tableState();
        PageTableState spareTable = ((DartDomain) ((DomainImpl) b.spare).ops()).tableState();
        b.rig.engine.removeDriver(old, true);
        b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
        assertEquals(6, old.preserved.size());
        PreservedIommu dart0 = old.preserved.get(1);
        assertEquals(new PreservedIommu("/soc/iommu@382f00000", "apple-dart", "apple-dart", 1, 32, 36, 16, List.of(
                new PreservedDomain(dwc3.id(), DomainType.DMA, dwc3Table, 1, new int[] {0}),
                new PreservedDomain(b.spare.id(), DomainType.UNMANAGED, spareTable, 1, new int[0]))), dart0);
        PreservedIommu dart1 = old.preserved.get(2);
        assertEquals(List.of(new PreservedDomain(dwc3.id(), DomainType.DMA, dwc3Table, 1, new int[] {1})), dart1.domains(),
                "the dwc3's domain on its second DART; the spare domain is recorded once, by the DART its table was made for");
        PreservedIommu pcie0 = old.preserved.get(3);
        assertEquals(new PreservedDomain(0, DomainType.IDENTITY, null, 0, new int[] {1}), pcie0.domains().get(0),
                "the identity domain: shared, so no id of its own");
        assertEquals(b.rig.engine.defaultDomainOf(b.layout.identity()).id(), pcie0.domains().get(1).domain(),
                "the group's default domain, detached");
        assertEquals(2, pcie0.domains().size());
        PreservedIommu pcie1 = old.preserved.get(4);
        int nicDefault = b.rig.engine.defaultDomainOf(b.layout.blocked()).id();
        assertEquals(List.of(DomainType.BLOCKED, DomainType.DMA), pcie1.domains().stream().map(PreservedDomain::type).toList());
        assertArrayEquals(new int[] {1, 2}, pcie1.domains().get(0).streams(), "both functions of the merged group");
        assertEquals(nicDefault, pcie1.domains().get(1).domain(), "the group's default domain, detached");
        assertTrue(b.rig.engine.liveUpdates().get(0).adopted(), b.rig.engine.liveUpdates().toString());
    }

    @Test
    void withoutARecordTheRunningStateIsReadFromTheHardware() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> null);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103_DEFAULTS, old, false);
        MmioRecordingDriver<AppleDartDriver> next = new MmioRecordingDriver<>(driver(UpdateBoard.T8103));
        try (LogCapture log = new LogCapture()) {
            LiveUpdateDTO u = updateUnderLoad(b, next, () -> { });
            assertAdopted(b, u, 0);
            assertEquals(6, log.matching("the previous driver left no record; reading the running state from the hardware").size());
            assertEquals(6, log.matching("took over the running DART without a reset (from the hardware)").size());
        }
        assertEquals(6, old.preserved.size(), "the old code still let go of its interrupts");
    }

    @Test
    void aRecordOfAnUnknownVersionIsNotTrustedAndTheHardwareIsRead() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> new PreservedIommu(rec.node(), rec.driver(),
                rec.schema(), 2, rec.ias(), rec.oas(), rec.streams(), rec.domains()));
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103_DEFAULTS, old, false);
        MmioRecordingDriver<AppleDartDriver> next = new MmioRecordingDriver<>(driver(UpdateBoard.T8103));
        try (LogCapture log = new LogCapture()) {
            LiveUpdateDTO u = updateUnderLoad(b, next, () -> { });
            assertAdopted(b, u, 0);
            assertEquals(0, u.mismatches());
            assertEquals(6, log.matching("the previous driver's record is apple-dart version 2; this driver knows apple-dart"
                    + " version 1: reading the running state from the hardware").size(), log.lines().toString());
            assertEquals(6, log.matching("took over the running DART without a reset (from the hardware)").size());
        }
        assertTrue(next.inner.instances().stream().allMatch(d -> d.recordTables == null), "no record kept");
    }

    @Test
    void identityAndBlockedStreamsAreReadFromTheHardwareToo() {
        DartRig rig = DartRig.bootWithoutDrivers("t8103", CoreConfig.defaults().withDefaultDomain(DomainType.IDENTITY));
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> null);
        rig.add(old);
        String nic0 = UpdateBoard.T8103.blocked();
        rig.engine.attachGroup(rig.engine.domainAlloc(nic0, DomainType.BLOCKED), nic0);
        assertEquals(DomainType.IDENTITY, rig.engine.domainOf(UpdateBoard.T8103.dwc3()).type());
        rig.engine.removeDriver(old, true);
        rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
        LiveUpdateDTO u = rig.engine.liveUpdates().get(0);
        // the nic group's default (identity) domain is detached, but an identity domain has no table to find
        assertTrue(u.adopted(), u.reason());
        assertEquals(0, u.fromRecord());
        long pa = rig.ram() + 0x100_0000;
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(UpdateBoard.T8103.dwc3()), 1, pa, pa,
                "bypass".getBytes(StandardCharsets.US_ASCII));
        assertFalse(rig.master(nic0).read(0, pa, 4).ok(), "still blocked");
    }

    @Test
    void aDomainOnNoStreamWithoutARecordCannotBeFoundAndTheStateIsProbedAgain() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> null);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, true);
        try (LogCapture log = new LogCapture()) {
            b.rig.engine.removeDriver(old, true);
            b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
            LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
            assertFalse(u.adopted());
            assertTrue(u.reason().startsWith("ENOENT: apple-dart t8103: domain "), u.reason());
            assertTrue(u.reason().endsWith(" runs on no stream, and no record this driver knows names its table"), u.reason());
            assertEquals(1, log.matching("WARN").stream().filter(l -> l.contains("live update of apple-dart")
                    && l.contains(u.reason())).count(), log.lines().toString());
        }
        assertMastersProbedAgainWithoutLeaks(b);
    }

    @Test
    void aTtbrPointingOutsideRamIsNotTrustedAndTheStateIsProbedAgain() {
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, driver(UpdateBoard.T8103), true);
        String dart1 = "/soc/iommu@382f80000";
        MmioWindow w = b.rig.regs(dart1);
        int bad = T8020Regs.TTBR_VALID | (int) (0x1_0000_0000L >>> 12);
        w.writel(T8020Regs.TTBR + 16, bad); // stream 1, TTBR[0]: the dwc3's second stream
        try (LogCapture log = new LogCapture()) {
            b.rig.engine.removeDriver(b.rig.drivers.get(0), true);
            b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
            LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
            assertFalse(u.adopted());
            assertEquals("EIO: " + dart1 + ": stream 1: TTBR[0] 0x80100000 points at 0x100000000, outside RAM", u.reason());
            List<String> warn = log.matching("WARN");
            assertEquals(1, warn.stream().filter(l -> l.contains("live update of apple-dart: the new code could not take over")
                    && l.contains(u.reason())).count(), log.lines().toString());
        }
        assertMastersProbedAgainWithoutLeaks(b);
    }

    @Test
    void aStreamTheRecordDoesNotKnowMustNotTranslate() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> rec.node().equals("/soc/iommu@235004000")
                ? new PreservedIommu(rec.node(), rec.driver(), rec.schema(), rec.version(), rec.ias(), rec.oas(), rec.streams(),
                        List.of()) : rec);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, false);
        b.rig.engine.removeDriver(old, true);
        b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
        LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
        assertFalse(u.adopted());
        int ttbr = b.rig.regs("/soc/iommu@235004000").readl(T8020Regs.TTBR + 2 * 16);
        assertTrue(u.reason().startsWith("EIO: /soc/iommu@235004000: stream 2: translates (TCR 0x80, TTBR[0] 0x"), u.reason());
        assertTrue(u.reason().endsWith(") but the record has no domain on it"), u.reason());
        assertTrue(ttbr < 0, "probed again: the audio DMA translates through a new table");
        assertMastersProbedAgainWithoutLeaks(b);
    }

    @Test
    void aTableTheHardwareDoesNotRunIsRefused() {
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> {
            List<PreservedDomain> ds = new ArrayList<>();
            for (PreservedDomain pd : rec.domains()) {
                PageTableState t = pd.table();
                ds.add(t == null || pd.streams().length == 0 ? pd : new PreservedDomain(pd.domain(), pd.type(), new PageTableState(
                        t.format(), t.config(), new long[] {t.ttbrs()[0] + 0x4000}, t.levels(), t.hw()), pd.formatVersion(),
                        pd.streams()));
            }
            return new PreservedIommu(rec.node(), rec.driver(), rec.schema(), rec.version(), rec.ias(), rec.oas(), rec.streams(), ds);
        });
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, false);
        b.rig.engine.removeDriver(old, true);
        b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
        LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
        assertFalse(u.adopted());
        assertTrue(u.reason().matches("EIO: /soc/iommu@235004000: stream 2: domain \\d+ of the record: TTBR\\[0\\] 0x[0-9a-f]{8};"
                + " the table's is 0x[0-9a-f]{8}"), u.reason());
        assertMastersProbedAgainWithoutLeaks(b);
    }

    /** After a fallback: every DART probed by the new code, every master probed, DMA works, no table page left over. */
    private static void assertMastersProbedAgainWithoutLeaks(UpdateBoard b) {
        for (String dart : b.layout.darts()) {
            assertEquals("probed", b.rig.iommu(dart).state(), dart);
        }
        for (DeviceDTO d : b.rig.engine.devices()) {
            if (!d.node().endsWith("ethernet@0,2")) { // the merge that must fail, as on every boot
                assertEquals("probed", d.state(), d.toString());
            }
        }
        byte[] data = "probed again".getBytes(StandardCharsets.US_ASCII);
        long iova = b.dma.device(b.layout.dwc3()).mapPage(b.buf(7), UpdateBoard.PG, io.iommulab.api.dma.DmaDirection.BIDIRECTIONAL);
        BackendChecks.assertDmaLands(b.rig.machine.memory(), b.rig.master(b.layout.dwc3()), 1, iova, b.buf(7), data);
        b.dma.device(b.layout.dwc3()).unmapPage(iova, UpdateBoard.PG, io.iommulab.api.dma.DmaDirection.BIDIRECTIONAL);
        DartRig fresh = DartRig.bootWithoutDrivers(b.layout.board(), CoreConfig.defaults()).add(driver(b.layout));
        long iovaFresh = new io.iommulab.core.impl.dma.DmaApiImpl(fresh.engine).device(b.layout.dwc3()).mapPage(b.buf(7),
                UpdateBoard.PG, io.iommulab.api.dma.DmaDirection.BIDIRECTIONAL);
        assertEquals(iova, iovaFresh, "the same IOVA as on a fresh boot");
        assertEquals(fresh.machine.pages().pagesInUse(), b.rig.machine.pages().pagesInUse(),
                "the table pages of a fresh boot, none of the old domains' left (by owner: " + b.rig.machine.pages().pagesByOwner() + ")");
    }

    @Test
    void anErrorLatchedWhileNoHandlerWasRegisteredIsHandledByTheNewCode() {
        UpdateBoard[] board = new UpdateBoard[1];
        EditedRecord old = new EditedRecord(driver(UpdateBoard.T8103), rec -> {
            if (rec.node().equals("/soc/iommu@235004000")) {
                // between the old code freeing its interrupt and the new one requesting it
                assertFalse(board[0].rig.master(board[0].layout.admac()).read(0, 0x7000_0000L, 4).ok());
            }
            return rec;
        });
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, old, false);
        board[0] = b;
        MmioWindow sio = b.rig.regs("/soc/iommu@235004000");
        try (LogCapture log = new LogCapture()) {
            b.rig.engine.removeDriver(old, true);
            b.rig.engine.addDriver(driver(UpdateBoard.T8103), NEXT);
            assertEquals(1, log.matching("apple-dart t8103 /soc/iommu@235004000: translation fault: status:0x").stream()
                    .filter(l -> l.contains("stream:2") && l.contains("at 0x70000000")).count(), log.lines().toString());
        }
        LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.reason());
        assertEquals(1, u.faultsDuringSwap());
        FaultDTO f = b.rig.engine.faults().get(b.rig.engine.faults().size() - 1);
        assertEquals("/soc/iommu@235004000", f.iommu());
        assertEquals(2, f.sid());
        assertEquals(b.layout.admac(), f.device());
        assertEquals(0x7000_0000L, f.iova());
        assertEquals(0, sio.readl(T8020Regs.ERROR) & T8020Regs.ERROR_FLAG, "the error was cleared");
        // and the handler is the new code's now
        assertFalse(b.rig.master(b.layout.admac()).read(0, 0x7100_0000L, 4).ok());
        assertEquals(0x7100_0000L, b.rig.engine.faults().get(b.rig.engine.faults().size() - 1).iova());
    }

    @Test
    void theNewCodeRunsAndUnloadsAsBefore() {
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, driver(UpdateBoard.T8103), false);
        long pagesWithoutDomains;
        {
            DartRig bare = DartRig.bootWithoutDrivers("t8103", CoreConfig.defaults());
            pagesWithoutDomains = bare.machine.pages().pagesInUse();
        }
        AppleDartDriver next = driver(UpdateBoard.T8103);
        b.rig.engine.removeDriver(b.rig.drivers.get(0), true);
        b.rig.engine.addDriver(next, NEXT);
        assertTrue(b.rig.engine.liveUpdates().get(0).adopted());
        // control path on the new code: a new domain, attached, mapped
        var dom = b.rig.engine.domainAlloc(b.layout.dwc3(), DomainType.UNMANAGED);
        b.rig.engine.attachGroup(dom, b.layout.dwc3());
        dom.map(0x10_0000, b.buf(8), UpdateBoard.PG, UpdateLoad.RW);
        BackendChecks.assertDmaLands(b.rig.machine.memory(), b.rig.master(b.layout.dwc3()), 1, 0x10_0040, b.buf(8) + 0x40,
                "new domain".getBytes(StandardCharsets.US_ASCII));
        // an uninstall is still an unload: masters released, hardware reset, every table page back
        b.dma.close();
        b.rig.engine.removeDriver(next);
        DartHw hw = b.layout.variant();
        for (String dart : b.layout.darts()) {
            assertNotEquals("probed", b.rig.iommu(dart).state());
            for (int sid = 0; sid < 16; sid++) {
                assertEquals(hw.tcr().disabled(), b.rig.regs(dart).readl(hw.tcr().offset(sid)), dart + " stream " + sid + " reset");
                assertEquals(0, b.rig.regs(dart).readl(hw.ttbr().offset(sid, 0)), dart + " stream " + sid + " reset");
            }
        }
        assertEquals(pagesWithoutDomains, b.rig.machine.pages().pagesInUse(), b.rig.machine.pages().pagesByOwner().toString());
    }
}
