package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

/**
 * The {@code iommu:} commands on a two-die tree (testkit's t6002 board), where both dies have a
 * {@code usb@702280000}: a name that fits both is refused listing both, a path suffix with the die
 * or a label picks one, and every listing shows full paths.
 */
class TwoDieNamesTest {

    static final String USB0 = "/soc@200000000/usb@702280000";
    static final String USB1 = "/soc@2200000000/usb@702280000";

    final SimMachine machine = SimMachine.boot(DeviceTrees.parse("t6002.dts", TestBoards.t6002Dts()), List.of(), Map.of());
    final IommuCoreEngine engine = new IommuCoreEngine(machine, CoreConfig.defaults());
    final IommuCommands cmd = IommuCommands.over(engine);

    @Test
    void aNameBothDiesHaveIsRefusedListingBoth() {
        IommuException e = assertThrows(IommuException.class, () -> cmd.attach("usb@702280000", "identity"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: device name 'usb@702280000' is ambiguous: " + USB0 + ", " + USB1, e.getMessage());
        for (String name : List.of("usb@702280000", "usb")) {
            e = assertThrows(IommuException.class, () -> cmd.attach(name, "identity"));
            assertTrue(e.getMessage().contains(USB0 + ", ") && e.getMessage().contains(USB1), e.getMessage());
            assertThrows(IommuException.class, () -> cmd.map(name, "0", "0x10000000000", "16K"));
            assertThrows(IommuException.class, () -> cmd.dma(name, "read", "0", "4"));
        }
    }

    @Test
    void theDieOrALabelPicksOne() {
        assertEquals(USB1, engine.device("soc@2200000000/usb@702280000").node());
        assertEquals(USB1, engine.device("dwc3_0_die1").node());
        assertEquals(USB0, engine.device("&dwc3_0").node());
        assertEquals(USB0, engine.canonicalName(USB0));
        assertEquals("/soc@200000000/dma-controller@39b400000", engine.canonicalName("dma-controller@39b400000"),
                "a name only one die has stays short");
        // no driver here: the die-1 master is found, and is not probed
        IommuException e = assertThrows(IommuException.class, () -> cmd.attach("soc@2200000000/usb@702280000", "identity"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().startsWith("ENODEV: device " + USB1 + " is deferred"), e.getMessage());
    }

    @Test
    void listingsShowFullPaths() {
        List<DeviceDTO> devs = cmd.devices();
        List<String> names = devs.stream().map(DeviceDTO::node).toList();
        assertEquals(names.size(), Set.copyOf(names).size(), "every device listed once, by its full path: " + names);
        assertTrue(names.containsAll(List.of("/soc@200000000/dma-controller@39b400000", USB0, USB1)), names.toString());
        DeviceDTO usb1 = devs.get(names.indexOf(USB1));
        assertEquals("/soc@2200000000/iommu@702f80000", usb1.iommus().get(1).iommu());
        String table = new DtoConverter().format(devs, Converter.INSPECT, null).toString();
        List<String> lines = table.lines().toList();
        String row0 = lines.stream().filter(l -> l.startsWith(USB0 + " ")).findFirst().orElseThrow(() -> new AssertionError(table));
        String row1 = lines.stream().filter(l -> l.startsWith(USB1 + " ")).findFirst().orElseThrow(() -> new AssertionError(table));
        assertTrue(row0.contains("/soc@200000000/iommu@702f00000:0"), table);
        assertTrue(row1.contains("/soc@2200000000/iommu@702f80000:1"), table);
        List<String> iommus = cmd.iommus().stream().map(n -> n.node()).toList();
        assertTrue(iommus.containsAll(List.of("/soc@200000000/iommu@702f00000", "/soc@2200000000/iommu@702f00000")), iommus.toString());
        assertEquals(iommus.size(), Set.copyOf(iommus).size());
    }
}
