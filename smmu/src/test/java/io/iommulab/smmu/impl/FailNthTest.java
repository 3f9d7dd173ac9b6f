package io.iommulab.smmu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.machine.FailNth;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.FailNthScenarios;
import io.iommulab.testkit.FailNthSweep;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * fail-nth through the arm-smmu driver on the SMMU test board: every injection point on the path
 * of a probe, an attach of each domain type, a map and an unmap of a run across two leaf tables,
 * and a dma_map_sg, failed in turn ({@link FailNthSweep}); the state compared includes sCR0, every
 * SMR and S2CR and the configuration of every bank in use ({@link SmmuRegisters#readUsedBanks}). A TLB sync that never
 * completes is logged and the call goes on, as upstream; a context interrupt arm-smmu could not
 * request leaves the domain without one, as upstream (its attach succeeds).
 */
class FailNthTest {

    static final List<String> SMMUS = List.of("/soc/iommu@500000000", "/soc/iommu@510000000", "/soc/iommu@520000000",
            "/soc/iommu@530000000");
    static final String GPU = "/soc/gpu@601000000";
    static final String VIDEO = "/soc/video@610000000";
    /** shares its stream with display-aux: a group of two */
    static final String DISPLAY = "/soc/display@602000000";

    private java.util.function.LongSupplier clock;
    private SmmuRig rig;
    private DmaApiImpl dma;
    private FailNthScenarios scenarios;

    @BeforeEach
    void boot() {
        // a clock that runs 100 ms per read: a sync that never completes times out after a few polls
        AtomicLong now = new AtomicLong();
        clock = () -> now.addAndGet(100_000_000L);
        rig = SmmuRig.boot("smmu", CoreConfig.defaults(), clock, true);
        dma = new DmaApiImpl(rig.engine);
        scenarios = new FailNthScenarios(rig.machine, rig.engine, dma, this::registers)
                .degrade(FailNth.REQUEST_IRQ, "irq ").streams(this::stream);
    }

    @AfterEach
    void close() {
        dma.close();
        rig.engine.shutdown();
    }

    private Map<String, Integer> registers() {
        Map<String, Integer> out = new TreeMap<>();
        SmmuRegisters.readUsedBanks(rig, SMMUS).values().forEach((smmu, regs) -> regs.forEach((off, v) -> {
            if (v != 0) {
                out.put(smmu + " +0x" + Long.toHexString(off), v);
            }
        }));
        return out;
    }

    /**
     * The stream map entries that match stream {@code sid}: valid SMRs whose ID matches it under
     * their mask, with their S2CRs; under stream indexing, its S2CR.
     */
    private Map<String, Integer> stream(String smmu, int sid) {
        Map<String, Integer> out = new TreeMap<>();
        if (!SMMUS.contains(smmu)) {
            return out;
        }
        int id0 = rig.gr0(smmu, SmmuRegs.GR0_ID0);
        if ((id0 & SmmuRegs.ID0_SMS) == 0) {
            out.put(smmu + " S2CR[" + sid + "]", rig.gr0(smmu, SmmuRegs.s2cr(sid)));
            return out;
        }
        for (int i = 0; i < (id0 & 0xff); i++) {
            int smr = rig.gr0(smmu, SmmuRegs.smr(i));
            int mask = (smr >>> 16) & 0x7fff;
            if ((smr & SmmuRegs.SMR_VALID) != 0 && ((smr ^ sid) & 0xffff & ~mask) == 0) {
                out.put(smmu + " SMR[" + i + "]", smr);
                out.put(smmu + " S2CR[" + i + "]", rig.gr0(smmu, SmmuRegs.s2cr(i)));
            }
        }
        return out;
    }

    @Test
    void probe() {
        rig.engine.removeDriver(rig.registered);
        FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), scenarios.probe("probe arm-smmu",
                () -> rig.engine.addDriver(rig.registered), () -> rig.engine.removeDriver(rig.registered)));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ, FailNth.SYNC_STUCK,
                FailNth.CB_ALLOC, FailNth.PAGE_ALLOC, FailNth.DOMAIN_ALLOC)), r.line());
    }

    @Test
    void attachEveryDomainType() {
        for (String master : List.of(GPU, VIDEO, DISPLAY)) {
            for (DomainType t : DomainType.values()) {
                FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), scenarios.attach(master, t));
                assertTrue(r.byPoint().containsKey(FailNth.DOMAIN_ALLOC), r.line());
            }
        }
    }

    @Test
    void mapAndUnmapARunAcrossTwoLeafTables() {
        long pa = rig.ram() + 0x100_0000;
        // 16 KiB granule, 2048 entries to a leaf table: 32 MiB per leaf; 128 KiB across the first boundary
        long iova = (32L << 20) - 0x1_0000;
        try (FailNthScenarios.InFreshDomainScenario map = scenarios.map(GPU, iova, pa, 0x2_0000)) {
            FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), map);
            assertTrue(r.byPoint().getOrDefault(FailNth.PAGE_ALLOC, 0) >= 1, r.line());
        }
        try (FailNthScenarios.InFreshDomainScenario unmap = scenarios.unmap(GPU, iova, pa, 0x2_0000)) {
            FailNthSweep.sweep(rig.machine.failNth(), unmap);
        }
    }

    /**
     * A live update of the driver with a DMA-API mapping in the gpu's default domain and a user
     * domain of the video master mapping a page: every point the takeover asks fails in turn, the
     * core tries again, and the state, every mapping and bank with it, is as before.
     */
    @Test
    void liveUpdate() {
        IommuDriver[] current = {rig.registered};
        long pa = rig.ram() + 0x300_0000;
        long dmaIova = dma.device(GPU).mapPage(pa, 0x8000, DmaDirection.BIDIRECTIONAL);
        IommuDomain user = rig.engine.domainAlloc(VIDEO, DomainType.UNMANAGED);
        rig.engine.attachGroup(user, VIDEO);
        user.map(0x10_0000, pa + 0x1_0000, 0x4000, Prot.READ | Prot.WRITE);
        int[] version = {1};
        FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), scenarios.liveUpdate("live update of arm-smmu", () -> {
            long mark = rig.engine.liveUpdateMark();
            rig.engine.removeDriver(current[0], true);
            current[0] = ArmSmmuDriver.create(SmmuRig.FORMATS, clock, true);
            rig.engine.addDriver(current[0], "v" + ++version[0]);
            return rig.engine.liveUpdatesSince(mark);
        }, List.of(new FailNthScenarios.Watch("dma", rig.engine.domainOf(GPU), dmaIova - 0x4000, 0x1_0000),
                new FailNthScenarios.Watch("user", user, 0xFC000, 0xC000))));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ)), r.line());
        assertEquals(r.points(), r.degraded(), "every takeover that failed was tried again and adopted: " + r.line());
    }

    @Test
    void dmaMapSg() {
        long pa = rig.ram() + 0x200_0000;
        List<SgEntry> sg = List.of(new SgEntry(pa + 0x100, 0x7f00), new SgEntry(pa + 0x1_0000, 0x4000),
                new SgEntry(pa + 0x10_0000, 0x4_0000));
        try (FailNthScenarios.DmaSgScenario s = scenarios.mapSg(GPU, sg)) {
            FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), s);
            assertTrue(r.byPoint().containsKey(FailNth.PAGE_ALLOC), r.line());
        }
    }
}
