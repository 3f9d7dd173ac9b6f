package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.hosting.NodeModelOptions;
import io.iommulab.api.hw.ModelOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Model options, the register window check, the factory and its board-twin recipe. */
class SmmuOptionsTest {

    /** @return options as the machine hands them to the model */
    private static ModelOptions modelOptions(Map<String, String> options) {
        return new NodeModelOptions("/n", SmmuModelFactory.NAME, options);
    }

    private static IommuHardware hardware(SimMachine m, String path) {
        return m.iommuHardware().stream().filter(h -> h.node().path().equals(path)).findFirst().orElseThrow();
    }

    private static void assertRefused(String key, String value, String why) {
        SmmuRig r = new SmmuRig(options(SMMU0, key, value));
        IommuHardware h = hardware(r.machine, SMMU0);
        assertNull(h.model(), key + "=" + value + " must leave the node unmodelled");
        String reason = h.reason();
        assertTrue(reason.startsWith("EINVAL: "), reason);
        assertTrue(reason.contains(SMMU0), reason);
        assertTrue(reason.contains(key + "=" + value), reason);
        assertTrue(reason.contains(why), reason);
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> r.regs(SMMU0)).errno(),
                "no registers are mapped for it");
        assertNotNull(hardware(r.machine, SMMU1).model(), "other SMMUs are not affected");
    }

    @Test
    void badOptionsLeaveTheNodeUnmodelledWithTheReason() {
        assertRefused("colour", "blue", "unknown option");
        assertRefused("context-banks", "0", "not a number in 1..128");
        assertRefused("context-banks", "129", "not a number in 1..128");
        assertRefused("smrs", "many", "not a number in 1..128");
        assertRefused("sid-bits", "16", "not a number in 1..15");
        assertRefused("granules", "", "not a non-empty list of 4k, 16k, 64k");
        assertRefused("granules", "4k,8k", "not a non-empty list of 4k, 16k, 64k");
        assertRefused("ias", "39", "not one of [32, 36, 40, 42, 44, 48]");
        assertRefused("oas", "52", "not one of");
        assertRefused("ubs", "x", "not one of");
        assertRefused("tlb-entries", "-1", "not a number in 0..4096");
        assertRefused("sync-stuck", "maybe", "not true or false");
        assertRefused("stream-indexing", "2", "not true or false");
    }

    @Test
    void streamIndexingLimits() {
        SmmuRig r = new SmmuRig(Map.of("iommulab.model." + SMMU1 + ".sid-bits", "9"));
        assertTrue(hardware(r.machine, SMMU1).reason().contains("sid-bits=9 is not a number in 1..8"),
                hardware(r.machine, SMMU1).reason());
        SmmuRig s = new SmmuRig(Map.of("iommulab.model." + SMMU1 + ".smrs", "16"));
        assertTrue(hardware(s.machine, SMMU1).reason().contains("smrs=16 does not apply with stream-indexing=true"),
                hardware(s.machine, SMMU1).reason());
        SmmuRig t = new SmmuRig(Map.of("iommulab.model." + SMMU1 + ".sid-bits", "8"));
        MmioWindow w = t.regs(SMMU1);
        w.writel(0xC00 + 4 * 255, 0x1_0000);
        assertEquals(0x1_0000, w.readl(0xC00 + 4 * 255), "256 S2CRs fill GR0");
    }

    @Test
    void aWindowTooSmallForTheBanksIsRefused() {
        SmmuRig r = new SmmuRig();
        IommuHardware h = hardware(r.machine, SMALL);
        assertNull(h.model());
        assertTrue(h.reason().startsWith("EINVAL: " + SMALL + ": arm-smmu-v2 model: reg size 0x8000 is smaller than 0x10000"),
                h.reason());
        SmmuRig fits = new SmmuRig(options(SMALL, "context-banks", "4"));
        assertEquals(SmmuModelFactory.NAME, hardware(fits.machine, SMALL).model(), "4 banks fit in 0x8000");
        SmmuRig grown = new SmmuRig(options(SMMU0, "context-banks", "9"));
        assertTrue(hardware(grown.machine, SMMU0).reason().contains("0x20000"), "9 banks: NUMPAGE 16");
    }

    @Test
    void configDefaultsAndDerivedSizes() {
        SmmuConfig d = SmmuConfig.from("/n", modelOptions(Map.of()), 1);
        assertEquals(new SmmuConfig(8, 32, false, 15, 0x7000, 48, 48, 48, 128, false, 1), d);
        assertEquals(8, d.numPage());
        assertEquals(0x10000, d.blockSize());
        assertEquals(32, d.s2crs());
        SmmuConfig i = SmmuConfig.from("/n", modelOptions(Map.of("stream-indexing", "yes", "context-banks", "1")), 2);
        assertEquals(0, i.smrs());
        assertEquals(7, i.sidBits());
        assertEquals(128, i.s2crs());
        assertEquals(2, i.numPage());
        assertEquals(0, i.numPageNdxb());
        assertEquals(List.of(2, 2, 4, 4, 8, 16, 128), List.of(SmmuConfig.numPage(1), SmmuConfig.numPage(2),
                SmmuConfig.numPage(3), SmmuConfig.numPage(4), SmmuConfig.numPage(5), SmmuConfig.numPage(9),
                SmmuConfig.numPage(128)));
        IommuException e = assertThrows(IommuException.class, () -> SmmuConfig.from("/soc/x", modelOptions(Map.of()), 256));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("/soc/x") && e.getMessage().contains("#global-interrupts"), e.getMessage());
    }

    @Test
    void optionsFromTheNodePropertyAndCounters() {
        SmmuRig r = new SmmuRig();
        assertEquals(SmmuModelFactory.NAME, hardware(r.machine, SMMU1).model());
        assertEquals(Map.of("iotlb.hits", 0L, "iotlb.misses", 0L, "walks", 0L, "faults", 0L, "invalidations", 0L,
                "invalidations.va", 0L, "invalidations.asid", 0L, "invalidations.all", 0L, "syncs", 0L),
                r.counters(SMMU0));
    }

    @Test
    void factoryNameAndCompatible() {
        SmmuModelFactory f = new SmmuModelFactory();
        assertEquals("arm-smmu-v2", f.name());
        assertEquals(List.of("arm,smmu-v2"), f.compatibles());
        assertTrue(f.makesTwins());
    }

    @Test
    void twinRecipe() {
        SmmuModelFactory f = new SmmuModelFactory();
        TwinNode one = f.twin(List.of(new TwinSource("/a", List.of("apple,t8103-dart"), 0x4000, 16, List.of(0, 15), List.of("/usb")))).get(0);
        assertEquals(new TwinNode(List.of("arm,smmu-v2"), 0x10000, 9, 1, Map.of("#global-interrupts", 1),
                List.of("context-banks=8")), one);

        List<String> masters = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            masters.add("/m" + i);
        }
        List<TwinNode> merged = f.twin(List.of(
                new TwinSource("/a", List.of("apple,t8103-dart"), 0x4000, 3, List.of(1, 2), masters.subList(0, 6)),
                new TwinSource("/b", List.of("apple,t8103-dart"), 0x4000, 300, List.of(2, 299), masters.subList(4, 10))));
        assertEquals(1, merged.size(), "one SMMU for the linked set");
        assertEquals(20, merged.get(0).interruptCount() - 1, "2 banks for each of 10 distinct masters");
        assertEquals(0x40000, merged.get(0).regSize(), "20 banks: NUMPAGE 32");
        assertEquals(List.of("context-banks=20"), merged.get(0).modelOptions());

        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add("/m" + i);
        }
        List<Integer> sids = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sids.add(i * 300);
        }
        TwinNode capped = f.twin(List.of(new TwinSource("/a", List.of("x"), 0x4000, 99 * 300 + 1, sids, many))).get(0);
        assertEquals(List.of("context-banks=128", "smrs=100"), capped.modelOptions(), "an SMR for each of 100 stream ids");
        assertEquals(0x10_0000, capped.regSize());
        assertEquals(129, capped.interruptCount());
        assertEquals(List.of(), f.twin(List.of(new TwinSource("/a", List.of("x"), 0x4000, 1 << 16, List.of(0xffff), many))),
                "stream ids beyond 15 bits: an SMMU without extended ids cannot stand in");
        assertEquals(List.of("context-banks=8"),
                f.twin(List.of(new TwinSource("/a", List.of("x"), 0x4000, 1 << 15, List.of(0x7fff), List.of()))).get(0).modelOptions(),
                "stream ids up to 0x7fff fit in 15 bits");
    }

    @Test
    void twinOfADartBoardBootsWithTheModel() {
        DeviceTree twin = BoardTwins.twinTree(SmmuRig.board("dart-board.dts"), new SmmuModelFactory());
        SimMachine m = SimMachine.boot(twin, List.of(new SmmuModelFactory()), Map.of());
        List<IommuHardware> hw = m.iommuHardware();
        assertEquals(2, hw.size(), "dart_a and dart_b merged, dart_c alone: " + hw);
        for (IommuHardware h : hw) {
            assertEquals(SmmuModelFactory.NAME, h.model(), h.node().path() + ": " + h.reason());
            DtNode n = h.node();
            assertEquals(List.of("arm,smmu-v2"), n.compatible());
            MmioWindow w = m.ioremap(n, 0);
            assertEquals(8, w.readl(0x024) & 0xFF, "NUMCB: max(8, 2 * masters)");
            assertEquals(0x10000L, n.reg().get(0).size());
            assertEquals(1, n.u32("#global-interrupts", 0));
            assertEquals(1 << 16, w.readl(0x020) & 0xFF_0000, "ID0.NUMIRPT");
        }
        long pa = RAM + 0x10_0000;
        m.memory().write8(pa, (byte) 0x5c);
        var usb = m.master("/soc/usb@382280000").orElseThrow();
        assertEquals(0x5c, dmaPeek(usb, 1, pa), "CLIENTPD at reset: the master's second stream bypasses");
        assertFalse(m.masters().isEmpty());
    }
}
