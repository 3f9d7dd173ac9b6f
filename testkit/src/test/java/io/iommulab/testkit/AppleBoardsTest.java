package io.iommulab.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.machine.SimMachine;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.DtBindings;
import io.iommulab.machine.dt.FdtWriter;
import io.iommulab.machine.power.PowerDomain;
import io.iommulab.machine.power.PowerDomains;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The Apple fixture boards (t6000, t8112, t6020, the two-die t6002 and t6022) and the machine's
 * default board boot on the real machine and present the DART facts their headers claim
 * (dart-facts §1.1, §5): which nodes are DARTs (never the SART), which are disabled, which master
 * reaches which DART on which stream (PCI functions through {@code iommu-map}, with their
 * requester IDs), which DARTs share an interrupt line, and that all of it survives a DTB round
 * trip. On the two-die boards also: die-1 addresses through die 1's ranges, die-1 interrupt lines
 * apart from die 0's, and power domains with parents on both dies.
 */
class AppleBoardsTest {

    /**
     * One expected DMA master.
     *
     * @param path    DT path of the master
     * @param rid     PCI requester ID, -1 for a platform device
     * @param streams its streams in DT order
     */
    record Master(String path, int rid, List<StreamRef> streams) {
    }

    private static StreamRef s(String iommu, int sid) {
        return new StreamRef(iommu, new int[] {sid});
    }

    private static Master platform(String path, StreamRef... streams) {
        return new Master(path, -1, List.of(streams));
    }

    private static Master pci(String path, int rid, StreamRef stream) {
        return new Master(path, rid, List.of(stream));
    }

    private static DeviceTree tree(String name, byte[] dts) {
        return DeviceTrees.parse("testkit:" + name, dts);
    }

    /** Our fixture trees are written from the bindings, so they pass the check real trees pass. */
    @Test
    void everyFixtureBoardPassesTheBoardCheck() {
        BoardCheck.check(tree("testkit", TestBoards.testkitDts()));
        BoardCheck.check(tree("t6000", TestBoards.t6000Dts()));
        BoardCheck.check(tree("t8112", TestBoards.t8112Dts()));
        BoardCheck.check(tree("t6020", TestBoards.t6020Dts()));
        BoardCheck.check(DeviceTrees.board("default"));
    }

    private static SimMachine boot(DeviceTree t) {
        return SimMachine.boot(t, List.of(), Map.of());
    }

    private static List<Master> masters(SimMachine m) {
        List<Master> out = new ArrayList<>();
        for (DmaMaster d : m.masters()) {
            out.add(new Master(d.name(), d.requesterId(), d.streams()));
        }
        return out;
    }

    /** @return IOMMU path → reason, in DT order */
    private static Map<String, String> hardware(SimMachine m) {
        Map<String, String> out = new LinkedHashMap<>();
        for (IommuHardware h : m.iommuHardware()) {
            out.put(h.node().path(), h.reason());
        }
        return out;
    }

    private static String unmodelled(String... compatibles) {
        return "no hardware model for compatible " + String.join(", ", compatibles);
    }

    private static DtNode node(DeviceTree t, String path) {
        return t.node(path).orElseThrow(() -> new AssertionError("no node " + path));
    }

    /** @return DART path → AIC line number of its interrupt 0 */
    private static Map<String, Integer> dartIrqs(SimMachine m) {
        Map<String, Integer> out = new TreeMap<>();
        for (IommuHardware h : m.iommuHardware()) {
            out.put(h.node().path(), m.irq(h.node(), 0).number());
        }
        return out;
    }

    /**
     * The checks every board gets: DART list and reasons, the SART left out, masters with their
     * streams and RIDs, each DART with one power domain, and the same result after a DTB round trip.
     */
    private static SimMachine checkBoard(DeviceTree t, Map<String, String> darts, String sart, List<Master> expected) {
        SimMachine m = boot(t);
        assertEquals(darts, hardware(m), "IOMMU nodes and why they have no model");
        assertEquals(0, m.modelledIommus());
        DtNode sartNode = node(t, sart);
        assertTrue(sartNode.compatible().stream().allMatch(c -> c.endsWith("-sart")), sartNode.compatible().toString());
        assertFalse(sartNode.hasProperty("#iommu-cells"));
        assertFalse(darts.containsKey(sart), "the SART is not IOMMU hardware");
        assertEquals(expected, masters(m));
        for (Master e : expected) {
            assertTrue(node(t, e.path()).isAvailable(), e.path());
        }
        for (String d : darts.keySet()) {
            assertEquals(1, DtBindings.powerDomains(t, node(t, d)).size(), d + " has one power domain");
            assertEquals(1, node(t, d).u32("#iommu-cells", 0), d);
        }

        DeviceTree back = DeviceTrees.parse(t.source() + ".dtb", FdtWriter.write(t));
        SimMachine again = boot(back);
        assertEquals(darts, hardware(again), "IOMMU nodes after a DTB round trip");
        assertEquals(expected, masters(again), "masters after a DTB round trip");
        assertEquals(m.ram(), again.ram());
        return m;
    }

    // ---- t6000 (M1 Pro) ----

    private static final String T6000_SIO0 = "/soc/iommu@39b004000";
    private static final String T6000_SIO1 = "/soc/iommu@39b008000";
    private static final String T6000_PCIE0 = "/soc/iommu@581008000";
    private static final String T6000_PCIE1 = "/soc/iommu@582008000";
    private static final String T6000_PCIE2 = "/soc/iommu@583008000";
    private static final String T6000_USB0 = "/soc/iommu@702f00000";
    private static final String T6000_USB1 = "/soc/iommu@702f80000";

    @Test
    void t6000() {
        DeviceTree t = tree("t6000", TestBoards.t6000Dts());
        assertEquals("iommulab M1 Pro MacBook Pro-like board", t.model());
        Map<String, String> darts = new LinkedHashMap<>();
        String dart = unmodelled("apple,t6000-dart");
        for (String d : List.of(T6000_SIO0, T6000_SIO1, T6000_PCIE0, T6000_PCIE1)) {
            darts.put(d, dart);
        }
        darts.put(T6000_PCIE2, "disabled");
        darts.put(T6000_USB0, dart);
        darts.put(T6000_USB1, dart);
        String host = "/soc/pcie@590000000";
        SimMachine m = checkBoard(t, darts, "/soc/iommu@393c50000", List.of(
                platform("/soc/dma-controller@39b400000", s(T6000_SIO0, 2), s(T6000_SIO1, 2)),
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s(T6000_PCIE0, 1)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s(T6000_PCIE0, 1)),
                pci(host + "/pci@1,0/mmc@0,0", 0x200, s(T6000_PCIE1, 1)),
                platform("/soc/usb@702280000", s(T6000_USB0, 0), s(T6000_USB1, 1))));
        for (String d : darts.keySet()) {
            assertEquals(List.of("apple,t6000-dart"), node(t, d).compatible(), d);
        }
        assertEquals(0x8000, node(t, T6000_SIO1).reg().get(0).size(), "the one 0x8000-byte t6000 DART window");
        assertFalse(node(t, host + "/pci@2,0").isAvailable());

        assertEquals(Map.of(T6000_SIO0, 1130, T6000_SIO1, 1130, T6000_PCIE0, 1271, T6000_PCIE1, 1274,
                T6000_PCIE2, 1277, T6000_USB0, 1194, T6000_USB1, 1194), dartIrqs(m));
        assertSame(m.irq(node(t, T6000_SIO0), 0), m.irq(node(t, T6000_SIO1), 0), "admac's DARTs share a line");
        assertSame(m.irq(node(t, T6000_USB0), 0), m.irq(node(t, T6000_USB1), 0), "dwc3's DARTs share a line");
        assertNotSame(m.irq(node(t, T6000_PCIE0), 0), m.irq(node(t, T6000_PCIE1), 0));

        assertEquals(List.of(new RamRegion(0x100_0000_0000L, 4L << 30), new RamRegion(0x101_0000_0000L, 4L << 30)), m.ram());
        checkDwc3Power(m, t, "/soc/usb@702280000", T6000_USB0, T6000_USB1);
    }

    // ---- t8112 (M2) ----

    private static final String T8112_SIO = "/soc/iommu@235004000";
    private static final String T8112_USB0 = "/soc/iommu@382f00000";
    private static final String T8112_USB1 = "/soc/iommu@382f80000";
    private static final String T8112_PCIE0 = "/soc/iommu@681008000";
    private static final String T8112_PCIE1 = "/soc/iommu@682008000";
    private static final String T8112_PCIE2 = "/soc/iommu@683008000";
    private static final String T8112_PCIE3 = "/soc/iommu@684008000";

    @Test
    void t8112() {
        DeviceTree t = tree("t8112", TestBoards.t8112Dts());
        assertEquals("iommulab M2 Mac mini-like board", t.model());
        Map<String, String> darts = new LinkedHashMap<>();
        String dart = unmodelled("apple,t8110-dart");
        for (String d : List.of(T8112_SIO, T8112_USB0, T8112_USB1, T8112_PCIE0, T8112_PCIE1, T8112_PCIE2)) {
            darts.put(d, dart);
        }
        darts.put(T8112_PCIE3, "disabled");
        String host = "/soc/pcie@690000000";
        SimMachine m = checkBoard(t, darts, "/soc/sart@27bc50000", List.of(
                platform("/soc/dma-controller@238200000", s(T8112_SIO, 2)),
                platform("/soc/usb@382280000", s(T8112_USB0, 0), s(T8112_USB1, 1)),
                // t8112: bus N uses stream N-1 on its port's DART (dart-facts §5)
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s(T8112_PCIE0, 0)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s(T8112_PCIE0, 0)),
                pci(host + "/pci@1,0/ethernet@0,0", 0x200, s(T8112_PCIE1, 1)),
                pci(host + "/pci@2,0/usb@0,0", 0x300, s(T8112_PCIE2, 2))));
        for (String d : darts.keySet()) {
            assertEquals(List.of("apple,t8110-dart"), node(t, d).compatible(), d);
        }
        assertFalse(node(t, host + "/pci@3,0").isAvailable());
        assertEquals(Map.of(T8112_SIO, 769, T8112_USB0, 1035, T8112_USB1, 1035, T8112_PCIE0, 782,
                T8112_PCIE1, 785, T8112_PCIE2, 788, T8112_PCIE3, 791), dartIrqs(m));
        assertSame(m.irq(node(t, T8112_USB0), 0), m.irq(node(t, T8112_USB1), 0), "dwc3's DARTs share a line");
        assertEquals(List.of(new RamRegion(0x8_0000_0000L, 8L << 30)), m.ram());
        checkDwc3Power(m, t, "/soc/usb@382280000", T8112_USB0, T8112_USB1);
    }

    /**
     * pcie0_dart's {@code iommulab,model-options} reach its model (PARAMS4 NUM_SIDS), a machine
     * property overrides them, the other DARTs get none and the disabled one gets no model.
     */
    @Test
    void t8112ModelOptionsReachTheModel() {
        DeviceTree t = tree("t8112", TestBoards.t8112Dts());
        OptionRecorder rec = new OptionRecorder("apple,t8110-dart");
        SimMachine m = SimMachine.boot(t, List.of(rec), Map.of());
        assertEquals(Map.of("streams", "32"), rec.options.get(T8112_PCIE0));
        for (String d : List.of(T8112_SIO, T8112_USB0, T8112_USB1, T8112_PCIE1, T8112_PCIE2)) {
            assertEquals(Map.of(), rec.options.get(d), d);
        }
        assertFalse(rec.options.containsKey(T8112_PCIE3), "a disabled DART gets no model");
        assertEquals(6, m.modelledIommus());
        assertEquals("disabled", hardware(m).get(T8112_PCIE3));

        OptionRecorder over = new OptionRecorder("apple,t8110-dart");
        SimMachine.boot(t, List.of(over), Map.of("iommulab.model." + T8112_PCIE0 + ".streams", "64"));
        assertEquals(Map.of("streams", "64"), over.options.get(T8112_PCIE0));
    }

    // ---- t6020 (M2 Pro) ----

    private static final String T6020_SIO = "/soc/iommu@39b008000";
    private static final String T6020_PCIE0 = "/soc/iommu@594000000";
    private static final String T6020_PCIE1 = "/soc/iommu@595000000";
    private static final String T6020_PCIE2 = "/soc/iommu@596000000";
    private static final String T6020_PCIE3 = "/soc/iommu@597000000";
    private static final String T6020_USB0 = "/soc/iommu@702f00000";
    private static final String T6020_USB1 = "/soc/iommu@702f80000";

    @Test
    void t6020() {
        DeviceTree t = tree("t6020", TestBoards.t6020Dts());
        assertEquals("iommulab M2 Pro Mac mini-like board", t.model());
        Map<String, String> darts = new LinkedHashMap<>();
        String dart = unmodelled("apple,t6020-dart", "apple,t8110-dart");
        for (String d : List.of(T6020_SIO, T6020_PCIE0, T6020_PCIE1, T6020_PCIE2)) {
            darts.put(d, dart);
        }
        darts.put(T6020_PCIE3, "disabled");
        darts.put(T6020_USB0, dart);
        darts.put(T6020_USB1, dart);
        String host = "/soc/pcie@580000000";
        SimMachine m = checkBoard(t, darts, "/soc/sart@393c50000", List.of(
                platform("/soc/dma-controller@39b400000", s(T6020_SIO, 2)),
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s(T6020_PCIE0, 1)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s(T6020_PCIE0, 1)),
                pci(host + "/pci@1,0/ethernet@0,0", 0x200, s(T6020_PCIE1, 1)),
                pci(host + "/pci@2,0/usb@0,0", 0x300, s(T6020_PCIE2, 1)),
                platform("/soc/usb@702280000", s(T6020_USB0, 0), s(T6020_USB1, 1))));
        for (String d : darts.keySet()) {
            // Linux binds the first compatible it knows: t8110 (dart-facts §1.1)
            assertEquals(List.of("apple,t6020-dart", "apple,t8110-dart"), node(t, d).compatible(), d);
        }
        assertFalse(node(t, host + "/pci@3,0").isAvailable());
        assertEquals(Map.of(T6020_SIO, 1231, T6020_PCIE0, 1341, T6020_PCIE1, 1345, T6020_PCIE2, 1349,
                T6020_PCIE3, 1353, T6020_USB0, 1260, T6020_USB1, 1260), dartIrqs(m));
        assertSame(m.irq(node(t, T6020_USB0), 0), m.irq(node(t, T6020_USB1), 0), "dwc3's DARTs share a line");
        assertEquals(List.of(new RamRegion(0x100_0000_0000L, 8L << 30)), m.ram());
        checkDwc3Power(m, t, "/soc/usb@702280000", T6020_USB0, T6020_USB1);
    }

    // ---- two dies: t6002 (M1 Ultra) and t6022 (M2 Ultra) ----

    private static final String DIE0 = "/soc@200000000";
    private static final String DIE1 = "/soc@2200000000";

    /** The dwc3 controllers, by DT address, and the interrupt line of each one's DART pair. */
    private record Dwc3(String addr, int dartIrq) {
        String master(String die) {
            return die + "/usb@" + addr + "280000";
        }

        String dart(String die, int i) {
            return die + "/iommu@" + addr + (i == 0 ? "f00000" : "f80000");
        }

        Master expected(String die) {
            return platform(master(die), s(dart(die, 0), 0), s(dart(die, 1), 1));
        }
    }

    private static final List<Dwc3> T6002_DWC3 = List.of(new Dwc3("702", 1194), new Dwc3("b02", 1211),
            new Dwc3("f02", 1228));
    private static final Dwc3 T6002_DWC3_3 = new Dwc3("1302", 1245);

    @Test
    void t6002() {
        DeviceTree t = tree("t6002", TestBoards.t6002Dts());
        assertEquals("iommulab M1 Ultra Mac Studio-like board", t.model());
        String sio0 = DIE0 + "/iommu@39b004000";
        String sio1 = DIE0 + "/iommu@39b008000";
        List<String> pcie = List.of(DIE0 + "/iommu@581008000", DIE0 + "/iommu@582008000", DIE0 + "/iommu@583008000",
                DIE0 + "/iommu@584008000");
        String dart = unmodelled("apple,t6000-dart");
        Map<String, String> darts = new LinkedHashMap<>();
        darts.put(sio0, dart);
        darts.put(sio1, dart);
        darts.put(pcie.get(0), dart);
        darts.put(pcie.get(1), dart);
        darts.put(pcie.get(2), "disabled");
        darts.put(pcie.get(3), "disabled");
        putDwc3Darts(darts, DIE0, T6002_DWC3, dart);
        putDwc3Darts(darts, DIE1, T6002_DWC3, dart);
        darts.put(T6002_DWC3_3.dart(DIE1, 0), "disabled");
        darts.put(T6002_DWC3_3.dart(DIE1, 1), "disabled");

        String host = DIE0 + "/pcie@590000000";
        List<Master> masters = new ArrayList<>(List.of(
                platform(DIE0 + "/dma-controller@39b400000", s(sio0, 2), s(sio1, 2)),
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s(pcie.get(0), 1)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s(pcie.get(0), 1)),
                pci(host + "/pci@1,0/mmc@0,0", 0x200, s(pcie.get(1), 1))));
        T6002_DWC3.forEach(d -> masters.add(d.expected(DIE0)));
        T6002_DWC3.forEach(d -> masters.add(d.expected(DIE1)));
        SimMachine m = checkBoard(t, darts, DIE1 + "/sart@393c50000", masters);
        for (String d : darts.keySet()) {
            assertEquals(List.of("apple,t6000-dart"), node(t, d).compatible(), d);
        }
        assertFalse(node(t, T6002_DWC3_3.master(DIE1)).isAvailable());
        assertSame(m.irq(node(t, sio0), 0), m.irq(node(t, sio1), 0), "admac's DARTs share a line");
        assertEquals(1130, m.irq(node(t, sio0), 0).number());

        checkTwoDies(t, m, T6002_DWC3, DIE1 + "/sart@393c50000", 0x23_93c5_0000L, DIE1 + "/nvme@393cc0000", 1613);
        checkCrossDiePower(t, m, "/power-management@28e580000/power-controller@3c0",
                "/power-management@28e080000/power-controller@1e8");
        checkAlwaysOnOverOffParent(t, m, DIE0 + "/power-management@28e080000/power-controller@320",
                DIE0 + "/power-management@28e080000/power-controller@150");
    }

    private static final List<Dwc3> T6022_DWC3 = List.of(new Dwc3("702", 1260), new Dwc3("b02", 1278),
            new Dwc3("f02", 1296));
    private static final Dwc3 T6022_DWC3_3 = new Dwc3("1302", 1314);

    @Test
    void t6022() {
        DeviceTree t = tree("t6022", TestBoards.t6022Dts());
        assertEquals("iommulab M2 Ultra Mac Studio-like board", t.model());
        String sio = DIE0 + "/iommu@39b008000";
        List<String> pcie = List.of(DIE0 + "/iommu@594000000", DIE0 + "/iommu@595000000", DIE0 + "/iommu@596000000",
                DIE0 + "/iommu@597000000");
        String dart = unmodelled("apple,t6020-dart", "apple,t8110-dart");
        Map<String, String> darts = new LinkedHashMap<>();
        darts.put(sio, dart);
        darts.put(pcie.get(0), dart);
        darts.put(pcie.get(1), dart);
        darts.put(pcie.get(2), "disabled");
        darts.put(pcie.get(3), "disabled");
        putDwc3Darts(darts, DIE0, T6022_DWC3, dart);
        putDwc3Darts(darts, DIE1, T6022_DWC3, dart);
        darts.put(T6022_DWC3_3.dart(DIE1, 0), "disabled");
        darts.put(T6022_DWC3_3.dart(DIE1, 1), "disabled");

        String host = DIE0 + "/pcie@580000000";
        List<Master> masters = new ArrayList<>(List.of(
                platform(DIE0 + "/dma-controller@39b400000", s(sio, 2)),
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s(pcie.get(0), 1)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s(pcie.get(0), 1)),
                pci(host + "/pci@1,0/ethernet@0,0", 0x200, s(pcie.get(1), 1))));
        T6022_DWC3.forEach(d -> masters.add(d.expected(DIE0)));
        T6022_DWC3.forEach(d -> masters.add(d.expected(DIE1)));
        SimMachine m = checkBoard(t, darts, DIE1 + "/sart@34bc50000", masters);
        for (String d : darts.keySet()) {
            // Linux binds the first compatible it knows: t8110 (dart-facts §1.1)
            assertEquals(List.of("apple,t6020-dart", "apple,t8110-dart"), node(t, d).compatible(), d);
        }
        assertFalse(node(t, T6022_DWC3_3.master(DIE1)).isAvailable());
        assertEquals(1231, m.irq(node(t, sio), 0).number());

        checkTwoDies(t, m, T6022_DWC3, DIE1 + "/sart@34bc50000", 0x23_4bc5_0000L, DIE1 + "/nvme@34bcc0000", 1832);
        checkCrossDiePower(t, m, "/power-management@404e80000/power-controller@108",
                "/power-management@404e80000/power-controller@100");
        checkAlwaysOnOverOffParent(t, m, DIE0 + "/power-management@290280000/power-controller@138",
                DIE0 + "/power-management@290280000/power-controller@130");
    }

    private static void putDwc3Darts(Map<String, String> darts, String die, List<Dwc3> dwc3, String reason) {
        for (Dwc3 d : dwc3) {
            darts.put(d.dart(die, 0), reason);
            darts.put(d.dart(die, 1), reason);
        }
    }

    /**
     * What makes a second die a die of its own: the die-1 nodes have die 0's names and reg cells
     * but CPU addresses through die 1's ranges (0x7_ -> 0x27_, 0x2_ -> 0x22_), and the MMIO bus
     * routes each address to its own die's model; die-1 interrupt lines are distinct from die-0
     * lines with the same number; and powering a die-1 dwc3 powers its die-1 DARTs only.
     */
    private static void checkTwoDies(DeviceTree t, SimMachine m, List<Dwc3> dwc3, String sart, long sartAddress,
            String nvme, int nvmeIrq) {
        for (Dwc3 d : dwc3) {
            for (int i = 0; i < 2; i++) {
                DtNode die0 = node(t, d.dart(DIE0, i));
                DtNode die1 = node(t, d.dart(DIE1, i));
                assertArrayEquals(die0.properties().get("reg").value(), die1.properties().get("reg").value(),
                        "the same reg cells on both dies: " + die1.path());
                long cpu0 = die0.reg().get(0).address();
                assertEquals(0x20_0000_0000L + cpu0, die1.reg().get(0).address(),
                        die1.path() + " through die 1's ranges");
                assertEquals(0x4000, die1.reg().get(0).size());
            }
            // Die 0 maps 1:1: the DART of dwc3 at 0x<addr>280000 is at 0x<addr>f00000.
            assertEquals(Long.parseLong(d.addr() + "f00000", 16), node(t, d.dart(DIE0, 0)).reg().get(0).address());
            IrqLine line0 = m.irq(node(t, d.dart(DIE0, 0)), 0);
            IrqLine line1 = m.irq(node(t, d.dart(DIE1, 0)), 0);
            assertEquals(d.dartIrq(), line0.number());
            assertEquals(d.dartIrq(), line1.number());
            assertNotSame(line0, line1, "die 1's line " + d.dartIrq() + " is not die 0's: " + line0.name() + ", "
                    + line1.name());
            assertNotEquals(line0.name(), line1.name());
            assertSame(line1, m.irq(node(t, d.dart(DIE1, 1)), 0), "a die-1 DART pair shares its die-1 line");
        }
        assertEquals(0x27_02f0_0000L, node(t, dwc3.get(0).dart(DIE1, 0)).reg().get(0).address());
        assertEquals(0x2b_02f8_0000L, node(t, dwc3.get(1).dart(DIE1, 1)).reg().get(0).address());
        assertEquals(sartAddress, node(t, sart).reg().get(0).address(), "the die-1 SART through 0x2_ -> 0x22_");
        assertEquals(nvmeIrq, m.irq(node(t, nvme), 0).number());
        assertEquals("aic:" + nvmeIrq, m.irq(node(t, nvme), 0).name(), "the die-1 NVMe is routed to die 0");
        assertEquals(List.of(new RamRegion(0x100_0000_0000L, 8L << 30)), m.ram(),
                "RAM at the root: no die's ranges apply");

        // With the DART model, each die's window reaches its own die's registers.
        SimMachine hw = SimMachine.boot(t, List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        DtNode die0 = node(t, dwc3.get(0).dart(DIE0, 0));
        DtNode die1 = node(t, dwc3.get(0).dart(DIE1, 0));
        assertEquals(0x27_02f0_0000L, hw.ioremap(die1, 0).base());
        assertEquals(die1.path(), hw.bus().blockAt(0x27_02f0_0000L).node().path());
        assertEquals(die0.path(), hw.bus().blockAt(0x7_02f0_0000L).node().path());
        assertEquals(0x4000, hw.bus().blockAt(0x27_02f0_0000L).size());

        checkDwc3Power(hw, t, dwc3.get(0).master(DIE1), die1.path(), dwc3.get(0).dart(DIE1, 1));
        assertFalse(hw.isPowered(die0), "powering die 1's dwc3 leaves die 0's DARTs alone");
    }

    /** The die-0 GPU domain's parents are afr on die 0 and afr on die 1: powering the GPU powers both. */
    private static void checkCrossDiePower(DeviceTree t, SimMachine m, String gfx, String afr) {
        PowerDomains power = m.powerDomains();
        PowerDomain gfxDomain = power.byPath(DIE0 + gfx);
        assertEquals(List.of(DIE0 + afr, DIE1 + afr), gfxDomain.parents().stream().map(PowerDomain::path).toList());
        assertFalse(power.byPath(DIE1 + afr).isOn());
        m.powerOn(node(t, DIE0 + "/gpu@406400000"));
        assertTrue(gfxDomain.isOn());
        assertTrue(power.byPath(DIE0 + afr).isOn());
        assertTrue(power.byPath(DIE1 + afr).isOn(), "the parent on the other die is powered too");
    }

    /** An apple,always-on domain whose parent is not always-on: the parent is on from boot. */
    private static void checkAlwaysOnOverOffParent(DeviceTree t, SimMachine m, String alwaysOn, String parent) {
        PowerDomain on = m.powerDomains().byPath(alwaysOn);
        PowerDomain p = m.powerDomains().byPath(parent);
        assertTrue(on.alwaysOn());
        assertFalse(p.alwaysOn());
        assertTrue(on.parents().contains(p), alwaysOn + " has " + parent + " as a parent");
        assertEquals(2, on.parents().size(), "two parents");
        assertTrue(on.isOn());
        assertTrue(p.isOn(), parent + " is on because its always-on child is");
    }

    // ---- default (M1 Mac mini) with its Thunderbolt DART ----

    @Test
    void defaultBoard() {
        DeviceTree t = DeviceTrees.board("default");
        Map<String, String> darts = new LinkedHashMap<>();
        String dart = unmodelled("apple,t8103-dart");
        darts.put("/soc/iommu@228304000", "disabled");
        darts.put("/soc/iommu@235004000", dart);
        darts.put("/soc/iommu@382f00000", dart);
        darts.put("/soc/iommu@382f80000", dart);
        darts.put("/soc/iommu@38b004000", unmodelled("apple,t8103-usb4-dart"));
        for (String d : List.of("/soc/iommu@502f00000", "/soc/iommu@502f80000", "/soc/iommu@681008000",
                "/soc/iommu@682008000", "/soc/iommu@683008000")) {
            darts.put(d, dart);
        }
        String host = "/soc/pcie@690000000";
        SimMachine m = checkBoard(t, darts, "/soc/iommu@27bc50000", List.of(
                platform("/soc/dma-controller@238200000", s("/soc/iommu@235004000", 2)),
                platform("/soc/usb@382280000", s("/soc/iommu@382f00000", 0), s("/soc/iommu@382f80000", 1)),
                // two streams on one 64-stream DART, the second in STREAM_SELECT word 1
                platform("/soc/thunderbolt@38a000000", s("/soc/iommu@38b004000", 0), s("/soc/iommu@38b004000", 40)),
                platform("/soc/usb@502280000", s("/soc/iommu@502f00000", 0), s("/soc/iommu@502f80000", 1)),
                pci(host + "/pci@0,0/wifi@0,0", 0x100, s("/soc/iommu@681008000", 1)),
                pci(host + "/pci@0,0/bluetooth@0,1", 0x101, s("/soc/iommu@681008000", 1)),
                pci(host + "/pci@2,0/ethernet@0,0", 0x300, s("/soc/iommu@683008000", 1))));
        assertTrue(m.master("/soc/display-pipe@228200000").isEmpty(), "a disabled master is not a DMA master");
        assertFalse(node(t, "/soc/display-pipe@228200000").isAvailable());
        Map<String, Integer> irqs = dartIrqs(m);
        assertEquals(799, (int) irqs.get("/soc/iommu@38b004000"));
        assertEquals(1, irqs.values().stream().filter(n -> n == 799).count(), "the Thunderbolt DART has its own line");
        assertEquals(List.of(new RamRegion(0x8_0000_0000L, 8L << 30)), m.ram());
    }

    /** Powering the dwc3 powers both its DARTs: they sit in the controller's domain. */
    private static void checkDwc3Power(SimMachine m, DeviceTree t, String dwc3, String dart0, String dart1) {
        assertFalse(m.isPowered(node(t, dart0)));
        m.pmDomainAttach(node(t, dwc3));
        assertTrue(m.isPowered(node(t, dart0)));
        assertTrue(m.isPowered(node(t, dart1)));
    }

    /**
     * A model factory for one compatible that records the options each node's model is built
     * with, then builds a real test-iommu model for it.
     */
    private static final class OptionRecorder implements IommuModelFactory {
        private final String compatible;
        private final TestIommuModelFactory models = new TestIommuModelFactory();
        final Map<String, Map<String, String>> options = new LinkedHashMap<>();

        OptionRecorder(String compatible) {
            this.compatible = compatible;
        }

        @Override
        public String name() {
            return "option-recorder";
        }

        @Override
        public List<String> compatibles() {
            return List.of(compatible);
        }

        @Override
        public IommuModel create(ModelContext context) {
            options.put(context.node().path(), Map.copyOf(context.options()));
            return models.create(context);
        }
    }
}
