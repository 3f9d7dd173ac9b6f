package io.iommulab.dart.impl;

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
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.testkit.FailNthScenarios;
import io.iommulab.testkit.FailNthSweep;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fail-nth through the apple-dart driver on each built-in variant (t8103, t6000, t8110 on the
 * t8112 board): every injection point on the path of a probe, an attach of each domain type, a
 * map and an unmap of a run across two leaf tables, and a dma_map_sg, failed in turn
 * ({@link FailNthSweep}); the state compared includes every stream's TCR and TTBRs.
 */
class FailNthTest {

    /** A board, its variant and the masters the scenarios use (the dwc3 runs on two DARTs). */
    record Board(String name, DartHw variant, String dwc3, String admac, List<DomainType> types) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Board> boards() {
        List<DomainType> all = List.of(DomainType.values());
        return List.of(
                new Board("t8103", DartVariants.T8103, "/soc/usb@382280000", "/soc/dma-controller@238200000", all),
                new Board("t6000", DartVariants.T6000, "/soc/usb@702280000", "/soc/dma-controller@39b400000", all),
                new Board("t8112", DartVariants.T8110, "/soc/usb@382280000", "/soc/dma-controller@238200000", all));
    }

    private DartRig rig;
    private DmaApiImpl dma;

    @AfterEach
    void close() {
        if (dma != null) {
            dma.close();
        }
        if (rig != null) {
            rig.engine.shutdown();
        }
    }

    /** Every stream's TCR and TTBRs of every modelled DART of these variants, when not 0. */
    static Map<String, Long> registers(Machine machine, List<DartHw> variants) {
        Map<String, Long> out = new TreeMap<>();
        for (IommuHardware hw : machine.iommuHardware()) {
            DartHw v = variants.stream().filter(x -> hw.node().compatible().stream().anyMatch(x.identity().compatibles()::contains))
                    .findFirst().orElse(null);
            if (v == null || hw.model() == null) {
                continue;
            }
            MmioWindow w = machine.ioremap(hw.node(), 0);
            for (int sid = 0; sid < v.sizes().maxSidCount(); sid++) {
                put(out, hw.node().path() + " TCR[" + sid + "]", w.readl(v.tcr().offset(sid)));
                for (int i = 0; i < v.ttbr().count(); i++) {
                    put(out, hw.node().path() + " TTBR[" + sid + "][" + i + "]", w.readl(v.ttbr().offset(sid, i)));
                }
            }
        }
        return out;
    }

    private static void put(Map<String, Long> out, String name, int value) {
        if (value != 0) {
            out.put(name, value & 0xffff_ffffL);
        }
    }

    /** TCR and TTBRs of one stream of a DART of this variant (none of another IOMMU) */
    static Map<String, Long> stream(Machine machine, DartHw v, String iommu, int sid) {
        IommuHardware hw = machine.iommuHardware().stream().filter(h -> h.node().path().equals(iommu)).findFirst().orElseThrow();
        if (hw.model() == null || hw.node().compatible().stream().noneMatch(v.identity().compatibles()::contains)) {
            return Map.of();
        }
        MmioWindow w = machine.ioremap(hw.node(), 0);
        Map<String, Long> out = new TreeMap<>();
        out.put(iommu + " TCR[" + sid + "]", w.readl(v.tcr().offset(sid)) & 0xffff_ffffL);
        for (int i = 0; i < v.ttbr().count(); i++) {
            out.put(iommu + " TTBR[" + sid + "][" + i + "]", w.readl(v.ttbr().offset(sid, i)) & 0xffff_ffffL);
        }
        return out;
    }

    private FailNthScenarios boot(Board b) {
        rig = DartRig.bootWithoutDrivers(b.name(), CoreConfig.defaults());
        dma = new DmaApiImpl(rig.engine);
        return new FailNthScenarios(rig.machine, rig.engine, dma, () -> registers(rig.machine, List.of(b.variant())))
                .streams((iommu, sid) -> stream(rig.machine, b.variant(), iommu, sid));
    }

    @ParameterizedTest
    @MethodSource("boards")
    void probe(Board b) {
        FailNthScenarios sc = boot(b);
        AppleDartDriver d = AppleDartDriver.create(b.variant(), DartRig.FORMATS);
        FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(),
                sc.probe("probe apple-dart " + b.name(), () -> rig.engine.addDriver(d), () -> rig.engine.removeDriver(d)));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ, FailNth.BUSY_STUCK,
                FailNth.PAGE_ALLOC, FailNth.DOMAIN_ALLOC)), r.line());
    }

    @ParameterizedTest
    @MethodSource("boards")
    void attachEveryDomainType(Board b) {
        FailNthScenarios sc = boot(b);
        rig.add(AppleDartDriver.create(b.variant(), DartRig.FORMATS));
        for (String master : List.of(b.dwc3(), b.admac())) {
            for (DomainType t : b.types()) {
                FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), sc.attach(master, t));
                assertTrue(r.byPoint().containsKey(FailNth.DOMAIN_ALLOC), r.line());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("boards")
    void mapAndUnmapARunAcrossTwoLeafTables(Board b) {
        FailNthScenarios sc = boot(b);
        rig.add(AppleDartDriver.create(b.variant(), DartRig.FORMATS));
        long pa = rig.ram() + 0x100_0000;
        // 16 KiB pages, 2048 to a leaf table: 32 MiB per leaf; 128 KiB across the first boundary
        long iova = (32L << 20) - 0x1_0000;
        try (FailNthScenarios.InFreshDomainScenario map = sc.map(b.dwc3(), iova, pa, 0x2_0000)) {
            FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), map);
            assertTrue(r.byPoint().getOrDefault(FailNth.PAGE_ALLOC, 0) >= 1, r.line());
        }
        try (FailNthScenarios.InFreshDomainScenario unmap = sc.unmap(b.dwc3(), iova, pa, 0x2_0000)) {
            FailNthSweep.sweep(rig.machine.failNth(), unmap);
        }
    }

    /**
     * A live update of the driver (the old one leaving, the next one taking over) with a DMA-API
     * mapping in the dwc3's default domain and a user domain of the audio DMA mapping a page: every
     * point the takeover asks fails in turn; the core tries a takeover that failed for want of
     * memory or time again, and the state, every mapping with it, is as before.
     */
    @ParameterizedTest
    @MethodSource("boards")
    void liveUpdate(Board b) {
        FailNthScenarios sc = boot(b);
        IommuDriver[] current = {AppleDartDriver.create(b.variant(), DartRig.FORMATS)};
        rig.engine.addDriver(current[0], "v1");
        long pa = rig.ram() + 0x300_0000;
        long dmaIova = dma.device(b.dwc3()).mapPage(pa, 0x8000, DmaDirection.BIDIRECTIONAL);
        IommuDomain user = rig.engine.domainAlloc(b.admac(), DomainType.UNMANAGED);
        rig.engine.attachGroup(user, b.admac());
        user.map(0x10_0000, pa + 0x1_0000, 0x4000, Prot.READ | Prot.WRITE);
        int[] version = {1};
        FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), sc.liveUpdate("live update of apple-dart "
                + b.name(), () -> {
                    long mark = rig.engine.liveUpdateMark();
                    rig.engine.removeDriver(current[0], true);
                    current[0] = AppleDartDriver.create(b.variant(), DartRig.FORMATS);
                    rig.engine.addDriver(current[0], "v" + ++version[0]);
                    return rig.engine.liveUpdatesSince(mark);
                }, List.of(new FailNthScenarios.Watch("dma", rig.engine.domainOf(b.dwc3()), dmaIova - 0x4000, 0x1_0000),
                        new FailNthScenarios.Watch("user", user, 0xFC000, 0xC000))));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ)), r.line());
        assertEquals(r.points(), r.degraded(), "every takeover that failed was tried again and adopted: " + r.line());
    }

    @ParameterizedTest
    @MethodSource("boards")
    void dmaMapSg(Board b) {
        FailNthScenarios sc = boot(b);
        rig.add(AppleDartDriver.create(b.variant(), DartRig.FORMATS));
        long pa = rig.ram() + 0x200_0000;
        List<SgEntry> sg = List.of(new SgEntry(pa + 0x100, 0x7f00), new SgEntry(pa + 0x1_0000, 0x4000),
                new SgEntry(pa + 0x10_0000, 0x4_0000));
        try (FailNthScenarios.DmaSgScenario s = sc.mapSg(b.dwc3(), sg)) {
            FailNthSweep.Result r = FailNthSweep.sweep(rig.machine.failNth(), s);
            assertTrue(r.byPoint().containsKey(FailNth.PAGE_ALLOC), r.line());
        }
    }
}
