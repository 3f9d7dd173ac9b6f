package io.iommulab.dart.model.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.DetachedSimMachine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Counting MMIO (the comparison's per-operation register costs) and closing a detached machine. */
class DetachedMachineTest {
    private static final String SIO_DART = "/soc/iommu@235004000";

    /** The default board with the sio_dart powered, as a driver's probe would leave it. */
    private static SimMachine boot(boolean counting) {
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(DartModelFactory.builtIn()),
                counting ? Map.of(MachineFactory.MMIO_COUNT_PROPERTY, "true") : Map.of());
        m.pmDomainAttach(m.deviceTree().node(SIO_DART).orElseThrow());
        return m;
    }

    @Test
    void aCountingMachineCountsEveryRegisterAccessPerIommu() {
        SimMachine m = boot(true);
        DtNode dart = m.deviceTree().node(SIO_DART).orElseThrow();
        assertEquals(0L, m.hardwareCounters(SIO_DART).get("mmio.reads"));
        MmioWindow w = m.ioremap(dart, 0);
        MmioWindow again = m.ioremap(dart, 0);
        w.readl(0);
        w.readl(4);
        again.readl(0);
        w.writel(0x20, 1);
        Map<String, Long> c = m.hardwareCounters(SIO_DART);
        assertEquals(3L, c.get("mmio.reads"), "reads through both windows onto the node");
        assertEquals(1L, c.get("mmio.writes"));
        assertEquals(0L, m.hardwareCounters("/soc/iommu@382f00000").get("mmio.reads"), "another DART counts its own");
        assertTrue(c.containsKey("iotlb.hits"), "the model's counters are still there: " + c);
    }

    @Test
    void aMachineThatDoesNotCountHasNoMmioCounters() {
        SimMachine m = boot(false);
        m.ioremap(m.deviceTree().node(SIO_DART).orElseThrow(), 0).readl(0);
        assertFalse(m.hardwareCounters(SIO_DART).containsKey("mmio.reads"));
    }

    @Test
    void closingADetachedMachineUnplugsItsHardware() {
        DetachedSimMachine d = new DetachedSimMachine(boot(true));
        DtNode dart = d.deviceTree().node(SIO_DART).orElseThrow();
        MmioWindow w = d.ioremap(dart, 0);
        w.readl(0);
        d.close();
        d.close();
        IommuException e = assertThrows(IommuException.class, () -> w.readl(0));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(d.iommuHardware().stream().allMatch(h -> h.model() == null), "no model left: " + d.iommuHardware());
    }
}
