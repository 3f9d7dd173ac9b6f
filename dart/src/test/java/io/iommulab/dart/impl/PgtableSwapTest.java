package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.pgtable.osgi.AppleDart2FormatComponent;
import io.iommulab.pgtable.osgi.AppleDartFormatComponent;
import io.iommulab.testkit.BackgroundCall;
import io.iommulab.testkit.LogCapture;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The page-table bundle updated under a running DART driver: the format service the driver uses
 * is unregistered and a new one of the same format registered (a second object of the same
 * component class standing for the new bundle's). The live domains keep working on the old code
 * in between, and a domain allocation waits for the new code; then everything runs on the new
 * code's ops over the same tables, while DMA and maps go on.
 */
class PgtableSwapTest {

    static final String V1 = "io.iommulab.pgtable 0.1.0";
    static final String V2 = "io.iommulab.pgtable 0.2.0";

    /** The paging domains of the board, each with its driver domain. */
    private static Map<DartDomain, IommuDomain> pagingDomains(UpdateBoard b) {
        Map<DartDomain, IommuDomain> out = new IdentityHashMap<>();
        for (int id : b.domains().keySet()) {
            IommuDomain d = domainById(b, id);
            if (d != null && d.type().isPaging()) {
                out.put((DartDomain) ((DomainImpl) d).ops(), d);
            }
        }
        return out;
    }

    private static IommuDomain domainById(UpdateBoard b, int id) {
        for (var dev : b.rig.engine.devices()) {
            if (!"probed".equals(dev.state())) {
                continue;
            }
            for (IommuDomain d : List.of(b.rig.engine.domainOf(dev.node()), b.rig.engine.defaultDomainOf(dev.node()))) {
                if (d.id() == id) {
                    return d;
                }
            }
        }
        for (IommuDomain d : new IommuDomain[] {b.user, b.spare}) {
            if (d != null && d.id() == id) {
                return d;
            }
        }
        return null;
    }

    private void swapUnderLoad(UpdateBoard.Layout layout, Supplier<PageTableFormat> component) throws InterruptedException {
        AppleDartDriver driver = AppleDartDriver.create(layout.variant(), name -> null);
        PageTableFormat v1 = component.get();
        driver.formatArrived(v1, V1);
        UpdateBoard b = new UpdateBoard(layout, driver, true);
        Map<DartDomain, IommuDomain> live = pagingDomains(b);
        assertTrue(live.size() >= 4, "default domains of the dwc3 and the audio DMA, a user domain, a spare one: " + live);
        Map<DartDomain, PageTableOps> before = new IdentityHashMap<>();
        live.keySet().forEach(d -> before.put(d, d.tableOps()));
        assertTrue(live.keySet().stream().allMatch(d -> d.format() == v1));
        Map<String, Map<Integer, Integer>> regs = b.registers();
        PageTableFormat v2 = component.get();
        UpdateLoad load = b.load().start();
        long pages;
        try (LogCapture log = new LogCapture()) {
            load.awaitRounds(30);
            pages = b.rig.machine.pages().pagesInUse();
            driver.formatLeft(v1);
            load.awaitRounds(10); // the old code still serves the live tables
            assertTrue(live.keySet().stream().allMatch(d -> d.format() == v1));
            // a domain allocation needs the format: it waits for the new one, then runs on it
            BackgroundCall<IommuDomain> alloc = BackgroundCall.start("domain allocation",
                    () -> b.rig.engine.domainAlloc(layout.dwc3(), DomainType.UNMANAGED));
            while (b.rig.engine.waitingCalls() == 0 && alloc.running()) {
                Thread.onSpinWait();
            }
            assertEquals(1, b.rig.engine.waitingCalls(), "the domain allocation waits for the new format");
            driver.formatArrived(v2, V2);
            IommuDomain waited = alloc.join();
            assertSame(v2, ((DartDomain) ((DomainImpl) waited).ops()).format(), "the allocation ran on the new format");
            waited.free();
            load.awaitRounds(30);
            assertEquals(pages, b.rig.machine.pages().pagesInUse(), "no table page allocated or freed by the swap");
            assertEquals(1, log.matching("apple-dart: pgtable " + layout.variant().identity().pgtableFormat() + ": " + V2
                    + " swapped under ").size(), log.lines().toString());
        } finally {
            load.close();
        }
        assertEquals(List.of(), load.failures, "DMA, maps and unmaps across the swap");
        for (Map.Entry<DartDomain, IommuDomain> e : live.entrySet()) {
            DartDomain d = e.getKey();
            String what = "domain " + e.getValue().id();
            assertSame(v2, d.format(), what + " runs on the new format");
            assertNotSame(before.get(d), d.tableOps(), what + " has new ops");
            assertEquals(before.get(d).state(), d.tableOps().state(), what + ": the same table");
            assertEquals(before.get(d).tablePages(), d.tableOps().tablePages(), what + ": the same table pages");
        }
        assertEquals(regs, b.registers(), "no register touched");
        b.assertTranslations();
        b.assertDmaEverywhere("after the pgtable swap");
        LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.reason());
        assertEquals(AppleDartDriver.NAME, u.driver());
        assertEquals("pgtable " + layout.variant().identity().pgtableFormat() + ": " + V2, u.to());
        assertEquals(b.rig.engine.domains().size(), u.domains());
        assertTrue(u.verified() > 0, "the DMA-API pages translated before and after the swap: " + u);
        assertEquals(0, u.mismatches(), u.toString());
        assertEquals(u.blackoutNs(), b.rig.engine.liveUpdatePhases().blackoutNs(), "pause, switch and resume are the blackout");
        assertEquals(1, u.callsWaited(), "the domain allocation waited for this swap: " + u);
        assertTrue(u.longestWaitNs() > 0, u.toString());
        assertEquals(0, u.fromRecord() + u.fromHardware(), "nothing taken over: the DARTs keep their driver");
        // the old ops were dropped, not freed: their tables are the new ops' tables
        for (Map.Entry<DartDomain, PageTableOps> e : before.entrySet()) {
            assertEquals(e.getKey().tableOps().iovaToPhys(b.dwc3Iova), e.getValue().iovaToPhys(b.dwc3Iova));
        }
        // a new domain takes its table from the new format
        IommuDomain fresh = b.rig.engine.domainAlloc(layout.dwc3(), DomainType.UNMANAGED);
        assertSame(v2, ((DartDomain) ((DomainImpl) fresh).ops()).format());
        b.assertDetachedDomainsWorkWhenAttached("after the pgtable swap, attached again");
    }

    @Test
    void aNewAppleDartFormatTakesOverEveryLiveTable() throws InterruptedException {
        swapUnderLoad(UpdateBoard.T8103, AppleDartFormatComponent::new);
    }

    @Test
    void aNewAppleDart2FormatTakesOverEveryLiveTableOfT8110Darts() throws InterruptedException {
        swapUnderLoad(UpdateBoard.T8112, AppleDart2FormatComponent::new);
    }

    /**
     * The new format version re-opens the live tables while the old one still serves them: only
     * the switch runs with the domains paused. Its first attach maps a page through the DMA API on
     * another thread and waits for it; were the domains paused already, that map would wait for
     * the attach and the move would fail.
     */
    @Test
    void theNewFormatReopensTheTablesBeforeTheDomainsArePaused() throws Exception {
        AppleDartDriver driver = AppleDartDriver.create(UpdateBoard.T8103.variant(), name -> null);
        driver.formatArrived(new AppleDartFormatComponent(), V1);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103, driver, true);
        Map<DartDomain, IommuDomain> live = pagingDomains(b);
        DmaDevice dwc3 = b.dma.device(b.layout.dwc3());
        List<Long> meanwhile = new CopyOnWriteArrayList<>();
        PageTableFormat v2 = new PageTableFormat() {
            private final PageTableFormat base = new AppleDartFormatComponent();

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
                if (meanwhile.isEmpty()) {
                    CompletableFuture<Long> map = CompletableFuture.supplyAsync(
                            () -> dwc3.mapPage(b.buf(7), UpdateBoard.PG, DmaDirection.TO_DEVICE));
                    try {
                        meanwhile.add(map.get(10, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        throw new IllegalStateException("a dma_map_page while the new format re-opens a table: " + e, e);
                    }
                }
                return base.attach(state, context);
            }
        };
        driver.formatArrived(v2, V2);
        assertEquals(1, meanwhile.size());
        for (Map.Entry<DartDomain, IommuDomain> e : live.entrySet()) {
            assertSame(v2, e.getKey().format(), "domain " + e.getValue().id() + " runs on the new format");
        }
        LiveUpdateDTO u = b.rig.engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.reason());
        DmaMaster m = b.rig.machine.master(b.layout.dwc3()).orElseThrow();
        assertTrue(m.read(0, meanwhile.get(0), 8).ok(), "the page mapped on the old code meanwhile, on the new one");
        dwc3.unmapPage(meanwhile.get(0), UpdateBoard.PG, DmaDirection.TO_DEVICE);
        b.assertTranslations();
        b.assertDmaEverywhere("after the pgtable swap");
    }

    @Test
    void whenTheNewestOfTwoServicesLeavesTheTablesMoveToTheOther() {
        AppleDartDriver driver = AppleDartDriver.create(UpdateBoard.T8103.variant(), name -> null);
        PageTableFormat a = new AppleDartFormatComponent();
        PageTableFormat other = new AppleDart2FormatComponent();
        driver.formatArrived(a, V1);
        UpdateBoard b = new UpdateBoard(UpdateBoard.T8103_DEFAULTS, driver, false);
        List<DartDomain> live = new ArrayList<>(pagingDomains(b).keySet());
        driver.formatArrived(other, V2);
        assertTrue(live.stream().allMatch(d -> d.format() == a), "a format of another name moves nothing");
        PageTableFormat c = new AppleDartFormatComponent();
        driver.formatArrived(c, V2);
        assertTrue(live.stream().allMatch(d -> d.format() == c), "the newest service of the format takes over");
        driver.formatLeft(c);
        assertTrue(live.stream().allMatch(d -> d.format() == a), "back to the one still bound");
        driver.formatLeft(a);
        assertTrue(live.stream().allMatch(d -> d.format() == a), "none bound: the tables stay on the code they run");
        b.assertTranslations();
        b.assertDmaEverywhere("with no format service bound");
        assertEquals(2, b.rig.engine.liveUpdates().size());
    }
}
