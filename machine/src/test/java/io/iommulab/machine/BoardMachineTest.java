package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Boots the built-in default board and the real j274 DTB (when the shared folder is present). */
class BoardMachineTest {
    private static final List<String> MASTERS = List.of(
            "/soc/dma-controller@238200000",
            "/soc/usb@382280000",
            "/soc/usb@502280000",
            "/soc/pcie@690000000/pci@0,0/wifi@0,0",
            "/soc/pcie@690000000/pci@0,0/bluetooth@0,1",
            "/soc/pcie@690000000/pci@2,0/ethernet@0,0");
    /** The default board's one addition to the j274 facts: a Thunderbolt DART and its master. */
    private static final String ACIO_DART = "/soc/iommu@38b004000";
    private static final String ACIO_NHI = "/soc/thunderbolt@38a000000";

    @Test
    void defaultBoard() {
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(), Map.of());
        List<String> masters = new ArrayList<>(MASTERS);
        masters.add(2, ACIO_NHI);
        checkM1(m, 10, masters);
        IommuHardware acio = m.iommuHardware().get(4);
        assertEquals(ACIO_DART, acio.node().path());
        assertEquals("no hardware model for compatible apple,t8103-usb4-dart", acio.reason());
        DmaMaster nhi = m.master(ACIO_NHI).orElseThrow();
        assertEquals(List.of(0, 40), nhi.streams().stream().map(s -> s.sid()).toList());
        assertEquals(List.of(ACIO_DART, ACIO_DART), nhi.streams().stream().map(s -> s.iommu()).toList());
    }

    @Test
    void realJ274() throws IOException {
        String prop = System.getProperty("iommulab.shared");
        Path dtb = (prop != null ? Path.of(prop) : Path.of("../../shared")).resolve("boards/t8103-j274.dtb");
        assumeTrue(Files.isRegularFile(dtb), "real board DTB not present at " + dtb.toAbsolutePath());
        DeviceTree t = DeviceTrees.parse(dtb.getFileName().toString(), Files.readAllBytes(dtb));
        checkM1(SimMachine.boot(t, List.of(), Map.of()), 9, MASTERS);
    }

    private static void checkM1(SimMachine m, int iommus, List<String> masters) {
        List<IommuHardware> hw = m.iommuHardware();
        assertEquals(iommus, hw.size());
        assertEquals(0, m.modelledIommus());
        assertEquals("disabled", hw.get(0).reason(), "the Touch Bar display DART is off on the mini");
        List<IommuHardware> darts = hw.stream()
                .filter(h -> h.node().compatible().contains("apple,t8103-dart")).toList();
        assertEquals(9, darts.size());
        for (IommuHardware h : darts.subList(1, 9)) {
            assertEquals("no hardware model for compatible apple,t8103-dart", h.reason());
        }
        assertEquals(masters, m.masters().stream().map(DmaMaster::name).toList());
        DmaMaster wifi = m.master("/soc/pcie@690000000/pci@0,0/wifi@0,0").orElseThrow();
        DmaMaster bt = m.master("/soc/pcie@690000000/pci@0,0/bluetooth@0,1").orElseThrow();
        assertEquals(0x100, wifi.requesterId());
        assertEquals(0x101, bt.requesterId());
        assertEquals("/soc/iommu@681008000", bt.streams().get(0).iommu());
        assertEquals(1, bt.streams().get(0).sid(), "wifi and bluetooth share pcie0_dart_0 SID 1");
        DmaMaster usb = m.master("/soc/usb@382280000").orElseThrow();
        assertEquals(List.of(0, 1), usb.streams().stream().map(s -> s.sid()).toList());
        assertEquals(List.of("/soc/iommu@382f00000", "/soc/iommu@382f80000"), usb.streams().stream().map(s -> s.iommu()).toList());

        // The two USB DARTs share AIC 781.
        IrqLine a = m.irq(hw.get(2).node(), 0);
        IrqLine b = m.irq(hw.get(3).node(), 0);
        assertTrue(a == b);
        assertEquals(781, a.number());
        assertTrue(a.name().endsWith(":781"), a.name());

        // Masters are off until software powers them; powering a DART's domain works through parents.
        assertFalse(m.isPowered(usb.node()));
        m.pmDomainAttach(usb.node());
        assertTrue(m.isPowered(usb.node()));
        assertTrue(m.isPowered(hw.get(2).node()), "the DART shares ps_atc0_usb");
        assertEquals(8L << 30, m.ram().get(0).size());
    }
}
