package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.BUF;
import static io.iommulab.core.impl.Fixture.DEV_A;
import static io.iommulab.core.impl.Fixture.DEV_B;
import static io.iommulab.core.impl.Fixture.NIC0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.machine.SimMachine;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testkit.FailNthScenarios;
import io.iommulab.testkit.FailNthSweep;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * fail-nth through the core and the test IOMMU backend (driver, model): every injection point on
 * the path of a probe, an attach of each domain type, a map and an unmap of runs that allocate
 * tables, and a dma_map_sg, failed in turn ({@link FailNthSweep}).
 */
class FailNthTest {

    /** test-iommu registers: ID, then CTRL and TTBR of each stream */
    private static final int ID = 0x000;
    private static final int CTRL = 0x100;
    private static final int TTBR = 0x104;
    private static final int STRIDE = 8;

    private SimMachine machine;
    private IommuCoreEngine engine;
    private DmaApiImpl dma;
    private TestIommuDriver driver;
    private FailNthScenarios scenarios;

    @BeforeEach
    void boot() {
        machine = Fixture.machine();
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        dma = new DmaApiImpl(engine);
        driver = new TestIommuDriver();
        scenarios = new FailNthScenarios(machine, engine, dma, this::registers).streams(this::stream);
    }

    @AfterEach
    void close() {
        dma.close();
        engine.shutdown();
    }

    /** Every stream's CTRL and TTBR of every modelled test IOMMU, when not 0. */
    private Map<String, Long> registers() {
        Map<String, Long> out = new TreeMap<>();
        for (IommuHardware hw : machine.iommuHardware()) {
            if (hw.model() == null) {
                continue;
            }
            MmioWindow w = machine.ioremap(hw.node(), 0);
            int streams = w.readl(ID) & 0xff;
            for (int sid = 0; sid < streams; sid++) {
                int ctrl = w.readl(CTRL + STRIDE * sid);
                int ttbr = w.readl(TTBR + STRIDE * sid);
                if (ctrl != 0) {
                    out.put(hw.node().path() + " CTRL[" + sid + "]", ctrl & 0xffff_ffffL);
                }
                if (ttbr != 0) {
                    out.put(hw.node().path() + " TTBR[" + sid + "]", ttbr & 0xffff_ffffL);
                }
            }
        }
        return out;
    }

    /** CTRL and TTBR of one stream (none of an IOMMU without hardware) */
    private Map<String, Long> stream(String iommu, int sid) {
        if (machine.iommuHardware().stream().noneMatch(h -> h.node().path().equals(iommu) && h.model() != null)) {
            return Map.of();
        }
        MmioWindow w = machine.ioremap(machine.deviceTree().node(iommu).orElseThrow(), 0);
        return Map.of(iommu + " CTRL[" + sid + "]", w.readl(CTRL + STRIDE * sid) & 0xffff_ffffL,
                iommu + " TTBR[" + sid + "]", w.readl(TTBR + STRIDE * sid) & 0xffff_ffffL);
    }

    @Test
    void probe() {
        FailNthSweep.Result r = FailNthSweep.sweep(machine.failNth(),
                scenarios.probe("probe test-iommu", () -> engine.addDriver(driver), () -> engine.removeDriver(driver)));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ, FailNth.BUSY_STUCK,
                FailNth.PAGE_ALLOC, FailNth.DOMAIN_ALLOC)), r.line());
    }

    @Test
    void attachEveryDomainType() {
        engine.addDriver(driver);
        for (String master : List.of(DEV_A, DEV_B, NIC0)) {
            for (DomainType t : DomainType.values()) {
                FailNthSweep.Result r = FailNthSweep.sweep(machine.failNth(), scenarios.attach(master, t));
                assertTrue(r.points() >= 1, r.line());
                assertEquals(1, r.byPoint().get(FailNth.DOMAIN_ALLOC), r.line());
            }
        }
    }

    @Test
    void mapAndUnmapRunsThatAllocateTables() {
        engine.addDriver(driver);
        // 128 KiB across the 2 MiB boundary of two L2 tables, on a master behind two test IOMMUs
        try (FailNthScenarios.InFreshDomainScenario map = scenarios.map(DEV_B, 0x1F_0000, BUF, 0x2_0000)) {
            FailNthSweep.Result r = FailNthSweep.sweep(machine.failNth(), map);
            assertTrue(r.byPoint().get(FailNth.PAGE_ALLOC) >= 2, r.line());
        }
        try (FailNthScenarios.InFreshDomainScenario unmap = scenarios.unmap(DEV_B, 0x1F_0000, BUF, 0x2_0000)) {
            FailNthSweep.sweep(machine.failNth(), unmap);
        }
    }

    /**
     * A live update of the test IOMMU's driver with a DMA-API mapping and a user domain mapping a
     * page: every point the takeover asks (the switch's attach included, whose invalidation may
     * time out) fails in turn, the core tries again, and every mapping is as before.
     */
    @Test
    void liveUpdate() {
        engine.addDriver(driver, "v1");
        IommuDriver[] current = {driver};
        long dmaIova = dma.device(DEV_A).mapPage(BUF, 0x2000, DmaDirection.BIDIRECTIONAL);
        IommuDomain user = engine.domainAlloc(DEV_B, DomainType.UNMANAGED);
        engine.attachGroup(user, DEV_B);
        user.map(0x10_0000, BUF + 0x1_0000, 0x1000, Prot.READ | Prot.WRITE);
        int[] version = {1};
        FailNthSweep.Result r = FailNthSweep.sweep(machine.failNth(), scenarios.liveUpdate("live update of test-iommu", () -> {
            long mark = engine.liveUpdateMark();
            engine.removeDriver(current[0], true);
            current[0] = new TestIommuDriver();
            engine.addDriver(current[0], "v" + ++version[0]);
            return engine.liveUpdatesSince(mark);
        }, List.of(new FailNthScenarios.Watch("dma", engine.domainOf(DEV_A), dmaIova - 0x1000, 0x4000),
                new FailNthScenarios.Watch("user", user, 0xFF000, 0x3000))));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.REQUEST_IRQ, FailNth.BUSY_STUCK)), r.line());
        assertEquals(r.points(), r.degraded(), "every takeover that failed was tried again and adopted: " + r.line());
    }

    @Test
    void dmaMapSg() {
        engine.addDriver(driver);
        List<SgEntry> sg = List.of(new SgEntry(BUF + 0x100, 0x2f00), new SgEntry(BUF + 0x1_0000, 0x1000),
                new SgEntry(BUF + 0x4_0000, 0x2_0000));
        try (FailNthScenarios.DmaSgScenario s = scenarios.mapSg(DEV_A, sg)) {
            FailNthSweep.Result r = FailNthSweep.sweep(machine.failNth(), s);
            assertTrue(r.byPoint().containsKey(FailNth.PAGE_ALLOC), r.line());
        }
    }
}
