package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.machine.FailNth;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.testkit.FailNthScenarios;
import io.iommulab.testkit.FailNthSweep;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * fail-nth through the apple-dart driver on the usb4 variant (64 streams, the NHI on streams 1 and
 * 40, no bypass): every injection point on the path of a probe, an attach of each domain type the
 * DART can give, a map and an unmap across two leaf tables, and a dma_map_sg, failed in turn
 * ({@link FailNthSweep}); the state compared includes every stream's TCR and TTBRs.
 */
class Usb4FailNthTest {

    private Usb4Board board;
    private DmaApiImpl dma;
    private FailNthScenarios scenarios;

    @BeforeEach
    void boot() {
        board = Usb4Board.boot(false);
        dma = new DmaApiImpl(board.engine);
        DartHw v = board.rec.inner.variant();
        scenarios = new FailNthScenarios(board.machine, board.engine, dma, () -> {
            Map<String, Long> out = new TreeMap<>();
            for (int sid = 0; sid < v.sizes().maxSidCount(); sid++) {
                put(out, "TCR[" + sid + "]", board.regs.readl(v.tcr().offset(sid)));
                for (int i = 0; i < v.ttbr().count(); i++) {
                    put(out, "TTBR[" + sid + "][" + i + "]", board.regs.readl(v.ttbr().offset(sid, i)));
                }
            }
            return out;
        }).streams((iommu, sid) -> Map.of("TCR[" + sid + "]", board.regs.readl(v.tcr().offset(sid)) & 0xffff_ffffL,
                "TTBR[" + sid + "][0]", board.regs.readl(v.ttbr().offset(sid, 0)) & 0xffff_ffffL));
    }

    private static void put(Map<String, Long> out, String name, int value) {
        if (value != 0) {
            out.put(name, value & 0xffff_ffffL);
        }
    }

    @AfterEach
    void close() {
        dma.close();
        board.engine.shutdown();
    }

    @Test
    void probe() {
        board.engine.removeDriver(board.rec);
        FailNthSweep.Result r = FailNthSweep.sweep(board.machine.failNth(), scenarios.probe("probe apple-dart usb4",
                () -> board.engine.addDriver(board.rec), () -> board.engine.removeDriver(board.rec)));
        assertTrue(r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ, FailNth.BUSY_STUCK,
                FailNth.PAGE_ALLOC, FailNth.DOMAIN_ALLOC)), r.line());
    }

    @Test
    void attachEveryDomainTypeTheDartGives() {
        for (DomainType t : List.of(DomainType.BLOCKED, DomainType.UNMANAGED, DomainType.DMA, DomainType.DMA_FQ)) {
            FailNthSweep.Result r = FailNthSweep.sweep(board.machine.failNth(), scenarios.attach(Usb4Board.NHI, t));
            assertTrue(r.byPoint().containsKey(FailNth.DOMAIN_ALLOC), r.line());
        }
    }

    @Test
    void mapAndUnmapARunAcrossTwoLeafTables() {
        long pa = board.ram() + 0x100_0000;
        long iova = (32L << 20) - 0x1_0000;
        try (FailNthScenarios.InFreshDomainScenario map = scenarios.map(Usb4Board.NHI, iova, pa, 0x2_0000)) {
            FailNthSweep.Result r = FailNthSweep.sweep(board.machine.failNth(), map);
            assertTrue(r.byPoint().getOrDefault(FailNth.PAGE_ALLOC, 0) >= 1, r.line());
        }
        try (FailNthScenarios.InFreshDomainScenario unmap = scenarios.unmap(Usb4Board.NHI, iova, pa, 0x2_0000)) {
            FailNthSweep.sweep(board.machine.failNth(), unmap);
        }
    }

    @Test
    void dmaMapSg() {
        long pa = board.ram() + 0x200_0000;
        List<SgEntry> sg = List.of(new SgEntry(pa + 0x100, 0x7f00), new SgEntry(pa + 0x1_0000, 0x4000),
                new SgEntry(pa + 0x10_0000, 0x4_0000));
        try (FailNthScenarios.DmaSgScenario s = scenarios.mapSg(Usb4Board.NHI, sg)) {
            FailNthSweep.Result r = FailNthSweep.sweep(board.machine.failNth(), s);
            assertTrue(r.byPoint().containsKey(FailNth.PAGE_ALLOC), r.line());
        }
    }
}
