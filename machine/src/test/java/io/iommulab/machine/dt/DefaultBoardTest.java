package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The built-in board carries the t8103 (j274) IOMMU facts the rest of the project relies on. */
class DefaultBoardTest {
    private static DeviceTree t;

    @BeforeAll
    static void load() {
        t = DeviceTrees.board("default");
    }

    private static DtNode node(String path) {
        return t.node(path).orElseThrow(() -> new AssertionError("no node " + path));
    }

    private static DtNode label(String label) {
        return t.byLabel(label).orElseThrow(() -> new AssertionError("no label " + label));
    }

    @Test
    void identity() {
        assertEquals("builtin:default", t.source());
        assertEquals("iommulab M1 Mac mini-like board", t.model());
        assertEquals(List.of("iommulab,m1-mini", "apple,t8103"), t.root().compatible());
        assertEquals(2, t.root().u32("#address-cells", 0));
        assertEquals(2, t.root().u32("#size-cells", 0));
    }

    @Test
    void passesTheBoardCheck() {
        BoardCheck.check(t);
    }

    @Test
    void memoryIs8GiBAt0x800000000() {
        assertEquals(List.of(new RegRange(0x8_0000_0000L, 8L << 30)), DtBindings.memory(t));
    }

    @Test
    void nineDartsEightAvailable() {
        List<DtNode> darts = DtBindings.compatibleNodes(t, "apple,t8103-dart");
        assertEquals(9, darts.size());
        assertEquals(8, darts.stream().filter(DtNode::isAvailable).count());
        DtNode disabled = darts.stream().filter(n -> !n.isAvailable()).findFirst().orElseThrow();
        assertEquals("/soc/iommu@228304000", disabled.path());
        assertEquals(List.of("displaydfr_dart"), disabled.labels());
        for (DtNode d : darts) {
            RegRange r = d.reg().get(0);
            assertEquals("iommu@" + Long.toHexString(r.address()), d.name());
            assertEquals(0x4000, r.size());
            assertEquals(1, d.u32("#iommu-cells", 0));
            assertEquals(1, DtBindings.powerDomains(t, d).size(), d.path());
        }
    }

    @Test
    void dartInterruptsAndSharedLines() {
        Map<String, Integer> irq = new TreeMap<>();
        for (DtNode d : DtBindings.compatibleNodes(t, "apple,t8103-dart")) {
            List<IrqSpec> specs = DtBindings.interrupts(t, d);
            assertEquals(1, specs.size());
            assertEquals(label("aic"), specs.get(0).controller());
            assertEquals(0, specs.get(0).cell(0));
            assertEquals(4, specs.get(0).cell(2));
            irq.put(d.labels().get(0), specs.get(0).cell(1));
        }
        assertEquals(Map.of("displaydfr_dart", 504, "sio_dart", 635, "dwc3_0_dart_0", 781, "dwc3_0_dart_1", 781,
                "dwc3_1_dart_0", 861, "dwc3_1_dart_1", 861, "pcie0_dart_0", 696, "pcie0_dart_1", 699,
                "pcie0_dart_2", 702), irq);
        Map<Integer, List<String>> shared = irq.entrySet().stream().collect(Collectors.groupingBy(Map.Entry::getValue,
                TreeMap::new, Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        shared.values().removeIf(l -> l.size() < 2);
        assertEquals(Map.of(781, List.of("dwc3_0_dart_0", "dwc3_0_dart_1"), 861, List.of("dwc3_1_dart_0", "dwc3_1_dart_1")),
                shared);
    }

    @Test
    void masters() {
        List<IommuSpec> admac = DtBindings.iommus(t, node("/soc/dma-controller@238200000"));
        assertEquals(List.of(new IommuSpec(label("sio_dart"), new int[] {2})), admac);
        assertEquals(List.of(new IommuSpec(label("dwc3_0_dart_0"), new int[] {0}),
                new IommuSpec(label("dwc3_0_dart_1"), new int[] {1})), DtBindings.iommus(t, node("/soc/usb@382280000")));
        assertEquals(List.of(new IommuSpec(label("dwc3_1_dart_0"), new int[] {0}),
                new IommuSpec(label("dwc3_1_dart_1"), new int[] {1})), DtBindings.iommus(t, node("/soc/usb@502280000")));
        DtNode display = label("display_dfr");
        assertFalse(display.isAvailable());
        assertEquals(List.of(new IommuSpec(label("displaydfr_dart"), new int[] {0})), DtBindings.iommus(t, display));
        // admac wires only its second line: the <0> entries of interrupts-extended are empty
        List<IrqSpec> admacIrq = DtBindings.interrupts(t, label("admac"));
        assertEquals(List.of(new IrqSpec(label("aic"), new int[] {0, 626, 4})), admacIrq);
    }

    @Test
    void pcieIommuMap() {
        DtNode pcie = label("pcie0");
        assertEquals(List.of("apple,t8103-pcie", "apple,pcie"), pcie.compatible());
        assertEquals(0x100, DtBindings.pciRequesterId(node("/soc/pcie@690000000/pci@0,0/wifi@0,0")));
        assertEquals(0x101, DtBindings.pciRequesterId(node("/soc/pcie@690000000/pci@0,0/bluetooth@0,1")));
        assertEquals(0x300, DtBindings.pciRequesterId(node("/soc/pcie@690000000/pci@2,0/ethernet@0,0")));
        assertEquals(0x008, DtBindings.pciRequesterId(node("/soc/pcie@690000000/pci@1,0")));
        assertEquals(0x010, DtBindings.pciRequesterId(node("/soc/pcie@690000000/pci@2,0")));

        assertEquals(Optional.of(new IommuSpec(label("pcie0_dart_0"), new int[] {1})), DtBindings.mapRid(t, pcie, 0x100));
        assertEquals(Optional.of(new IommuSpec(label("pcie0_dart_0"), new int[] {1})), DtBindings.mapRid(t, pcie, 0x101));
        assertEquals(Optional.of(new IommuSpec(label("pcie0_dart_1"), new int[] {1})), DtBindings.mapRid(t, pcie, 0x200));
        assertEquals(Optional.of(new IommuSpec(label("pcie0_dart_2"), new int[] {1})), DtBindings.mapRid(t, pcie, 0x300));
        assertEquals(Optional.empty(), DtBindings.mapRid(t, pcie, 0x008));
        assertEquals(Optional.empty(), DtBindings.mapRid(t, pcie, 0x000));
        for (String l : new String[] {"pcie0_dart_0", "pcie0_dart_1", "pcie0_dart_2", "port00", "port01", "port02"}) {
            assertTrue(label(l).isAvailable(), l);
        }
        // PCI config-space reg entries are not CPU addresses
        assertEquals(List.of(), label("wifi0").reg());
        assertEquals(0x6_9000_0000L, pcie.reg().get(0).address());
    }

    @Test
    void sartIsNotADart() {
        DtNode sart = node("/soc/iommu@27bc50000");
        assertEquals(List.of("apple,t8103-sart"), sart.compatible());
        assertFalse(sart.hasProperty("#iommu-cells"));
        assertEquals(List.of(new RegRange(0x2_7bc5_0000L, 0x10000)), sart.reg());
    }

    @Test
    void powerDomainHierarchy() {
        assertEquals(List.of(label("ps_atc0_usb_aon")), DtBindings.powerDomains(t, label("ps_atc0_usb")));
        assertEquals(List.of(label("ps_atc1_usb_aon")), DtBindings.powerDomains(t, label("ps_atc1_usb")));
        assertTrue(label("ps_atc0_usb_aon").hasProperty("apple,always-on"));
        assertEquals(List.of(label("ps_sio")), DtBindings.powerDomains(t, label("ps_sio_cpu")));
        assertEquals(List.of(label("ps_apcie")), DtBindings.powerDomains(t, label("ps_apcie_gp")));
        assertEquals(List.of(label("ps_rmx")), DtBindings.powerDomains(t, label("ps_dispdfr_fe")));
        assertEquals(List.of(label("ps_dispdfr_fe"), label("ps_dispdfr_be")), DtBindings.powerDomains(t, label("display_dfr")));
        for (DtNode ps : DtBindings.compatibleNodes(t, "apple,pmgr-pwrstate")) {
            assertEquals(List.of("apple,t8103-pmgr-pwrstate", "apple,pmgr-pwrstate"), ps.compatible());
            assertEquals(0, ps.u32("#power-domain-cells", -1));
        }
    }

    @Test
    void survivesDtbRoundTrip() {
        DeviceTree back = DeviceTrees.parse("default.dtb", FdtWriter.write(t));
        TreeAssert.assertSameTree(t, back);
        assertArrayEquals(FdtWriter.write(t), FdtWriter.write(back));
    }
}
