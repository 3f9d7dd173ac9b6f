package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The core's settings changed while it runs ({@link IommuCoreEngine#reconfigure}), one test per row
 * of docs/configuration.md: nothing is torn down; the default domain type and strict mode apply to
 * default domains set up after the change, tracing and the ring's size at once.
 */
class ReconfigureTest {

    private static DeviceDTO dev(IommuCoreEngine e, String path) {
        return e.devices().stream().filter(d -> d.node().equals(path)).findFirst().orElseThrow();
    }

    /** The driver unloaded and loaded again: every master is probed again and gets a new group and default domain. */
    private static void reprobe(Fixture f, TestIommuDriver driver) {
        f.engine.removeDriver(driver);
        f.engine.addDriver(driver);
    }

    @Test
    void aChangeTearsNothingDown() {
        TestIommuDriver drv = new TestIommuDriver();
        Fixture f = Fixture.boot(CoreConfig.defaults(), drv);
        f.engine.domainOf(DEV_A).map(0x10000, BUF, 0x4000, Prot.READ | Prot.WRITE);
        List<GroupDTO> groups = f.engine.groups();
        List<DomainDTO> domains = f.engine.domains();
        f.engine.reconfigure(f.engine.config().withStrict(false).withDefaultDomain(DomainType.IDENTITY));
        assertEquals(groups, f.engine.groups());
        assertEquals(domains, f.engine.domains());
        assertTrue(f.machine.master(DEV_A).orElseThrow().read(0, 0x10000, 16).ok(), "the mapping still translates");
    }

    @Test
    void theDefaultDomainTypeAppliesToDefaultDomainsSetUpAfterTheChange() {
        TestIommuDriver drv = new TestIommuDriver();
        Fixture f = Fixture.boot(CoreConfig.defaults(), drv);
        assertEquals("DMA", dev(f.engine, DEV_A).domainType());
        f.engine.reconfigure(f.engine.config().withDefaultDomain(DomainType.IDENTITY));
        assertEquals("DMA", dev(f.engine, DEV_A).domainType(), "a domain keeps the type it was made with");
        reprobe(f, drv);
        assertEquals("identity", dev(f.engine, DEV_A).domainType(), "a group formed after the change");
    }

    @Test
    void strictAppliesToDefaultDomainsSetUpAfterTheChangeNotToADomainAUserNames() {
        TestIommuDriver drv = new TestIommuDriver();
        Fixture f = Fixture.boot(CoreConfig.defaults(), drv);
        f.engine.reconfigure(f.engine.config().withStrict(false));
        assertEquals("DMA", dev(f.engine, DEV_A).domainType());
        var user = f.engine.domainAlloc(DEV_A, DomainType.DMA);
        assertEquals(DomainType.DMA, user.type(), "iommu:attach DEV dma names its type");
        user.free();
        reprobe(f, drv);
        assertEquals("DMA-FQ", dev(f.engine, DEV_A).domainType(), "lazy: a flush queue, the driver defers flushes");
        f.engine.reconfigure(f.engine.config().withStrict(true));
        assertEquals("DMA-FQ", dev(f.engine, DEV_A).domainType());
        reprobe(f, drv);
        assertEquals("DMA", dev(f.engine, DEV_A).domainType());
    }

    @Test
    void traceOnAndOffAppliesAtOnce() {
        Fixture f = Fixture.boot();
        f.engine.clearTrace();
        var d = f.engine.domainOf(DEV_A);
        f.engine.reconfigure(f.engine.config().withTrace(false));
        d.map(0x10000, BUF, 0x1000, Prot.READ);
        assertTrue(f.engine.trace().isEmpty(), f.engine.trace().toString());
        f.engine.reconfigure(f.engine.config().withTrace(true));
        d.unmap(0x10000, 0x1000);
        assertEquals(List.of("unmap"), f.engine.trace().stream().map(TraceEventDTO::event).toList());
    }

    @Test
    void theRingIsResizedAtOnceKeepingTheNewestEvents() {
        Fixture f = Fixture.boot();
        f.engine.clearTrace();
        var d = f.engine.domainOf(DEV_A);
        for (int i = 0; i < 40; i++) {
            d.map(0x10000 + i * 0x1000L, BUF, 0x1000, Prot.READ);
        }
        f.engine.reconfigure(f.engine.config().withTraceEvents(16));
        assertEquals(16, f.engine.traceRing().capacity());
        List<TraceEventDTO> t = f.engine.trace();
        assertEquals(16, t.size());
        assertTrue(t.get(15).text().startsWith("IOMMU: iova=0x0000000000037000"), t.get(15).text());
        assertTrue(t.get(0).text().startsWith("IOMMU: iova=0x0000000000028000"), t.get(0).text());
        f.engine.reconfigure(f.engine.config().withTraceEvents(64));
        assertEquals(16, f.engine.trace().size(), "grown: what was kept, nothing lost");
        for (int i = 0; i < 40; i++) {
            d.unmap(0x10000 + i * 0x1000L, 0x1000);
        }
        assertEquals(56, f.engine.trace().size());
    }

    @Test
    void optionsThatAreNotSettingsCannotChangeAtRunTime() {
        Fixture f = Fixture.boot();
        CoreConfig c = f.engine.config();
        assertThrows(IllegalArgumentException.class, () -> f.engine.reconfigure(new CoreConfig(c.defaultDomain(), c.strict(),
                4096, c.trace(), c.liveUpdateMs(), c.sanitize(), c.traceEvents())));
    }

    /**
     * Events emitted on other threads while the ring is resized again and again are all kept, in a
     * ring larger than what was emitted: an emitter that stored into the old slots after the copy
     * passed its slot stores the event again (without that, this loses events in most runs).
     */
    @Test
    void resizingLosesNoEventEmittedMeanwhile() throws InterruptedException {
        int perThread = 4_000;
        TraceRing r = new TraceRing(1 << 13, System.nanoTime(), true);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> emitters = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    r.map(id, i, 0, 1);
                }
            });
            th.start();
            emitters.add(th);
        }
        go.countDown();
        int resizes = 0;
        while (emitters.stream().anyMatch(Thread::isAlive)) {
            r.resize(resizes++ % 2 == 0 ? 1 << 14 : 1 << 13);
        }
        for (Thread th : emitters) {
            th.join();
        }
        assertEquals(2 * perThread, r.snapshot().size(), "the ring holds more than was emitted: every event is there ("
                + resizes + " resizes)");
    }
}
