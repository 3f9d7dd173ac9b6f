package io.iommulab.dart.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.lib.cmdline.CommandUsage;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dart: shell scope over a booted board, without OSGi. */
class DartCommandsTest {

    static final String SIO = "/soc/iommu@235004000";

    SimMachine machine;
    IommuCoreEngine engine;
    List<AppleDartDriver> drivers = new ArrayList<>();
    DartCommands cmd;

    private void boot(String board) throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("dart-boards/iommulab-" + board + ".dts")) {
            boot(DeviceTrees.parse(board, in.readAllBytes()));
        }
    }

    private void boot(DeviceTree tree) {
        machine = SimMachine.boot(tree, List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        for (DartHw v : DartVariants.all()) {
            AppleDartDriver d = AppleDartDriver.create(v, DartFormat::byName);
            drivers.add(d);
            engine.addDriver(d);
        }
        cmd = DartCommands.over(drivers, machine);
    }

    @Test
    void dartsListsProbedAndFailedDarts() throws IOException {
        boot("t8103-faulty");
        List<DartDTO> darts = cmd.darts();
        assertEquals(5, darts.size());
        DartDTO good = darts.stream().filter(d -> d.node().equals("/soc/iommu@300400000")).findFirst().orElseThrow();
        assertEquals(new DartDTO("/soc/iommu@300400000", "t8103", "probed", 16, 0x4000, 32, 36, true, false, false, null, null), good);
        DartDTO locked = darts.stream().filter(d -> d.node().equals("/soc/iommu@300200000")).findFirst().orElseThrow();
        assertEquals("not probed", locked.state());
        assertEquals(Boolean.TRUE, locked.locked());
        assertTrue(locked.toString().contains("locked yes"), locked.toString());
    }

    @Test
    void dartsNamesTheBundlesOfTheDriverAndTheVariant() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("dart-boards/iommulab-t8103.dts")) {
            machine = SimMachine.boot(DeviceTrees.parse("t8103", in.readAllBytes()), List.of(DartModelFactory.builtInAnd(
                    T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        }
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        // as SCR makes it: the tracker names the variant's bundle in the core's origin property
        AppleDartDriver d = new AppleDartDriver(() -> DartVariants.T8103, Map.of("iommulab.origin", "io.iommulab.dart 0.3.0"));
        d.formatArrived(DartFormat.DART1, "io.iommulab.pgtable 0.1.0");
        engine.addDriver(d);
        List<DartDTO> darts = DartCommands.over(List.of(d), machine).darts();
        assertEquals(6, darts.size());
        for (DartDTO dart : darts) {
            assertEquals("probed", dart.state(), dart.toString());
            assertEquals("io.iommulab.dart 0.3.0", dart.variantBundle());
            assertNull(dart.driver(), "no bundle outside OSGi");
            assertTrue(dart.toString().endsWith("driver -, variant from io.iommulab.dart 0.3.0"), dart.toString());
        }
    }

    @Test
    void regsDecodesEveryRegisterAndChangesNothing() throws IOException {
        boot("t8103");
        MmioWindow w = machine.ioremap(machine.deviceTree().node(SIO).orElseThrow(), 0);
        int[] before = snapshot(w);
        Map<String, Long> counters = machine.hardwareCounters(SIO);
        List<RegisterDTO> regs = cmd.regs("sio_dart");
        assertArrayEquals(before, snapshot(w));
        assertEquals(counters, machine.hardwareCounters(SIO));
        // PARAMS1/2, STREAM_COMMAND, ERROR, ERROR_ADDR_LO/HI, CONFIG; 1 select word, 1 enable word, 16 TCR, 64 TTBR
        assertEquals(7 + 1 + 1 + 16 + 64, regs.size());
        RegisterDTO tcr2 = regs.stream().filter(r -> r.name().equals("TCR[2]")).findFirst().orElseThrow();
        assertEquals(0x108, tcr2.offset());
        assertEquals(0x80, tcr2.value());
        assertEquals("translate", tcr2.decoded());
        RegisterDTO ttbr = regs.stream().filter(r -> r.name().equals("TTBR[2][0]")).findFirst().orElseThrow();
        assertTrue(ttbr.decoded().startsWith("VALID table 0x"), ttbr.toString());
        assertEquals("page shift 14", regs.get(0).decoded());
        assertEquals("unlocked", regs.stream().filter(r -> r.name().equals("CONFIG")).findFirst().orElseThrow().decoded());
        assertEquals("enabled SIDs 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
                regs.stream().filter(r -> r.name().equals("STREAMS_ENABLE[0]")).findFirst().orElseThrow().decoded());
    }

    private static int[] snapshot(MmioWindow w) {
        int[] v = new int[0x300 / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = w.readl(4L * i);
        }
        return v;
    }

    @Test
    void streamsShowsTcrModesAndTables() throws IOException {
        boot("t8103");
        List<StreamDTO> s = cmd.streams("iommu@235004000");
        assertEquals(16, s.size());
        assertTrue(s.get(2).enabled());
        assertEquals("translate", s.get(2).mode());
        assertTrue(s.get(2).ttbrs().get(0).contains("VALID table"));
        assertEquals("blocked", s.get(3).mode());
        assertEquals(4, s.get(3).ttbrs().size());
    }

    @Test
    void t8110RegsUseItsOwnNames() throws IOException {
        boot("t8112");
        List<RegisterDTO> regs = cmd.regs("sio_dart");
        assertTrue(regs.stream().anyMatch(r -> r.name().equals("PARAMS3") && r.decoded().startsWith("PA width 42, VA width 36")));
        assertTrue(regs.stream().anyMatch(r -> r.name().equals("PARAMS4") && r.decoded().startsWith("16 SIDs")));
        assertTrue(regs.stream().anyMatch(r -> r.name().equals("TTBR[2]") && r.decoded().startsWith("VALID")));
        assertTrue(regs.stream().anyMatch(r -> r.name().equals("ERROR_MASK") && r.decoded().equals("all codes latched")));
    }

    @Test
    void errorsShowsALatchedErrorOfAnUnboundDart() throws IOException {
        boot("t8103");
        drivers.forEach(engine::removeDriver);
        // no handler any more: the DART latches and keeps the error
        assertFalse(machine.master("/soc/dma-controller@238200000").orElseThrow().read(0, 0x5000, 4).ok());
        ErrorDTO e = cmd.errors(SIO);
        assertTrue(e.latched());
        assertEquals(2, e.stream());
        assertEquals(1, e.code());
        assertEquals("NO TTBR FOR IOVA", e.name());
        assertEquals(0x5000, e.iova());
        assertTrue(e.toString().contains("stream 2 code 0x1 (NO TTBR FOR IOVA) at 0x5000"), e.toString());
    }

    @Test
    void iotlbShowsTheModelCounters() throws IOException {
        boot("t8103");
        Map<String, Long> c = cmd.iotlb("dwc3_0_dart_0");
        assertTrue(c.keySet().containsAll(List.of("iotlb.hits", "iotlb.misses", "walks", "faults", "invalidations")), c.toString());
        assertTrue(c.get("invalidations") > 0, "probe and attach invalidated");
    }

    @Test
    void dartNamesResolveByPathNameSuffixOrLabel() throws IOException {
        boot("t8103");
        assertEquals(SIO, cmd.resolve(SIO));
        assertEquals(SIO, cmd.resolve("iommu@235004000"));
        assertEquals(SIO, cmd.resolve("soc/iommu@235004000"));
        assertEquals(SIO, cmd.resolve("sio_dart"));
        IommuException amb = assertThrows(IommuException.class, () -> cmd.resolve("iommu"));
        assertEquals(Errno.EINVAL, amb.errno());
        IommuException none = assertThrows(IommuException.class, () -> cmd.resolve("nope"));
        assertEquals(Errno.ENODEV, none.errno());
    }

    /** Two dies with the same node names: a DART name both have is refused, the die picks one, counters stay apart. */
    @Test
    void twoDieDartsAreNamedUnambiguously() {
        boot(DeviceTrees.parse("t6002.dts", io.iommulab.testkit.TestBoards.t6002Dts()));
        String dart0 = "/soc@200000000/iommu@702f00000";
        String dart1 = "/soc@2200000000/iommu@702f00000";
        List<String> nodes = cmd.darts().stream().map(DartDTO::node).toList();
        assertTrue(nodes.containsAll(List.of(dart0, "/soc@200000000/iommu@702f80000", dart1, "/soc@2200000000/iommu@702f80000")),
                nodes.toString());
        assertEquals(nodes.size(), java.util.Set.copyOf(nodes).size(), "each DART once, by its full path");
        assertTrue(cmd.darts().stream().filter(d -> d.node().contains("702f")).allMatch(d -> d.state().equals("probed")),
                cmd.darts().toString());
        for (String name : List.of("iommu@702f00000", "iommu")) {
            IommuException e = assertThrows(IommuException.class, () -> cmd.errors(name));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("EINVAL: DART name '" + name + "' is ambiguous: "), e.getMessage());
            assertTrue(e.getMessage().contains(dart0) && e.getMessage().contains(dart1), e.getMessage());
        }
        assertEquals(dart1, cmd.errors("soc@2200000000/iommu@702f00000").node());
        assertEquals(dart1, cmd.errors("dwc3_0_dart_0_die1").node());
        assertEquals(dart0, cmd.errors("&dwc3_0_dart_0").node());
        assertEquals("/soc@200000000/iommu@39b004000", cmd.errors("iommu@39b004000").node(), "a name one die has");
        // DMA on die 1's dwc3 counts on die 1's DART only
        assertFalse(machine.master("/soc@2200000000/usb@702280000").orElseThrow().read(0, 0x1000, 4).ok(), "unmapped");
        assertEquals(1L, cmd.iotlb("soc@2200000000/iommu@702f00000").get("faults"));
        assertEquals(0L, cmd.iotlb("soc@200000000/iommu@702f00000").get("faults"));
    }

    /** Every {@code dart:} command and each of its parameters says what it is, for {@code help} and usage errors. */
    @Test
    void everyCommandAndParameterIsDescribed() {
        assertEquals(List.of(), CommandUsage.undescribed(DartCommands.class));
    }
}
