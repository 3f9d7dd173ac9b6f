package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.shell.MachineCommands;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

/** {@code machine:iotlb}: the models' IOTLB entries through the machine's debug port, as a tool reads them. */
class MachineIotlbTest {
    private static final String IOMMU0 = "/soc/iommu@100000";
    private static final long WINDOW = 0x10000;

    private final SimMachine machine = SimMachine.boot(TestBoards.load("test-board.dts"),
            List.of(new TestIommu.Factory(TestBoards.RAM), new TestIommu.Failing()), Map.of());
    private final MachineCommands cmd = MachineCommands.over(machine);

    @Test
    void entriesAppearWhenAStreamCachesAndGoWithTheInvalidation() {
        assertEquals(new IotlbDTO(IOMMU0, "test-iommu", List.of()), cmd.iotlb("test_iommu0"), "nothing cached yet");
        machine.pmDomainAttach(machine.deviceTree().node(IOMMU0).orElseThrow());
        MmioWindow w = machine.ioremap(machine.deviceTree().node(IOMMU0).orElseThrow(), 0);
        w.writel(TestIommu.CTRL, TestIommu.CTRL_ENABLE);
        w.writel(TestIommu.OFFSET, 0x3000);
        DmaMaster dma = machine.master("/soc/dma@200000").orElseThrow();
        dma.read(0, 0x40, 4);

        IotlbEntryDTO e = new IotlbEntryDTO(3, null, null, 0, TestBoards.RAM + 3 * WINDOW + 0x3000, WINDOW, "rw",
                List.of("/soc/dma@200000"));
        assertEquals(new IotlbDTO(IOMMU0, "test-iommu", List.of(e)), cmd.iotlb("iommu@100000"));
        assertEquals(List.of(new IotlbDTO(IOMMU0, "test-iommu", List.of(e)), new IotlbDTO("/soc/iommu@110000", "test-iommu",
                List.of())), cmd.iotlb(), "every IOMMU with a model, in DT order");

        String text = new io.iommulab.machine.shell.MachineDtoConverter().format(cmd.iotlb(IOMMU0), Converter.INSPECT, null)
                .toString();
        assertEquals("/soc/iommu@100000 (test-iommu): 1 IOTLB entry\n"
                + "TAG    IOVA  PA           SIZE     PROT  MASTERS\n"
                + "sid 3  0x0   0x800033000  0x10000  rw    /soc/dma@200000\n", text);

        w.writel(TestIommu.FLUSH, 1);
        assertEquals(List.of(), cmd.iotlb(IOMMU0).entries(), "the invalidation dropped it");
    }

    @Test
    void anUnknownIommuOrOneWithoutAModelIsRefusedNamingIt() {
        IommuException e = assertThrows(IommuException.class, () -> cmd.iotlb("iommu@999"));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("ENODEV: IOMMU iommu@999 names no IOMMU node of this board (give a path, a unique node name or path suffix,"
                + " or a label)", e.getMessage());
        e = assertThrows(IommuException.class, () -> cmd.iotlb("/soc/iommu@130000"));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("ENODEV: /soc/iommu@130000 has no hardware model (no hardware model for compatible vendor,unknown-iommu)",
                e.getMessage());
        e = assertThrows(IommuException.class, () -> cmd.iotlb("dma@200000"));
        assertEquals(Errno.ENODEV, e.errno(), "a master is no IOMMU");
    }
}
