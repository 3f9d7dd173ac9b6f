package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.Prot;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A driver that arrives before its hardware model (bundle start order) waits for it; unplugging releases. */
class HardwareHotplugTest {

    private static IommuNodeDTO node(IommuCoreEngine e, String path) {
        return e.iommus().stream().filter(n -> n.node().equals(path)).findFirst().orElseThrow();
    }

    private static DeviceDTO dev(IommuCoreEngine e, String path) {
        return e.devices().stream().filter(d -> d.node().equals(path)).findFirst().orElseThrow();
    }

    @Test
    void driverWaitsForHardwareThenReleasesWhenItGoes() {
        SimMachine m = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()), List.of(), Map.of());
        long baseline = m.pages().pagesInUse();
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        e.addDriver(new TestIommuDriver());

        IommuNodeDTO n = node(e, IOMMU0);
        assertEquals("deferred", n.state());
        assertTrue(n.reason().startsWith("no hardware model"), n.reason());
        assertEquals("deferred", dev(e, DEV_A).state());
        // the driver is there: the master waits for the hardware, not for a driver
        assertEquals("waiting for the hardware of " + IOMMU0 + " (" + n.reason() + ")", dev(e, DEV_A).reason());

        TestIommuModelFactory factory = new TestIommuModelFactory();
        m.addModelFactory(factory);
        e.hardwareChanged();
        assertEquals("probed", node(e, IOMMU0).state());
        assertEquals("probed", dev(e, DEV_A).state());
        e.domainOf(DEV_A).map(0x10000, BUF, 0x1000, Prot.READ | Prot.WRITE);
        assertTrue(m.master(DEV_A).orElseThrow().read(0, 0x10000, 16).ok());
        assertTrue(m.pages().pagesInUse() > baseline);

        m.removeModelFactory(factory);
        e.hardwareChanged();
        assertEquals("deferred", node(e, IOMMU0).state());
        DeviceDTO a = dev(e, DEV_A);
        assertEquals("deferred", a.state());
        assertEquals("waiting for the hardware of " + IOMMU0 + " (" + node(e, IOMMU0).reason() + ")", a.reason(),
                "unplugged: the driver stays, the master waits for the hardware");
        assertNull(a.group());
        assertEquals(baseline, m.pages().pagesInUse(), "page tables of released domains are freed");

        m.addModelFactory(factory);
        e.hardwareChanged();
        assertEquals("probed", dev(e, DEV_A).state(), "hardware back: probed again");
    }
}
