package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.RamRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimMachineTest {
    private static final String IOMMU0 = "/soc/iommu@100000";
    private static final String IOMMU1 = "/soc/iommu@110000";
    private static final long WINDOW = 0x10000;

    private final DeviceTree tree = TestBoards.load("test-board.dts");
    private final TestIommu.Factory factory = new TestIommu.Factory(TestBoards.RAM);
    private final SimMachine machine = SimMachine.boot(tree, List.of(factory, new TestIommu.Failing()), Map.of());

    private DtNode node(String path) {
        return tree.node(path).orElseThrow();
    }

    private MmioWindow enable(String iommu) {
        machine.pmDomainAttach(node(iommu));
        MmioWindow w = machine.ioremap(node(iommu), 0);
        w.writel(TestIommu.CTRL, TestIommu.CTRL_ENABLE);
        return w;
    }

    @Test
    void ramAndAllocatorFromMemoryNode() {
        assertEquals(List.of(new RamRegion(TestBoards.RAM, 64L << 20)), machine.ram());
        assertTrue(machine.memory().isRam(TestBoards.RAM));
        long pa = machine.pages().allocPages(0, "t");
        assertTrue(pa >= TestBoards.RAM + (32L << 20), "software pages come from the upper half");
        assertEquals(1, machine.pages().pagesInUse());
        machine.pages().freePages(pa);
    }

    @Test
    void iommuHardwareInDtOrderWithReasons() {
        List<IommuHardware> hw = machine.iommuHardware();
        assertEquals(List.of(IOMMU0, IOMMU1, "/soc/iommu@120000", "/soc/iommu@130000", "/soc/iommu@140000"),
                hw.stream().map(h -> h.node().path()).toList());
        assertEquals("test-iommu", hw.get(0).model());
        assertNull(hw.get(0).reason());
        assertEquals("test-iommu", hw.get(1).model());
        assertEquals("disabled", hw.get(2).reason());
        assertNull(hw.get(2).model());
        assertEquals("no hardware model for compatible vendor,unknown-iommu", hw.get(3).reason());
        assertEquals("refuses to start: locked by firmware", hw.get(4).reason());
        assertEquals(2, machine.modelledIommus());
        assertEquals(2, machine.bus().blocks().size(), "the failing model's block was unmapped again");
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class,
                () -> machine.ioremap(node("/soc/iommu@140000"), 0)).errno());
    }

    @Test
    void hardwareCountersAreTheModelsOwn() {
        enable(IOMMU0);
        DmaMaster dma = machine.master("/soc/dma@200000").orElseThrow();
        assertEquals(Map.of("translations", 0L), machine.hardwareCounters(IOMMU0));
        dma.read(0, 0x40, 4);
        assertEquals(Map.of("translations", 1L), machine.hardwareCounters(IOMMU0));
        assertEquals(Map.of(), machine.hardwareCounters("/soc/iommu@120000"), "disabled node: no model");
        IommuException e = assertThrows(IommuException.class, () -> machine.hardwareCounters("/soc/nothing"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("/soc/nothing"), e.getMessage());
    }

    @Test
    void hardwareWalkNamesWhatHasNoWalk() {
        IommuException none = assertThrows(IommuException.class, () -> machine.hardwareWalk(IOMMU0, 0, 0x40));
        assertEquals(Errno.EOPNOTSUPP, none.errno(), "a model that offers no walk");
        assertTrue(none.getMessage().contains(IOMMU0), none.getMessage());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class,
                () -> machine.hardwareWalk("/soc/iommu@120000", 0, 0x40)).errno(), "disabled node: no model");
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class,
                () -> machine.hardwareWalk("/soc/nothing", 0, 0x40)).errno());
    }

    @Test
    void modelOptionsFromNodeAndMachineProperties() {
        assertEquals(Map.of("window", "0x10000", "flavour", "plain"), factory.options.get(IOMMU0));
        TestIommu.Factory f2 = new TestIommu.Factory(TestBoards.RAM);
        SimMachine.boot(tree, List.of(f2), Map.of("iommulab.model." + IOMMU0 + ".window", "0x20000",
                "iommulab.model." + IOMMU1 + ".locked", "true", "unrelated", "x"));
        assertEquals(Map.of("window", "0x20000", "flavour", "plain"), f2.options.get(IOMMU0));
        assertEquals(Map.of("locked", "true"), f2.options.get(IOMMU1));
    }

    @Test
    void mastersFromIommusAndIommuMap() {
        List<String> names = machine.masters().stream().map(DmaMaster::name).toList();
        assertEquals(List.of("/soc/dma@200000", "/soc/usb@210000",
                "/soc/pcie@300000/pci@0,0/ethernet@0,0", "/soc/pcie@300000/pci@0,0/ethernet@0,1"), names,
                "disabled masters, root ports and unmapped functions are absent");
        DmaMaster usb = machine.master("/soc/usb@210000").orElseThrow();
        assertEquals(2, usb.streams().size());
        assertEquals(IOMMU0, usb.streams().get(0).iommu());
        assertEquals(4, usb.streams().get(0).sid());
        assertEquals(IOMMU1, usb.streams().get(1).iommu());
        assertEquals(5, usb.streams().get(1).sid());
        assertEquals(-1, usb.requesterId());
        DmaMaster fn1 = machine.master("/soc/pcie@300000/pci@0,0/ethernet@0,1").orElseThrow();
        assertEquals(0x101, fn1.requesterId());
        assertEquals(IOMMU1, fn1.streams().get(0).iommu());
        assertEquals(9, fn1.streams().get(0).sid(), "rid 0x101 - 0x100 + 8");
        assertTrue(machine.master("/soc/pcie@300000/pci@1,0/storage@0,0").isEmpty());
    }

    @Test
    void dmaGoesThroughTheModel() {
        enable(IOMMU0);
        DmaMaster dma = machine.master("/soc/dma@200000").orElseThrow();
        machine.pmDomainAttach(dma.node());
        byte[] data = new byte[0x2345];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i ^ 0x5a);
        }
        long iova = 0x0ff0;
        DmaResult w = dma.write(0, iova, data);
        assertTrue(w.ok(), String.valueOf(w.fault()));
        assertEquals(data.length, w.bytes());
        long pa = TestBoards.RAM + 3 * WINDOW + iova;
        byte[] back = new byte[data.length];
        machine.memory().read(pa, back, 0, back.length);
        assertArrayEquals(data, back, "the model put sid 3 at RAM + 3 * window");
        DmaResult r = dma.read(0, iova, data.length);
        assertTrue(r.ok());
        assertArrayEquals(data, r.data());
        assertEquals(8, factory.models.get(IOMMU0).translations.get(), "4 chunks each way: split at the model's 4 KiB spans");
    }

    @Test
    void faultStopsTheRequestAndRaisesTheInterrupt() {
        MmioWindow w0 = enable(IOMMU0);
        MmioWindow w1 = enable(IOMMU1);
        DmaMaster dma = machine.master("/soc/dma@200000").orElseThrow();
        machine.pmDomainAttach(dma.node());
        // Both test IOMMUs share aic:10; each driver handler answers only for its own STATUS.
        IrqLine line0 = machine.irq(node(IOMMU0), 0);
        IrqLine line1 = machine.irq(node(IOMMU1), 0);
        assertTrue(line0 == line1, "same cells, same line");
        assertEquals("aic:10", line0.name());
        assertEquals(10, line0.number());
        List<String> seen = new ArrayList<>();
        line0.request("iommu0", irq -> {
            int st = w0.readl(TestIommu.STATUS);
            if ((st & TestIommu.STATUS_FAULT) == 0) {
                return IrqReturn.NONE;
            }
            seen.add(String.format("iommu0 sid %d iova 0x%x", w0.readl(TestIommu.FAULT_SID), w0.readl(TestIommu.FAULT_ADDR)));
            w0.writel(TestIommu.STATUS, TestIommu.STATUS_FAULT);
            return IrqReturn.HANDLED;
        }, true);
        line1.request("iommu1", irq -> (w1.readl(TestIommu.STATUS) & TestIommu.STATUS_FAULT) != 0 ? IrqReturn.HANDLED : IrqReturn.NONE, true);

        DmaResult r = dma.read(0, WINDOW - 0x800, 0x1000);
        assertFalse(r.ok());
        assertEquals(0x800, r.bytes(), "bytes before the fault");
        assertEquals(0x800, r.data().length);
        assertEquals(IOMMU0, r.iommu());
        assertEquals(3, r.sid());
        assertEquals(WINDOW, r.iova());
        assertEquals("iova 0x10000 outside window", r.fault());
        assertEquals(List.of("iommu0 sid 3 iova 0x10000"), seen);
        assertEquals(0, w0.readl(TestIommu.STATUS), "the handler cleared the w1c bit");
        assertEquals(1, line0.raisedCount());
        assertEquals(0, line0.unhandledCount());
    }

    @Test
    void dmaRefusedWhileMasterIsPoweredOffOrWithoutModel() {
        enable(IOMMU0);
        DmaMaster dma = machine.master("/soc/dma@200000").orElseThrow();
        // The IOMMU shares ps_dev with the master: enabling it powered the master too. Unbinding
        // the IOMMU lets go of ps_dev, and nothing else needs it: the master is off again.
        machine.pmDomainDetach(node(IOMMU0));
        DmaResult r = dma.write(0, 0, new byte[16]);
        assertFalse(r.ok());
        assertEquals("master /soc/dma@200000 is powered off", r.fault());
        assertEquals(0, r.bytes());

        machine.removeModelFactory(factory);
        DmaMaster usb = machine.master("/soc/usb@210000").orElseThrow();
        r = usb.read(1, 0, 8);
        assertFalse(r.ok());
        assertEquals("no hardware model for " + IOMMU1, r.fault());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> usb.read(0, 0, 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> usb.read(0, 0, -1)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> usb.read(2, 0, 8)).errno());
    }

    @Test
    void busErrorWhenTheModelTranslatesOutsideRam() {
        TestIommu.Factory wild = new TestIommu.Factory(0x1000_0000L);
        SimMachine m = SimMachine.boot(tree, List.of(wild), Map.of());
        m.pmDomainAttach(node(IOMMU1));
        m.ioremap(node(IOMMU1), 0).writel(TestIommu.CTRL, TestIommu.CTRL_ENABLE);
        DmaMaster usb = m.master("/soc/usb@210000").orElseThrow();
        DmaResult r = usb.write(1, 0x10, new byte[4]);
        assertFalse(r.ok());
        assertTrue(r.fault().startsWith("bus error at PA 0x"), r.fault());
    }

    @Test
    void pciFunctionsShareTheirBridgesPower() {
        enable(IOMMU1);
        DmaMaster nic = machine.master("/soc/pcie@300000/pci@0,0/ethernet@0,0").orElseThrow();
        assertFalse(machine.isPowered(nic.node()), "host bridge domain is off");
        assertFalse(nic.write(0, 0, new byte[4]).ok());
        machine.pmDomainAttach(nic.node());
        assertTrue(machine.isPowered(node("/soc/pcie@300000")));
        DmaResult r = nic.write(0, 0x40, new byte[] {1, 2, 3, 4});
        assertTrue(r.ok(), r.fault());
        assertEquals(0x04030201, machine.memory().read32(TestBoards.RAM + 8 * WINDOW + 0x40));
    }

    @Test
    void mmioPowerGateNamesTheDomain() {
        MmioWindow w = machine.ioremap(node(IOMMU0), 0);
        IommuException e = assertThrows(IommuException.class, () -> w.readl(TestIommu.ID));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains(IOMMU0 + ": register access at offset 0x10 while power domain "
                + "/soc/power-management@23b700000/power-controller@108 is off"), e.getMessage());
        machine.pmDomainAttach(node(IOMMU0));
        assertEquals(TestIommu.ID_VALUE, w.readl(TestIommu.ID));
        assertTrue(machine.powerDomains().byPath("/soc/power-management@23b700000/power-controller@108").isOn());
        // ps_dev's parent ps_top came up first and stays on while ps_dev is: genpd refuses to
        // switch it off under its on subdomain, and nothing changes.
        e = assertThrows(IommuException.class, () -> machine.powerDomains()
                .switchOff("/soc/power-management@23b700000/power-controller@100"));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("subdomain /soc/power-management@23b700000/power-controller@108 is on"), e.getMessage());
        assertEquals(TestIommu.ID_VALUE, w.readl(TestIommu.ID));
        // The device unbound: ps_dev, then ps_top, go off and the block is gated again.
        machine.pmDomainDetach(node(IOMMU0));
        e = assertThrows(IommuException.class, () -> w.readl(0));
        assertTrue(e.getMessage().contains("power-controller@108 is off"), e.getMessage());
        assertFalse(machine.powerDomains().byPath("/soc/power-management@23b700000/power-controller@100").isOn());
        // An always-on domain needs nothing, and cannot be switched off.
        assertEquals(TestIommu.ID_VALUE, machine.ioremap(node(IOMMU1), 0).readl(TestIommu.ID));
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> machine.powerDomains()
                .switchOff("/soc/power-management@23b700000/power-controller@110")).errno());
    }

    @Test
    void ioremapAndIrqErrors() {
        MmioWindow w = machine.ioremap(node(IOMMU1), 0);
        assertEquals(0x110000, w.base());
        assertEquals(0x4000, w.size());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> w.readl(0x4000)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> w.writel(2, 0)).errno());
        assertEquals(0, w.readl(0x3000), "undeclared register reads as zero");
        IommuException e = assertThrows(IommuException.class, () -> machine.ioremap(node("/soc/iommu@130000"), 0));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("/soc/iommu@130000"), e.getMessage());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> machine.ioremap(node(IOMMU1), 1)).errno());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> machine.irq(node(IOMMU1), 1)).errno());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> machine.irq(node("/soc/iommu@130000"), 0)).errno());
        // a power-controller's reg is an offset into its PMGR, which has no ranges: no MMIO window at 0x100
        DeviceTreeException offset = assertThrows(DeviceTreeException.class,
                () -> machine.ioremap(node("/soc/power-management@23b700000/power-controller@100"), 0));
        assertTrue(offset.getMessage().contains("reg: expected a CPU address, found none: /soc/power-management@23b700000 has no ranges"),
                offset.getMessage());
    }

    @Test
    void modelsArriveAndLeaveWithTheirFactories() {
        SimMachine m = SimMachine.boot(tree, List.of(), Map.of());
        assertEquals(0, m.modelledIommus());
        assertTrue(m.iommuHardware().get(0).reason().startsWith("no hardware model for compatible iommulab,test-iommu-v2"));
        DmaMaster usb = m.master("/soc/usb@210000").orElseThrow();
        assertEquals("no hardware model for " + IOMMU1, usb.read(1, 0, 4).fault());
        assertThrows(IommuException.class, () -> m.ioremap(node(IOMMU1), 0));

        TestIommu.Factory late = new TestIommu.Factory(TestBoards.RAM);
        m.addModelFactory(late);
        assertEquals(2, m.modelledIommus(), "hardware plugged in");
        MmioWindow w = m.ioremap(node(IOMMU1), 0);
        w.writel(TestIommu.CTRL, TestIommu.CTRL_ENABLE);
        assertTrue(usb.read(1, 0, 4).ok(), "existing masters see the new model");

        m.removeModelFactory(late);
        assertEquals(0, m.modelledIommus());
        assertTrue(m.iommuHardware().get(1).reason().startsWith("model removed"), m.iommuHardware().get(1).reason());
        assertEquals(Errno.EIO, assertThrows(IommuException.class, () -> w.readl(0)).errno(), "block unmapped");
        assertTrue(m.bus().blocks().isEmpty());

        TestIommu.Factory again = new TestIommu.Factory(TestBoards.RAM);
        m.addModelFactory(again);
        assertEquals(0, w.readl(TestIommu.CTRL), "the old window reaches the new block, at reset");
        assertEquals(TestIommu.ID_VALUE, w.readl(TestIommu.ID));
    }

    @Test
    void mostSpecificCompatibleWins() {
        TestIommu.Factory generic = new TestIommu.Factory(TestBoards.RAM);
        TestIommu.Factory v2 = new TestIommu.Factory(TestBoards.RAM) {
            @Override
            public String name() {
                return "test-iommu-v2";
            }

            @Override
            public List<String> compatibles() {
                return List.of("iommulab,test-iommu-v2");
            }
        };
        SimMachine m = SimMachine.boot(tree, List.of(generic, v2), Map.of());
        assertEquals("test-iommu-v2", m.iommuHardware().get(0).model());
        assertEquals("test-iommu", m.iommuHardware().get(1).model());
    }

    @Test
    void malformedMasterRefusesTheBoard() {
        // It used to be logged and left out: a master that silently vanishes looks like a working board.
        DeviceTree t = TestBoards.parse("""
                /dts-v1/;
                / {
                    #address-cells = <2>;
                    #size-cells = <2>;
                    memory@800000000 { device_type = "memory"; reg = <0x8 0x0 0x0 0x4000000>; };
                    iommu: iommu@100000 { reg = <0x0 0x100000 0x0 0x10000>; #iommu-cells = <1>; };
                    dma@220000 { reg = <0x0 0x220000 0x0 0x1000>; iommus = <&iommu>; };
                };
                """);
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> SimMachine.boot(t, List.of(), Map.of()));
        assertEquals("/dma@220000", e.where());
        assertTrue(e.getMessage().contains("iommus entry 0 expected 1 argument cell(s) for /iommu@100000"), e.getMessage());
    }

    @Test
    void boardWithoutMemoryFailsToBoot() {
        DeviceTree t = TestBoards.parse("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; soc { }; };");
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> SimMachine.boot(t, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("no memory"), e.getMessage());
    }

    @Test
    void pagesAreZeroedRam() {
        long pa = machine.pages().allocPages(3, "t");
        assertEquals(0, pa % (PageAllocator.PAGE_SIZE << 3));
        for (int i = 0; i < (PageAllocator.PAGE_SIZE << 3); i += 8) {
            assertEquals(0, machine.memory().read64(pa + i));
        }
    }
}
