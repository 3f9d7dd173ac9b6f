package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testkit.BackgroundCall;
import io.iommulab.testkit.DelegatingDriver;
import io.iommulab.testkit.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A driver's next version takes over running IOMMUs (docs/live-update.md), on the testkit board
 * with the test IOMMU: DMA never stops, nothing is reset, the core's domains, groups and mappings
 * stay, and the new code serves them; with no record the hardware is read; untrustworthy hardware
 * and a new version that never comes end as an unload.
 */
class LiveUpdateTest {

    private final SimMachine machine = Fixture.machine();
    private final long baseline = machine.pages().pagesInUse();
    private IommuCoreEngine engine;
    private DmaApiImpl dma;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    @AfterEach
    void tearDown() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (dma != null) {
            dma.close();
        }
    }

    private void boot(CoreConfig config, IommuDriver driver) {
        engine = new IommuCoreEngine(machine, config);
        engine.addDriver(driver, "test-iommu 1");
        dma = new DmaApiImpl(engine, 10, TimeUnit.MILLISECONDS);
    }

    /** DMA through a mapping of its own, in a loop, until stopped: every transfer must land. */
    private void dmaLoop(String device, int slot, AtomicLong ok, List<String> bad) {
        Thread t = new Thread(() -> {
            DmaMaster m = machine.master(device).orElseThrow();
            DmaDevice dev = dma.device(device);
            long buf = BUF + 0x10_0000L * slot;
            long iova = dev.mapPage(buf, 0x1000, DmaDirection.BIDIRECTIONAL);
            byte[] data = new byte[] {(byte) slot, 1, 2, 3};
            while (!stop.get()) {
                DmaResult w = m.write(0, iova, data);
                if (!w.ok()) {
                    bad.add(device + ": " + w.fault());
                    return;
                }
                byte[] back = new byte[4];
                machine.memory().read(buf, back, 0, 4);
                if (back[0] != (byte) slot) {
                    bad.add(device + ": data landed elsewhere");
                    return;
                }
                ok.incrementAndGet();
            }
            dev.unmapPage(iova, 0x1000, DmaDirection.BIDIRECTIONAL);
        }, "dma " + device);
        t.start();
        threads.add(t);
    }

    /** dma_map_page + dma_unmap_page in a loop: software calls during the swap must wait, never fail. */
    private void mapLoop(String device, AtomicLong ok, List<String> bad) {
        Thread t = new Thread(() -> {
            DmaDevice dev = dma.device(device);
            while (!stop.get()) {
                try {
                    long iova = dev.mapPage(BUF + 0x200_0000L, 0x4000, DmaDirection.TO_DEVICE);
                    dev.unmapPage(iova, 0x4000, DmaDirection.TO_DEVICE);
                    ok.incrementAndGet();
                } catch (RuntimeException e) {
                    bad.add(device + " map: " + e.getMessage());
                    return;
                }
            }
        }, "map " + device);
        t.start();
        threads.add(t);
    }

    private List<String> bad = List.of();

    private void await(AtomicLong counter, long more) throws InterruptedException {
        long target = counter.get() + more;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.get() < target && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(counter.get() >= target, "progress " + counter.get() + " < " + target + "; " + bad);
    }

    @Test
    void theNextVersionTakesOverWithoutStoppingDma() throws Exception {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults(), v1);
        // an unmanaged domain with an iommu_map mapping, and a fault handler, on dev-b's group
        IommuDomain user = engine.domainAlloc(DEV_B, DomainType.UNMANAGED);
        engine.attachGroup(user, DEV_B);
        user.map(0x40_0000, BUF + 0x300_0000L, 0x1000, Prot.READ | Prot.WRITE);
        List<Long> handled = new CopyOnWriteArrayList<>();
        user.setFaultHandler((dom, fault) -> handled.add(fault.iova()));
        List<DomainDTO> domainsBefore = engine.domains();
        List<GroupDTO> groupsBefore = engine.groups();

        AtomicLong transfers = new AtomicLong();
        AtomicLong maps = new AtomicLong();
        List<String> bad = new CopyOnWriteArrayList<>();
        this.bad = bad;
        dmaLoop(DEV_A, 1, transfers, bad);
        dmaLoop(NIC0, 2, transfers, bad);
        mapLoop(DEV_C, maps, bad);
        await(transfers, 100);

        engine.removeDriver(v1, true);
        assertTrue(engine.iommus().get(0).reason().startsWith("live update"), engine.iommus().toString());
        await(transfers, 100); // the old code keeps serving
        await(maps, 20);
        TestIommuDriver v2 = new TestIommuDriver();
        engine.addDriver(v2, "test-iommu 2");
        await(transfers, 100);
        await(maps, 20);
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(List.of(), bad, "no transfer faulted, was refused or landed elsewhere; no call failed");

        List<LiveUpdateDTO> updates = engine.liveUpdates();
        assertEquals(1, updates.size(), updates.toString());
        LiveUpdateDTO u = updates.get(0);
        assertTrue(u.adopted(), u.toString());
        assertEquals("test-iommu 1", u.from());
        assertEquals("test-iommu 2", u.to());
        assertEquals(List.of(IOMMU0, IOMMU1), u.iommus());
        assertEquals(2, u.fromRecord(), "both instances from their records");
        assertEquals(0, u.fromHardware());
        assertEquals(domainsBefore.size(), u.domains());
        assertEquals(0, u.mismatches());
        assertTrue(u.blackoutNs() > 0);
        LiveUpdatePhases phases = engine.liveUpdatePhases();
        assertEquals(u.blackoutNs(), phases.blackoutNs(), "pause, attach and resume are the blackout: " + phases);
        assertTrue(phases.preserveNs() > 0 && phases.restoreNs() > 0 && phases.domainsNs() > 0 && phases.attachNs() > 0,
                phases.toString());
        assertEquals(domainsBefore, engine.domains(), "the same domains, ids and types");
        assertEquals(groupsBefore, engine.groups(), "the same groups");
        assertTrue(engine.iommus().stream().allMatch(n -> n.state().equals("disabled") || "test-iommu 2".equals(n.origin())),
                engine.iommus().toString());
        // the new code serves the domains: a map through it, DMA, a fault to the same handler
        user.map(0x50_0000, BUF + 0x310_0000L, 0x1000, Prot.READ);
        assertEquals(BUF + 0x310_0000L, user.iovaToPhys(0x50_0000));
        DmaMaster b = machine.master(DEV_B).orElseThrow();
        assertTrue(b.write(0, 0x40_0000, new byte[] {9}).ok());
        assertFalse(b.read(0, 0x60_0000, 4).ok());
        assertEquals(List.of(0x60_0000L), handled, "the fault reached the domain's handler through the new driver");
        assertSame(engine.domainOf(DEV_B), user);

        user.unmap(0x40_0000, 0x1000);
        user.unmap(0x50_0000, 0x1000);
        engine.detachGroup(user, DEV_B);
        user.free();
        engine.removeDriver(v2);
        assertEquals(baseline, machine.pages().pagesInUse(), "every table page back: " + machine.pages().pagesByOwner());
    }

    @Test
    void theNewCodePreparesWhileTheOldCodeStillMaps() throws Exception {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults(), v1);
        IommuDomain user = engine.domainAlloc(DEV_B, DomainType.UNMANAGED);
        engine.attachGroup(user, DEV_B);
        DmaDevice devA = dma.device(DEV_A);
        engine.removeDriver(v1, true);
        List<Long> madeMeanwhile = new CopyOnWriteArrayList<>();
        IommuDriver v2 = new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public DomainOps restoreDomain(DomainHandover domain) {
                if (madeMeanwhile.isEmpty()) {
                    // the last step before the pause: an iommu_map and a dma_map_page on another
                    // thread must complete now, on the old code (paused, they would wait for this)
                    CompletableFuture<Long> map = CompletableFuture.supplyAsync(() -> {
                        user.map(0x70_0000, BUF + 0x320_0000L, 0x1000, Prot.READ);
                        return devA.mapPage(BUF + 0x330_0000L, 0x1000, DmaDirection.TO_DEVICE);
                    });
                    try {
                        madeMeanwhile.add(map.get(10, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        throw new IllegalStateException("a map while the new code restores its domains: " + e, e);
                    }
                }
                return base.restoreDomain(domain);
            }
        };
        engine.addDriver(v2, "v2");
        LiveUpdateDTO u = engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.toString());
        assertEquals(1, madeMeanwhile.size());
        assertEquals(0, u.mismatches());
        assertTrue(u.verified() >= 1, "the DMA-API page mapped meanwhile is verified: " + u);
        LiveUpdatePhases phases = engine.liveUpdatePhases();
        assertTrue(phases.prepareNs() > 0 && phases.prepareNs() + phases.blackoutNs() == phases.preserveNs()
                + phases.restoreNs() + phases.mastersNs() + phases.domainsNs() + phases.pauseNs() + phases.attachNs()
                + phases.resumeNs(), phases.toString());
        // what the old code mapped during the preparation is there on the new code
        assertSame(v2, ((DomainImpl) user).driverService());
        assertEquals(BUF + 0x320_0000L, user.iovaToPhys(0x70_0000));
        assertTrue(machine.master(DEV_B).orElseThrow().read(0, 0x70_0000, 4).ok());
        assertTrue(machine.master(DEV_A).orElseThrow().read(0, madeMeanwhile.get(0), 4).ok());
        user.unmap(0x70_0000, 0x1000);
        devA.unmapPage(madeMeanwhile.get(0), 0x1000, DmaDirection.TO_DEVICE);
        engine.detachGroup(user, DEV_B);
        user.free();
    }

    @Test
    void withoutARecordTheHardwareIsRead() {
        TestIommuDriver v1 = new TestIommuDriver();
        IommuDriver noRecord = new DelegatingDriver(v1) {
            @Override
            public PreservedIommu preserve(IommuDevice iommu) {
                base.preserve(iommu); // lets go of the interrupt
                return null;
            }
        };
        boot(CoreConfig.defaults(), noRecord);
        long iova = dma.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE);
        engine.removeDriver(noRecord, true);
        engine.addDriver(new TestIommuDriver(), "v2");
        LiveUpdateDTO u = engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.toString());
        assertEquals(0, u.fromRecord());
        assertEquals(2, u.fromHardware(), "both instances read from the hardware");
        assertTrue(u.verified() >= 1, u.toString());
        assertTrue(machine.master(DEV_A).orElseThrow().read(0, iova, 4).ok());
    }

    @Test
    void anInterruptHandlerTheOldCodeStillHoldsIsFreedWithTheInstance() {
        IommuDriver release = new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public PreservedIommu preserve(IommuDevice iommu) {
                return null; // predates the live update: lets go of nothing
            }
        };
        boot(CoreConfig.defaults(), release);
        // both IOMMUs' fault handlers share the line
        IrqLineImpl line = (IrqLineImpl) machine.irq(machine.deviceTree().node(IOMMU0).orElseThrow(), 0);
        List<Object> before = line.actions().stream().map(a -> (Object) a.handler()).toList();
        assertEquals(2, before.size(), line.actions().toString());
        try (LogCapture log = new LogCapture()) {
            engine.removeDriver(release, true);
            engine.addDriver(new TestIommuDriver(), "v2");
            assertTrue(engine.liveUpdates().get(0).adopted(), engine.liveUpdates().toString());
            assertEquals(2, line.actions().size(), "the new code's handlers only: " + line.actions());
            assertTrue(line.actions().stream().noneMatch(a -> before.contains(a.handler())), "none of the old code's: "
                    + line.actions());
            assertEquals(2, log.matching("WARN").stream().filter(l -> l.contains("the old test-iommu still had 1 interrupt"
                    + " handler(s) registered after handing it over; freed: ")).count(), log.lines().toString());
        }
    }

    @Test
    void aRecordOfAnUnknownVersionIsNotTrusted() {
        TestIommuDriver v1 = new TestIommuDriver();
        IommuDriver future = new DelegatingDriver(v1) {
            @Override
            public PreservedIommu preserve(IommuDevice iommu) {
                PreservedIommu r = base.preserve(iommu);
                return new PreservedIommu(r.node(), r.driver(), r.schema(), 99, r.ias(), r.oas(), r.streams(), List.of());
            }
        };
        boot(CoreConfig.defaults(), future);
        long iova = dma.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE);
        engine.removeDriver(future, true);
        engine.addDriver(new TestIommuDriver(), "v2");
        LiveUpdateDTO u = engine.liveUpdates().get(0);
        assertTrue(u.adopted(), u.toString());
        assertEquals(0, u.fromRecord(), "a record handed over but not used: " + u);
        assertEquals(2, u.fromHardware(), "both instances read from the hardware");
        assertTrue(machine.master(DEV_A).orElseThrow().read(0, iova, 4).ok());
    }

    /**
     * A takeover that fails for want of memory changes nothing and is tried again: with the next
     * two kzallocs of iommu0's driver failing (its masters' configurations, at of_xlate), two
     * attempts fail, the third adopts, and the DMA-API mapping translates as before; with three,
     * the third failure is final and the state is unloaded and probed afresh.
     */
    @Test
    void aTakeoverThatFailsForWantOfMemoryIsTriedAgainWithTheStateUntouched() {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults(), v1);
        long iova = dma.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.BIDIRECTIONAL);
        int domain = engine.domainOf(DEV_A).id();
        engine.removeDriver(v1, true);
        engine.inject(IOMMU0, "kzalloc", 2);
        TestIommuDriver v2 = new TestIommuDriver();
        engine.addDriver(v2, "v2");
        List<LiveUpdateDTO> made = engine.liveUpdates();
        assertEquals(3, made.size(), made.toString());
        assertFalse(made.get(0).adopted());
        assertTrue(made.get(0).reason().startsWith("ENOMEM: " + IOMMU0 + ": no memory for the master configuration of "),
                made.get(0).reason());
        assertFalse(made.get(1).adopted());
        assertTrue(made.get(2).adopted(), made.get(2).toString());
        assertEquals(domain, engine.domainOf(DEV_A).id(), "the domain is the one before the update");
        assertEquals(BUF, engine.domainOf(DEV_A).iovaToPhys(iova));
        assertTrue(machine.master(DEV_A).orElseThrow().read(0, iova, 4).ok(), "DMA goes on through the mapping");

        engine.removeDriver(v2, true);
        engine.inject(IOMMU0, "kzalloc", 3);
        engine.addDriver(new TestIommuDriver(), "v3");
        List<LiveUpdateDTO> again = engine.liveUpdates().subList(3, engine.liveUpdates().size());
        assertEquals(3, again.size(), again.toString());
        assertTrue(again.stream().noneMatch(LiveUpdateDTO::adopted), again.toString());
        assertEquals("probed", engine.device(DEV_A).state(), "probed again by the new driver");
        assertNotEquals(domain, engine.domainOf(DEV_A).id(), "the unload freed the domain");
        assertEquals(0, engine.domainOf(DEV_A).iovaToPhys(iova), "and its mapping");
    }

    @Test
    void untrustworthyHardwareFallsBackToAnUnloadAndAFreshProbe() {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults(), v1);
        dma.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE);
        int groupsBefore = engine.groups().size();
        engine.removeDriver(v1, true);
        // behind the driver's back: stream 0 of iommu0 translates with no valid table
        MmioWindow w = machine.ioremap(machine.deviceTree().node(IOMMU0).orElseThrow(), 0);
        w.writel(0x104, 0);
        engine.addDriver(new TestIommuDriver(), "v2");
        LiveUpdateDTO u = engine.liveUpdates().get(0);
        assertFalse(u.adopted());
        assertTrue(u.reason().contains("stream 0") && u.reason().contains("no valid TTBR"), u.reason());
        assertEquals("probed", engine.device(DEV_A).state(), "probed again by the new driver");
        assertEquals(groupsBefore, engine.groups().size());
    }

    @Test
    void aVersionThatNeverComesEndsAsAnUnload() throws Exception {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults().withLiveUpdateMs(100), v1);
        dma.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE);
        engine.removeDriver(v1, true);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!"deferred".equals(engine.device(DEV_A).state()) && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals("deferred", engine.device(DEV_A).state());
        assertTrue(engine.domains().isEmpty());
        assertEquals(baseline, machine.pages().pagesInUse());
    }

    @Test
    void attachDuringTheSwapWaitsAndRunsOnTheNewCode() throws Exception {
        TestIommuDriver v1 = new TestIommuDriver();
        boot(CoreConfig.defaults(), v1);
        engine.removeDriver(v1, true);
        assertEquals(0, engine.waitingCalls());
        BackgroundCall<IommuDomain> call = BackgroundCall.start("attach", () -> {
            IommuDomain d = engine.domainAlloc(DEV_B, DomainType.UNMANAGED);
            engine.attachGroup(d, DEV_B);
            return d;
        });
        while (engine.waitingCalls() == 0 && call.running()) {
            Thread.onSpinWait();
        }
        assertEquals(1, engine.waitingCalls(), "the domain allocation waits for the next version");
        TestIommuDriver v2 = new TestIommuDriver();
        engine.addDriver(v2, "v2");
        IommuDomain d = call.join();
        assertEquals(0, engine.waitingCalls());
        assertSame(v2, ((DomainImpl) d).driverService());
        LiveUpdateDTO u = engine.liveUpdates().get(0);
        assertNull(u.reason());
        assertEquals(1, u.callsWaited(), u.toString());
        assertTrue(u.longestWaitNs() > 0, u.toString());
    }
}
