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

    @Test
    void defaultBoard() {
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(), Map.of());
        checkM1(m);
    }

    @Test
    void realJ274() throws IOException {
        String prop = System.getProperty("iommulab.shared");
        Path dtb = (prop != null ? Path.of(prop) : Path.of("../../shared")).resolve("boards/t8103-j274.dtb");
        assumeTrue(Files.isRegularFile(dtb), "real board DTB not present at " + dtb.toAbsolutePath());
        DeviceTree t = DeviceTrees.parse(dtb.getFileName().toString(), Files.readAllBytes(dtb));
        checkM1(SimMachine.boot(t, List.of(), Map.of()));
    }

    private static void checkM1(SimMachine m) {
        List<IommuHardware> hw = m.iommuHardware();
        assertEquals(9, hw.size());
        assertEquals(0, m.modelledIommus());
        assertEquals("disabled", hw.get(0).reason(), "the Touch Bar display DART is off on the mini");
        for (IommuHardware h : hw.subList(1, 9)) {
            assertEquals("no hardware model for compatible apple,t8103-dart", h.reason());
        }
        assertEquals(MASTERS, m.masters().stream().map(DmaMaster::name).toList());
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
        m.powerOn(usb.node());
        assertTrue(m.isPowered(usb.node()));
        assertTrue(m.isPowered(hw.get(2).node()), "the DART shares ps_atc0_usb");
        assertEquals(8L << 30, m.ram().get(0).size());
    }
}
