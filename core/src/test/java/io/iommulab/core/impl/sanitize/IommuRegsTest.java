package io.iommulab.core.impl.sanitize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import io.iommulab.api.dt.DeviceTree;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sanitizer lists the IOMMUs' register windows once, when the core starts; a node whose reg is
 * no CPU address has none. It read every IOMMU node's reg, and the core failed to start on boards
 * the board check accepts (with SCR's stack trace in the launcher).
 */
class IommuRegsTest {

    /**
     * A disabled IOMMU node is no device: the board check looks only at its reg's format, so its
     * reg may not translate through the bus's ranges ("expected an address inside a ranges entry":
     * found by fuzz/mutate-boards.sh).
     */

    @Test
    void coreStartsWhenADisabledIommusRegIsNoCpuAddress() {
        String dts = new String(TestBoards.t6022Dts(), StandardCharsets.UTF_8);
        String disabled = "reg = <0x5 0x96000000 0x0 0x4000>;";
        assertEquals(2, dts.split(java.util.regex.Pattern.quote(disabled), -1).length, "the disabled pcie0_dart_2 of die 0");
        DeviceTree tree = DeviceTrees.parse("t6022-bad-reg.dts",
                dts.replaceFirst(java.util.regex.Pattern.quote(disabled), "reg = <0x3ff 0x96000000 0x0 0x4000>;")
                        .getBytes(StandardCharsets.UTF_8));
        BoardCheck.check(tree);
        SimMachine m = SimMachine.boot(tree, List.of(), Map.of());
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        assertEquals("disabled", e.iommus().stream().filter(i -> i.node().equals("/soc@200000000/iommu@596000000"))
                .findFirst().orElseThrow().state());
        e.setSanitizer(true);
        e.shutdown();
    }

    /**
     * Under a bus without ranges, reg is no CPU address (Linux's of_translate_address stops there)
     * and the board check does not take it for one: such a board boots, its IOMMUs without
     * registers on the bus (found by the boot fuzz target, {@code crash-soc-without-ranges}).
     */
    @Test
    void coreStartsWhenTheIommusBusHasNoRanges() {
        String dts = new String(TestBoards.testkitDts(), StandardCharsets.UTF_8);
        assertEquals(2, dts.split("\n\t\tranges;\n", -1).length, "the testkit's soc ranges");
        DeviceTree tree = DeviceTrees.parse("no-ranges.dts", dts.replace("\n\t\tranges;\n", "\n").getBytes(StandardCharsets.UTF_8));
        BoardCheck.check(tree);
        SimMachine m = SimMachine.boot(tree, List.of(new io.iommulab.testiommu.model.TestIommuModelFactory()), Map.of());
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        e.addDriver(new io.iommulab.testiommu.impl.TestIommuDriver());
        assertEquals(3, e.iommus().size());
        e.setSanitizer(true);
        e.shutdown();
    }
}
