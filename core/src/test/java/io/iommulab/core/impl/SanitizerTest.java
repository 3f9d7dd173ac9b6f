package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.BUF;
import static io.iommulab.core.impl.Fixture.DEV_A;
import static io.iommulab.core.impl.Fixture.DEV_B;
import static io.iommulab.core.impl.Fixture.DEV_C;
import static io.iommulab.core.impl.Fixture.IOMMU0;
import static io.iommulab.core.impl.Fixture.IOMMU1;
import static io.iommulab.core.impl.Fixture.NIC0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.core.impl.sanitize.Sanitizer;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.LogCapture;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The DMA sanitizer on the testkit board with the test IOMMU: stale IOTLB hits, DMA after unmap,
 * isolation escapes, writes into page tables and maps of IOMMU memory are each one finding with
 * what explains it; the flush queue's window is measured and is no finding; a clean workload has
 * none; off, nothing watches and nothing is shadowed.
 */
class SanitizerTest {

    /** flush queues flush only when told (a test never waits for a timer) */
    private static final long FQ_TIMEOUT_MS = 3_600_000;

    private final PortTap tap = new PortTap();
    private final SimMachine machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
            List.of(tap), Map.of());
    private final BuggyDriver driver = new BuggyDriver();
    private IommuCoreEngine engine;
    private DmaApiImpl dma;

    @AfterEach
    void tearDown() {
        if (dma != null) {
            dma.close();
        }
        if (engine != null) {
            engine.shutdown();
        }
    }

    private void boot(CoreConfig config) {
        engine = new IommuCoreEngine(machine, config);
        engine.addDriver(driver, "test");
        dma = new DmaApiImpl(engine, FQ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private void bootSanitized() {
        boot(CoreConfig.defaults().withSanitize(true));
    }

    private DmaMaster master(String path) {
        return machine.master(path).orElseThrow();
    }

    private List<SanitizerFindingDTO> findings() {
        return engine.sanitizer().history();
    }

    // ---- the test IOMMU's tables, as its datasheet lays them out (test-iommu-model/README.md) ----

    private long l1(String iommu, int sid) {
        int ttbr = machine.ioremap(machine.deviceTree().node(iommu).orElseThrow(), 0).readl(0x104 + 8 * sid);
        assertTrue(ttbr < 0, "TTBR VALID");
        return (long) (ttbr & 0x0fff_ffff) << 12;
    }

    private long l2(String iommu, int sid, long iova) {
        long e = machine.memory().read64(l1(iommu, sid) + 8 * ((iova >>> 21) & 0x1ff));
        assertEquals(3, e & 3, "an L1 entry pointing at an L2 table");
        return e & 0x0000_ffff_ffff_f000L;
    }

    /** @return the physical address of the leaf entry of {@code iova} */
    private long leaf(String iommu, int sid, long iova) {
        return l2(iommu, sid, iova) + 8 * ((iova >>> 12) & 0x1ff);
    }

    // ---- off ----

    @Test
    void offByDefaultNothingWatchesAndNothingIsShadowed() {
        boot(CoreConfig.defaults());
        assertFalse(engine.sanitizer().enabled());
        assertFalse(tap.port.enabled(), "no monitor on the bus: models do not check their IOTLB hits");
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x4000, BUF, 0x1000, Prot.READ | Prot.WRITE);
        assertNull(((DomainImpl) d).shadow(), "no shadow work while off");
        assertTrue(master(DEV_A).read(0, 0x4000, 16).ok());
        assertEquals(0, engine.sanitizer().transactions());

        SanitizerDTO on = engine.setSanitizer(true);
        assertTrue(on.enabled());
        assertTrue(tap.port.enabled());
        assertNotNull(((DomainImpl) d).shadow());
        assertTrue(master(DEV_A).read(0, 0x4000, 16).ok(), "mapped before it came on: asked of the page table");
        assertEquals(1, engine.sanitizer().transactions());
        assertEquals(0, engine.sanitizer().total(), String.valueOf(findings()));

        assertFalse(engine.setSanitizer(false).enabled());
        assertFalse(tap.port.enabled());
        assertNull(((DomainImpl) d).shadow());
    }

    @Test
    void theConfigTurnsItOnAtBoot() {
        assertTrue(CoreConfig.from(Map.of(CoreConfig.SANITIZE, "on")::get).sanitize());
        assertFalse(CoreConfig.from(Map.<String, String>of()::get).sanitize());
        IommuException e = assertThrows(IommuException.class,
                () -> CoreConfig.from(Map.of(CoreConfig.SANITIZE, "maybe")::get));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("iommulab.iommu.sanitize 'maybe'"), e.getMessage());
        bootSanitized();
        assertTrue(engine.sanitizer().enabled());
        assertTrue(tap.port.enabled());
        assertNotNull(((DomainImpl) engine.domainOf(DEV_A)).shadow(), "default domains made after it came on");
    }

    // ---- a clean workload ----

    @Test
    void aCleanWorkloadHasNoFindings() {
        bootSanitized();
        cleanWorkload();
        SanitizerDTO s = engine.sanitizer();
        assertEquals(0, s.total(), String.valueOf(s.history()));
        assertTrue(s.transactions() > 100, "transactions checked: " + s.transactions());
    }

    @Test
    void aCleanLazyWorkloadHasNoFindingsAndNoExposure() {
        boot(CoreConfig.defaults().withStrict(false).withSanitize(true));
        assertEquals(DomainType.DMA_FQ, engine.domainOf(DEV_A).type());
        cleanWorkload();
        SanitizerDTO s = engine.sanitizer();
        assertEquals(0, s.total(), String.valueOf(s.history()));
        assertFalse(s.flushQueues().isEmpty());
        for (FlushQueueDTO q : s.flushQueues()) {
            assertEquals(0, q.transactions(), "no DMA inside a window: " + q);
        }
    }

    /** DMA-API streaming, scatter-gather and iommu_map on an unmanaged domain, DMA through all, faults. */
    private void cleanWorkload() {
        byte[] data = new byte[64];
        for (String dev : List.of(DEV_A, DEV_C, NIC0)) {
            DmaDevice dd = dma.device(dev);
            for (int i = 0; i < 50; i++) {
                long iova = dd.mapPage(BUF + 0x1_0000L * i + 0x40 * (i % 7), 0x2000 + 0x100 * i, DmaDirection.BIDIRECTIONAL);
                assertTrue(master(dev).write(0, iova, data).ok());
                assertTrue(master(dev).read(0, iova + 0x1000, 64).ok());
                dd.unmapPage(iova, 0x2000 + 0x100 * i, DmaDirection.BIDIRECTIONAL);
                List<DmaSegment> sg = dd.mapSg(List.of(new SgEntry(BUF + 0x100_0000L, 0x1000),
                        new SgEntry(BUF + 0x200_0000L + 0x80, 0x3000)), DmaDirection.TO_DEVICE);
                for (DmaSegment seg : sg) {
                    assertTrue(master(dev).read(0, seg.dmaAddress(), (int) Math.min(seg.length(), 256)).ok());
                }
                dd.unmapSg(sg, DmaDirection.TO_DEVICE);
            }
            dd.flush();
        }
        IommuDomain user = engine.domainAlloc(DEV_B, DomainType.UNMANAGED);
        engine.attachGroup(user, DEV_B);
        user.map(0x20_1000, BUF + 0x400_1000L, 0x10_0000, Prot.READ | Prot.WRITE); // 256 pages, no block
        assertTrue(master(DEV_B).write(0, 0x20_1000, data).ok());
        assertEquals(0x1000, user.unmap(0x28_0000, 0x1000)); // a hole in the middle: the rest stays mapped
        assertTrue(master(DEV_B).read(0, 0x27_f000, 64).ok());
        assertTrue(master(DEV_B).read(0, 0x28_1000, 64).ok());
        assertFalse(master(DEV_B).read(0, 0x28_0000, 64).ok(), "the hole faults: a fault is no finding");
        user.unmap(0x20_1000, 0x7_f000);
        user.unmap(0x28_1000, 0x8_0000);
        assertFalse(master(DEV_B).read(0, 0x20_1000, 64).ok());
        engine.detachGroup(user, DEV_B);
        user.free();
    }

    // ---- stale translation ----

    @Test
    void aPteClearedBehindTheDriverIsOneStaleFindingNamingTheMap() {
        bootSanitized();
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x4000, BUF + 0x4000, 0x1000, Prot.READ | Prot.WRITE);
        assertTrue(master(DEV_A).read(0, 0x4000, 16).ok(), "fills the IOTLB");
        machine.memory().write64(leaf(IOMMU0, 0, 0x4000), 0); // machine:poke, no invalidation
        // the test IOMMU's model serves the cached entry, checks it against the tables and reports
        // it through the bus port, on this thread, just before the transaction
        DmaResult r = master(DEV_A).read(0, 0x4000, 16);
        assertTrue(r.ok(), "the IOTLB still serves it: " + r.fault());

        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        SanitizerFindingDTO x = f.get(0);
        assertEquals(Sanitizer.STALE, x.kind());
        assertEquals(IOMMU0, x.iommu());
        assertEquals(0, x.stream());
        assertEquals(DEV_A, x.device());
        assertEquals("read", x.access());
        assertEquals(0x4000, x.iova());
        assertEquals("0x800004000 rw", x.cached());
        assertEquals("not mapped (NO_PTE)", x.current());
        assertEquals("CMD INVALIDATE stream 0", x.due());
        assertEquals(d.id(), x.domain());
        assertTrue(x.detail().startsWith("PTE cleared; iommu_map 0x1000 @0x4000 -> 0x800004000 by domain " + d.id()
                + " at "), x.detail());
        assertEquals(1, engine.sanitizer().staleReports());
        assertEquals(2, engine.sanitizer().transactions(), "the fill and the stale hit, both checked");
        assertTrue(engine.trace().stream().anyMatch(t -> t.event().equals("dma_sanitizer")
                && t.text().contains("stale-translation") && t.text().contains("iova=0x0000000000004000")));
    }

    @Test
    void aStaleHitAfterAnUnmapNamesTheUnmapAndASkippedInvalidation() {
        bootSanitized();
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x8000, BUF, 0x1000, Prot.READ);
        assertTrue(master(DEV_A).read(0, 0x8000, 8).ok());
        engine.inject(IOMMU0, PlatformDevice.SKIP_INVALIDATE, 1);
        d.unmap(0x8000, 0x1000);
        assertTrue(master(DEV_A).read(0, 0x8000, 8).ok(), "served from the stale IOTLB entry");
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), "one bug, one finding (not also dma-after-unmap): " + f);
        assertEquals(2, engine.sanitizer().transactions(), "the stale piece went through and was checked too");
        assertEquals(Sanitizer.STALE, f.get(0).kind());
        assertTrue(f.get(0).detail().contains("iommu_unmap 0x1000 @0x8000 by domain " + d.id()), f.get(0).detail());
        assertTrue(f.get(0).detail().contains("no invalidation since"), f.get(0).detail());
        assertTrue(f.get(0).detail().contains("iommu:inject skip-invalidate on this IOMMU: 1 occurrence(s) failed"),
                f.get(0).detail());
    }

    // ---- injected skip-invalidate ----

    @Test
    void injectionAnswersTheDriverNTimesThenNoMore() {
        boot(CoreConfig.defaults());
        PlatformDevice p0 = driver.pdev(IOMMU0);
        PlatformDevice p1 = driver.pdev(IOMMU1);
        assertFalse(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE));
        InjectionDTO set = engine.inject("iommu@100000000", PlatformDevice.SKIP_INVALIDATE, 2);
        assertEquals(new InjectionDTO(IOMMU0, "skip-invalidate", 2, 0), set);
        assertTrue(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE));
        assertFalse(p1.shouldFail(PlatformDevice.SKIP_INVALIDATE), "per IOMMU");
        assertFalse(p0.shouldFail("some-other-point"));
        assertTrue(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE));
        assertFalse(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE), "counted down");
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", 0, 2)), engine.injections());

        engine.inject(IOMMU0, PlatformDevice.SKIP_INVALIDATE, -1);
        for (int i = 0; i < 5; i++) {
            assertTrue(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE), "all");
        }
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", 0, 5)), engine.injectOff(IOMMU0));
        assertFalse(p0.shouldFail(PlatformDevice.SKIP_INVALIDATE));
        assertTrue(engine.injections().isEmpty());

        IommuException bad = assertThrows(IommuException.class, () -> engine.inject(IOMMU0, "skip-everything", 1));
        assertEquals(Errno.EINVAL, bad.errno());
        assertTrue(bad.getMessage().contains("'skip-everything' is not one of skip-invalidate, kzalloc, cb-alloc"), bad.getMessage());
        IommuException none = assertThrows(IommuException.class, () -> engine.inject("iommu@999", "skip-invalidate", 1));
        assertEquals(Errno.ENODEV, none.errno());
        assertTrue(none.getMessage().contains("'iommu@999'"), none.getMessage());
    }

    /**
     * map, DMA (fills the IOTLB), unmap with its invalidation skipped, DMA again: it gets through.
     * A model that checks its IOTLB hits reports the stale hit (stale-translation); without that the
     * bus shows a success on a released IOVA (dma-after-unmap). One bug, one finding either way,
     * naming the IOVA, the stream, the unmap and the skipped invalidation.
     */
    @Test
    void aSkippedInvalidationIsOneFindingAfterUnmapAndDma() {
        bootSanitized();
        DmaDevice dd = dma.device(DEV_A);
        long iova = dd.mapPage(BUF + 0x5000, 0x1000, DmaDirection.TO_DEVICE);
        assertTrue(master(DEV_A).read(0, iova, 16).ok());
        engine.inject(IOMMU0, PlatformDevice.SKIP_INVALIDATE, 1);
        dd.unmapPage(iova, 0x1000, DmaDirection.TO_DEVICE);
        assertTrue(master(DEV_A).read(0, iova, 16).ok(), "the stale IOTLB entry still translates");
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        SanitizerFindingDTO x = f.get(0);
        assertTrue(x.kind().equals(Sanitizer.STALE) || x.kind().equals(Sanitizer.AFTER_UNMAP), x.kind());
        assertEquals(iova, x.iova());
        assertEquals(0, x.stream());
        assertEquals(DEV_A, x.device());
        assertTrue(x.detail().contains("iommu_unmap 0x1000 @0x" + Long.toHexString(iova)), x.detail());
        assertTrue(x.detail().contains("1 occurrence(s) failed"), x.detail());
        engine.injectOff(IOMMU0);
    }

    // ---- DMA after unmap ----

    @Test
    void dmaThroughAnIovaTheDriverDidNotClearIsDmaAfterUnmap() {
        bootSanitized();
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x10_0000, BUF + 0x10_0000, 0x2000, Prot.READ | Prot.WRITE);
        driver.unmapLeavesPtes = true;
        assertEquals(0x1000, d.unmap(0x10_1000, 0x1000));
        assertTrue(master(DEV_A).read(0, 0x10_0000, 16).ok(), "still mapped: no finding");
        assertTrue(master(DEV_A).write(0, 0x10_1000, new byte[8]).ok(), "the table still maps it");
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        SanitizerFindingDTO x = f.get(0);
        assertEquals(Sanitizer.AFTER_UNMAP, x.kind());
        assertEquals("write", x.access());
        assertEquals(0x10_1000, x.iova());
        assertEquals("0x800101000 write", x.cached());
        assertEquals("not mapped in domain " + d.id() + " (DMA)", x.current());
        assertEquals("iotlb_sync of domain " + d.id() + " after the unmap", x.due());
        assertTrue(x.detail().contains("iommu_unmap 0x1000 @0x101000 by domain " + d.id()), x.detail());
    }

    // ---- the flush queue ----

    @Test
    void theFlushQueueWindowIsMeasuredAndClosedWithoutAFinding() {
        boot(CoreConfig.defaults().withStrict(false).withSanitize(true));
        IommuDomain d = engine.domainOf(DEV_A);
        assertEquals(DomainType.DMA_FQ, d.type());
        DmaDevice dd = dma.device(DEV_A);
        long iova = dd.mapPage(BUF + 0x6000, 0x1000, DmaDirection.TO_DEVICE);
        assertTrue(master(DEV_A).read(0, iova, 16).ok());
        dd.unmapPage(iova, 0x1000, DmaDirection.TO_DEVICE);
        FlushQueueDTO open = queue(d.id());
        assertEquals(1, open.open(), String.valueOf(open));
        assertEquals(0, open.windows());
        assertTrue(master(DEV_A).read(0, iova, 16).ok(), "inside the window the IOTLB still serves it");
        assertEquals(1, queue(d.id()).transactions());

        dd.flush();
        FlushQueueDTO closed = queue(d.id());
        assertEquals(0, closed.open());
        assertEquals(1, closed.windows());
        assertTrue(closed.maxNs() > 0 && closed.meanNs() == closed.maxNs(), String.valueOf(closed));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(FQ_TIMEOUT_MS), closed.timeoutNs());
        assertEquals(1, closed.flushes());
        assertEquals(0, closed.lateMaxNs(), "drained long before the timer was due");
        assertEquals(0, closed.overdue());
        assertFalse(master(DEV_A).read(0, iova, 16).ok(), "flushed: it faults");
        assertEquals(0, engine.sanitizer().total(), String.valueOf(findings()));
    }

    @Test
    void aTransactionAfterTheWindowClosedIsAFinding() {
        boot(CoreConfig.defaults().withStrict(false).withSanitize(true));
        IommuDomain d = engine.domainOf(DEV_A);
        DmaDevice dd = dma.device(DEV_A);
        long iova = dd.mapPage(BUF + 0x7000, 0x1000, DmaDirection.BIDIRECTIONAL);
        driver.unmapLeavesPtes = true;
        dd.unmapPage(iova, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertTrue(master(DEV_A).read(0, iova, 16).ok());
        assertEquals(0, engine.sanitizer().total(), "inside the window: exposure, no finding");
        dd.flush();
        assertTrue(master(DEV_A).read(0, iova, 16).ok(), "the driver left the entry in the table");
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        assertEquals(Sanitizer.AFTER_UNMAP, f.get(0).kind());
        assertEquals("flush_iotlb_all of domain " + d.id() + "'s flush queue", f.get(0).due());
        assertTrue(f.get(0).detail().contains("the window is closed"), f.get(0).detail());
        assertEquals(1, queue(d.id()).transactions());
    }

    /**
     * A hit the queue's flush overtook (translated inside the window, reported once the window had
     * closed, the entry no longer cached) is the queue's exposure; the same hit with the entry
     * still cached after the window closed was left stale: a finding. Told to the sanitizer as the
     * bus tells it: the model's report, then the piece.
     */
    @Test
    void aHitTheQueuesFlushOvertookIsExposureOneLeftCachedIsAFinding() {
        boot(CoreConfig.defaults().withStrict(false).withSanitize(true));
        IommuDomain d = engine.domainOf(DEV_A);
        DmaDevice dd = dma.device(DEV_A);
        long pa = BUF + 0x9000;
        long iova = dd.mapPage(pa, 0x1000, DmaDirection.TO_DEVICE);
        assertTrue(master(DEV_A).read(0, iova, 16).ok());
        dd.unmapPage(iova, 0x1000, DmaDirection.TO_DEVICE);
        dd.flush();
        assertEquals(0, queue(d.id()).open(), "the window is closed");
        Sanitizer bus = engine.dmaSanitizer();
        StaleTranslation st = new StaleTranslation(IOMMU0, 0, iova, Access.READ, pa, Prot.READ, 0, 0, "NO_PTE",
                "PTE cleared", "CMD INVALIDATE stream 0");

        bus.staleTranslation(st, () -> false);
        bus.transaction(master(DEV_A), 0, iova, 16, Access.READ, pa, null);
        assertEquals(List.of(), findings(), "translated before the flush's invalidation: inside the window");
        assertEquals(1, queue(d.id()).transactions());

        bus.staleTranslation(st, () -> true);
        bus.transaction(master(DEV_A), 0, iova, 16, Access.READ, pa, null);
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        assertEquals(Sanitizer.STALE, f.get(0).kind());
        assertEquals(1, queue(d.id()).transactions(), "not exposure: the flush left it cached");
    }

    /** In a strict domain a hit an invalidation overtook is no stale translation; its piece is checked as any other. */
    @Test
    void aHitAnInvalidationOvertookIsNotStaleItsPieceIsStillChecked() {
        bootSanitized();
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x30_0000, BUF, 0x1000, Prot.READ);
        assertEquals(0x1000, d.unmap(0x30_0000, 0x1000));
        Sanitizer bus = engine.dmaSanitizer();
        bus.staleTranslation(new StaleTranslation(IOMMU0, 0, 0x30_0000, Access.READ, BUF, Prot.READ, 0, 0, "NO_PTE",
                "PTE cleared", "CMD INVALIDATE stream 0"), () -> false);
        bus.transaction(master(DEV_A), 0, 0x30_0000, 16, Access.READ, BUF, null);
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        assertEquals(Sanitizer.AFTER_UNMAP, f.get(0).kind(), "a DMA that raced its unmap");
    }

    private FlushQueueDTO queue(int domain) {
        return engine.sanitizer().flushQueues().stream().filter(q -> q.domain() == domain).findFirst().orElseThrow();
    }

    // ---- isolation ----

    /** dev-a's IOVA points, behind the driver's back, at a buffer only dev-c's domain maps. */
    @Test
    void reachingMemoryMappedOnlyIntoAnotherDomainIsAnIsolationFinding() {
        bootSanitized();
        IommuDomain a = engine.domainOf(DEV_A);
        IommuDomain c = engine.domainOf(DEV_C);
        long bufA = BUF + 0x20_0000;
        long bufC = BUF + 0x30_0000;
        c.map(0x9000, bufC, 0x1000, Prot.READ | Prot.WRITE);
        a.map(0x9000, bufA, 0x1000, Prot.READ | Prot.WRITE);
        long pte = leaf(IOMMU0, 0, 0x9000);
        long e = machine.memory().read64(pte);
        machine.memory().write64(pte, (e & ~0x0000_ffff_ffff_f000L) | bufC); // never used: no IOTLB entry
        assertTrue(master(DEV_A).write(0, 0x9000, new byte[] {1, 2}).ok());
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), String.valueOf(f));
        SanitizerFindingDTO x = f.get(0);
        assertEquals(Sanitizer.ISOLATION, x.kind());
        assertEquals(DEV_A, x.device());
        assertEquals(a.id(), x.domain());
        assertEquals("0x800300000 write", x.cached());
        assertEquals("mapped to 0x800200000 in domain " + a.id() + "; 0x800300000 is mapped only in domain " + c.id(),
                x.current());
        assertTrue(master(DEV_C).read(0, 0x9000, 2).ok(), "its own buffer: fine");
        assertEquals(1, engine.sanitizer().total());
    }

    // ---- page tables and IOMMU registers ----

    @Test
    void mappingATablePageWarnsAndWritingItIsAFinding() {
        bootSanitized();
        IommuDomain a = engine.domainOf(DEV_A);
        a.map(0x1000, BUF, 0x1000, Prot.READ);
        long table = l2(IOMMU0, 0, 0x1000);
        try (LogCapture log = new LogCapture()) {
            a.map(0x40_0000, table, 0x1000, Prot.READ | Prot.WRITE);
            List<SanitizerFindingDTO> f = findings();
            assertEquals(1, f.size(), String.valueOf(f));
            assertEquals(Sanitizer.MAP_OF_IOMMU_MEMORY, f.get(0).kind());
            assertEquals(0x40_0000, f.get(0).iova());
            assertTrue(f.get(0).current().startsWith("a live page-table page: block 0x" + Long.toHexString(table)
                    + "+0x1000 held by "), f.get(0).current());
            assertEquals(1, log.matching("WARN").stream().filter(l -> l.contains("map-of-iommu-memory")).count(),
                    String.valueOf(log.lines()));
        }
        // the last two entries of the table (IOVAs 0x1fe000, 0x1ff000: unused) get two invalid words
        byte[] junk = new byte[16];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (i << 1);
        }
        assertTrue(master(DEV_A).write(0, 0x40_0ff0, junk).ok());
        List<SanitizerFindingDTO> f = findings();
        assertEquals(2, f.size(), String.valueOf(f));
        assertEquals(Sanitizer.PAGE_TABLE_WRITE, f.get(1).kind());
        assertEquals(DEV_A, f.get(1).device());
        assertEquals(0x40_0ff0, f.get(1).iova());
        assertTrue(master(DEV_A).read(0, 0x40_0000, 16).ok(), "reading it is no finding");
        assertEquals(2, engine.sanitizer().total());

        long regs = machine.deviceTree().node(IOMMU1).orElseThrow().reg().get(0).address();
        a.map(0x50_0000, regs, 0x1000, Prot.READ);
        SanitizerFindingDTO mmio = findings().get(2);
        assertEquals(Sanitizer.MAP_OF_IOMMU_MEMORY, mmio.kind());
        assertEquals(IOMMU1, mmio.iommu());
        assertEquals("the registers of " + IOMMU1 + " (0x100010000+0x1000)", mmio.current());
    }

    // ---- history ----

    @Test
    void clearForgetsFindingsAndCounters() {
        bootSanitized();
        IommuDomain d = engine.domainOf(DEV_A);
        d.map(0x40_0000, l1(IOMMU0, 0), 0x1000, Prot.READ);
        assertEquals(Map.of(Sanitizer.MAP_OF_IOMMU_MEMORY, 1L), engine.sanitizer().findings());
        engine.clearSanitizer();
        SanitizerDTO s = engine.sanitizer();
        assertEquals(0, s.total());
        assertTrue(s.history().isEmpty());
        assertEquals(0, s.transactions());
        assertTrue(s.enabled());
    }
}
