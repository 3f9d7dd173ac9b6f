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
 * A disabled IOMMU node is no device: the board check looks only at its reg's format, so its reg
 * may not translate through the bus's ranges. The sanitizer's list of IOMMU registers read it
 * anyway, and the core failed to start on such a board ("expected an address inside a ranges
 * entry", with SCR's stack trace in the launcher: found by fuzz/mutate-boards.sh).
 */
class DisabledIommuRegsTest {

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
}
