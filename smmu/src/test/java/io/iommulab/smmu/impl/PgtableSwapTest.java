package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import io.iommulab.smmu.impl.LiveUpdateTest.Workload;
import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.BackgroundCall;
import io.iommulab.testkit.LogCapture;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The page-table bundle updated under a running arm-smmu driver: the {@code arm-lpae-s1} service the
 * driver uses is unregistered and a new one registered (another object of the format, standing for
 * the new bundle's). The live domains keep working on the old code in between, while a domain
 * allocation waits for the new code; then every finalised domain runs on the new code's ops over the
 * same table, on the same context bank, with no register written and no table page allocated, while
 * DMA and maps go on (smmu/README.md, "After a pgtable update").
 */
class PgtableSwapTest {

    static final String V1 = "io.iommulab.pgtable 0.1.0";
    static final String V2 = "io.iommulab.pgtable 0.2.0";

    /** A driver whose formats are only what it is told arrive, as in OSGi, on the test board. */
    private static SmmuRig boot(CoreConfig config, PageTableFormat first) {
        ArmSmmuDriver driver = ArmSmmuDriver.create(name -> null, System::nanoTime, true);
        driver.formatArrived(first, V1);
        return SmmuRig.boot("smmu", config, driver, Map.of());
    }

    /** @return every finalised paging domain the workload has (default, user), with its core domain */
    private static Map<SmmuDomain, IommuDomain> finalised(SmmuRig rig, Workload w) {
        List<IommuDomain> all = new ArrayList<>(List.of(w.unmanaged, w.idle));
        for (DeviceDTO d : rig.engine.devices()) {
            if ("probed".equals(d.state())) {
                all.add(rig.engine.domainOf(d.node()));
                all.add(rig.engine.defaultDomainOf(d.node()));
            }
        }
        Map<SmmuDomain, IommuDomain> out = new IdentityHashMap<>();
        for (IommuDomain d : all) {
            if (d.type().isPaging() && ((DomainImpl) d).ops() instanceof SmmuDomain s && s.smmu() != null) {
                out.put(s, d);
            }
        }
        return out;
    }

    @Test
    void aNewFormatTakesOverEveryLiveTableOnItsBankWhileADomainAllocationWaitsForIt() throws Exception {
        PageTableFormat v1 = new ArmLpaeS1Format();
        SmmuRig rig = boot(CoreConfig.defaults(), v1);
        Workload w = new Workload(rig, true);
        Map<SmmuDomain, IommuDomain> live = finalised(rig, w);
        assertTrue(live.size() >= 6, "default DMA domains of the groups and the unmanaged domain of gpu: " + live.values());
        assertTrue(live.keySet().stream().allMatch(d -> d.format() == v1));
        Map<SmmuDomain, PageTableOps> before = new IdentityHashMap<>();
        live.keySet().forEach(d -> before.put(d, d.table().ops()));
        SmmuRegisters regs = SmmuRegisters.read(rig, LiveUpdateTest.SMMUS);
        Map<Integer, String> banks = LiveUpdateTest.banks(rig);
        Map<String, List<String>> irqs = LiveUpdateTest.irqActions(rig);
        int domains = rig.engine.domains().size();
        long pages = rig.machine.pages().pagesInUse();
        PageTableFormat v2 = new ArmLpaeS1Format();

        IommuDomain fresh;
        try (LogCapture log = new LogCapture(); SmmuLoad load = SmmuLoad.start(w)) {
            load.awaitRounds(20);
            rig.driver.formatLeft(v1);
            load.awaitRounds(10); // the old code still serves the live tables
            assertTrue(live.keySet().stream().allMatch(d -> d.format() == v1));
            BackgroundCall<IommuDomain> alloc = BackgroundCall.start("domain allocation",
                    () -> rig.engine.domainAlloc(DMA, DomainType.UNMANAGED));
            while (rig.engine.waitingCalls() == 0 && alloc.running()) {
                Thread.onSpinWait();
            }
            assertEquals(1, rig.engine.waitingCalls(), "the domain allocation waits for the new format");
            rig.driver.formatArrived(v2, V2);
            fresh = alloc.join();
            assertEquals(0, rig.engine.waitingCalls());
            load.awaitRounds(20);
            assertEquals(1, log.matching("live update of arm-smmu: pgtable arm-lpae-s1: " + V1 + " left; calls that need it"
                    + " wait").size(),
                    log.lines().toString());
            assertEquals(1, log.matching("arm-smmu: pgtable arm-lpae-s1: " + V2 + " swapped under ").size(), log.lines().toString());
        }
        for (Map.Entry<SmmuDomain, IommuDomain> e : live.entrySet()) {
            SmmuDomain d = e.getKey();
            String what = "domain " + e.getValue().id();
            assertSame(v2, d.format(), what + " runs on the new format");
            assertNotSame(before.get(d), d.table().ops(), what + " has new ops");
            assertEquals(before.get(d).state(), d.table().ops().state(), what + ": the same table");
            assertEquals(before.get(d).tablePages(), d.table().ops().tablePages(), what + ": the same table pages");
            assertEquals(d.tableState(), before.get(d).state(), what + ": its state as finalised");
        }
        assertEquals(regs, SmmuRegisters.read(rig, LiveUpdateTest.SMMUS), "no configuration register changed");
        assertEquals(banks, LiveUpdateTest.banks(rig), "every domain on its context bank with its ASID");
        assertEquals(irqs, LiveUpdateTest.irqActions(rig), "the same interrupt handlers");
        assertEquals(pages, rig.machine.pages().pagesInUse(), "no table page allocated or freed by the swap");
        assertEquals(List.of(), rig.engine.faults(), "no transaction faulted");
        w.assertEveryMappingLands();

        LiveUpdateDTO u = rig.engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.reason());
        assertEquals(ArmSmmuDriver.NAME, u.driver());
        assertEquals("pgtable arm-lpae-s1: " + V2, u.to());
        assertEquals(LiveUpdateTest.SMMUS, u.iommus());
        assertEquals(domains, u.domains());
        assertTrue(u.verified() >= 7, "the DMA-API pages translated before and after the swap: " + u);
        assertEquals(0, u.mismatches(), u.toString());
        assertEquals(0, u.fromRecord() + u.fromHardware(), "nothing taken over: the SMMUs keep their driver");
        assertEquals(1, u.callsWaited(), u.toString());
        assertTrue(u.longestWaitNs() > 0, u.toString());
        // the old ops were dropped, not freed: their tables are the new ops' tables
        for (Map.Entry<SmmuDomain, PageTableOps> e : before.entrySet()) {
            assertEquals(e.getKey().table().ops().iovaToPhys(w.mappings.get(0).iova()), e.getValue().iovaToPhys(w.mappings.get(0).iova()));
        }
        // the domain that waited is finalised by the new format at its first attach
        rig.engine.detachGroup(w.unmanaged, GPU);
        rig.engine.attachGroup(fresh, GPU);
        assertSame(v2, ((SmmuDomain) ((DomainImpl) fresh).ops()).format());
        long pa = rig.ram() + 0x400_0000;
        fresh.map(0x4000_0000L, pa, LiveUpdateTest.PG, LiveUpdateTest.RW);
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(GPU), 0, 0x4000_0000L, pa, LiveUpdateTest.DATA);
    }

    /** {@code arm-lpae-s1} with its {@code attach} (re-opening a live table) run through {@code onAttach} first. */
    private static PageTableFormat reopening(Function<PageTableState, RuntimeException> onAttach) {
        PageTableFormat base = new ArmLpaeS1Format();
        return new PageTableFormat() {
            @Override
            public String name() {
                return base.name();
            }

            @Override
            public PageTableOps alloc(PageTableConfig config, PageTableContext context) {
                return base.alloc(config, context);
            }

            @Override
            public PageTableOps attach(PageTableState state, PageTableContext context) {
                RuntimeException refusal = onAttach.apply(state);
                if (refusal != null) {
                    throw refusal;
                }
                return base.attach(state, context);
            }
        };
    }

    /**
     * The new format version re-opens the live tables while the old one still serves them: only
     * the switch runs with the domains paused, and that is the swap's blackout. Its first attach
     * maps a page through the DMA API on another thread and waits for it; were the domains paused
     * already, that map would wait for the attach and the move would fail.
     */
    @Test
    void theNewFormatReopensTheTablesBeforeTheDomainsArePaused() {
        PageTableFormat v1 = new ArmLpaeS1Format();
        SmmuRig rig = boot(CoreConfig.defaults(), v1);
        Workload w = new Workload(rig, true);
        Map<SmmuDomain, IommuDomain> live = finalised(rig, w);
        long pa = rig.ram() + 0x500_0000;
        List<Long> meanwhile = new CopyOnWriteArrayList<>();
        PageTableFormat v2 = reopening(state -> {
            if (meanwhile.isEmpty()) {
                try {
                    meanwhile.add(CompletableFuture.supplyAsync(
                            () -> w.dma.device(DMA).mapPage(pa, LiveUpdateTest.PG, DmaDirection.BIDIRECTIONAL))
                            .get(10, TimeUnit.SECONDS));
                } catch (Exception e) {
                    return new IllegalStateException("a dma_map_page while the new format re-opens a table: " + e, e);
                }
            }
            return null;
        });
        rig.driver.formatArrived(v2, V2);
        assertEquals(1, meanwhile.size());
        for (Map.Entry<SmmuDomain, IommuDomain> e : live.entrySet()) {
            assertSame(v2, e.getKey().format(), "domain " + e.getValue().id() + " runs on the new format");
        }
        LiveUpdateDTO u = rig.engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.reason());
        assertEquals(0, u.mismatches(), u.toString());
        assertEquals(u.blackoutNs(), rig.engine.liveUpdatePhases().blackoutNs(), "pause, switch and resume are the blackout");
        assertEquals(pa, rig.engine.domainOf(DMA).iovaToPhys(meanwhile.get(0)),
                "the page mapped on the old code meanwhile, on the new one");
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(DMA), 0, meanwhile.get(0), pa, LiveUpdateTest.DATA);
        w.assertEveryMappingLands();
    }

    /**
     * A new format that refuses a live table moves none, before any domain is paused; after the old
     * format left in a bundle update, the calls that waited for it still go on, and the report says
     * why nothing was adopted.
     */
    @Test
    void aNewFormatThatRefusesATableMovesNoneAndTheWaitingCallsGoOn() throws Exception {
        PageTableFormat v1 = new ArmLpaeS1Format();
        SmmuRig rig = boot(CoreConfig.defaults(), v1);
        Workload w = new Workload(rig, true);
        Map<SmmuDomain, IommuDomain> live = finalised(rig, w);
        Map<SmmuDomain, PageTableOps> before = new IdentityHashMap<>();
        live.keySet().forEach(d -> before.put(d, d.table().ops()));
        List<PageTableState> asked = new CopyOnWriteArrayList<>();
        PageTableFormat v2 = reopening(state -> {
            asked.add(state);
            return asked.size() == 2 ? new IommuException(Errno.EINVAL, "a table this version cannot run") : null;
        });
        try (LogCapture log = new LogCapture()) {
            rig.driver.formatLeft(v1);
            BackgroundCall<IommuDomain> alloc = BackgroundCall.start("domain allocation",
                    () -> rig.engine.domainAlloc(DMA, DomainType.UNMANAGED));
            while (rig.engine.waitingCalls() == 0 && alloc.running()) {
                Thread.onSpinWait();
            }
            rig.driver.formatArrived(v2, V2);
            IommuDomain waited = alloc.join();
            assertEquals(0, rig.engine.waitingCalls());
            waited.free();
            assertEquals(1, log.matching("arm-smmu: moving the live domains to pgtable arm-lpae-s1: " + V2 + " failed: EINVAL: "
                    + "arm-smmu domain ").stream().filter(l -> l.contains("cannot re-open a page table of format 'arm-lpae-s1'")
                            && l.contains("EINVAL: a table this version cannot run; those not moved keep running on the previous code"))
                    .count(), log.lines().toString());
        }
        assertEquals(2, asked.size(), "the move stopped at the refused table");
        for (Map.Entry<SmmuDomain, IommuDomain> e : live.entrySet()) {
            String what = "domain " + e.getValue().id();
            assertSame(v1, e.getKey().format(), what + " stays on the previous format");
            assertSame(before.get(e.getKey()), e.getKey().table().ops(), what + " keeps its ops");
        }
        LiveUpdateDTO u = rig.engine.liveUpdates().get(0);
        assertFalse(u.adopted());
        assertTrue(u.reason().startsWith("EINVAL: arm-smmu domain ") && u.reason().endsWith("EINVAL: a table this version cannot run"),
                u.reason());
        assertEquals(1, u.callsWaited(), u.toString());
        assertEquals(List.of(), rig.engine.faults(), "no transaction faulted");
        w.assertEveryMappingLands();
    }

    @Test
    void withoutANewFormatTheWaitingCallFailsAtTheTimeoutAndLaterCallsGoOn() throws Exception {
        PageTableFormat v1 = new ArmLpaeS1Format();
        SmmuRig rig = boot(CoreConfig.defaults().withLiveUpdateMs(50), v1);
        Workload w = new Workload(rig, false);
        try (LogCapture log = new LogCapture()) {
            rig.driver.formatLeft(v1);
            IommuException e = assertThrows(IommuException.class, () -> rig.engine.domainAlloc(DMA, DomainType.UNMANAGED));
            assertEquals(Errno.ETIMEDOUT, e.errno());
            assertEquals("ETIMEDOUT: arm-smmu: no new version of pgtable arm-lpae-s1: " + V1 + " came within 50 ms of it"
                    + " leaving in a bundle update", e.getMessage());
            assertEquals(1, log.matching("WARN").stream().filter(l -> l.contains("live update of arm-smmu: no new version of"
                    + " pgtable arm-lpae-s1: " + V1 + " came within 50 ms; calls that need it fail")).count(), log.lines().toString());
        }
        assertEquals(0, rig.engine.waitingCalls());
        // awaited no more: a call goes to the driver, which has no format for a new table
        IommuDomain d = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        IommuException none = assertThrows(IommuException.class, () -> rig.engine.attachGroup(d, GPU));
        assertEquals("ENODEV: arm-smmu: page-table format 'arm-lpae-s1' is not available", none.getMessage());
        w.assertEveryMappingLands();
        assertTrue(rig.engine.liveUpdates().isEmpty(), "no swap happened");
    }

    @Test
    void aFormatStoppedForGoodHoldsNoCallBack() {
        PageTableFormat v1 = new ArmLpaeS1Format();
        SmmuRig rig = boot(CoreConfig.defaults(), v1);
        Workload w = new Workload(rig, false);
        rig.engine.setUpdateInProgress(() -> false);
        rig.driver.formatLeft(v1);
        IommuDomain d = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        IommuException none = assertThrows(IommuException.class, () -> rig.engine.attachGroup(d, GPU));
        assertEquals(Errno.ENODEV, none.errno(), none.getMessage());
        assertEquals(0, rig.engine.waitingCalls());
        w.assertEveryMappingLands();
    }
}
