package io.iommulab.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.List;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A board booted end to end as {@code machine:boot} boots it in the launcher ({@link Stack}: board
 * check, machine with every hardware model, the IOMMU core probing with the DART, usb4 DART, SMMU
 * and test-IOMMU drivers), then what the summary and the shell read of it; a board the check and
 * the machine accept must come up without any exception. The input is a DTB (or
 * DTS); the seeds are the fixture boards as DTBs, whose property values the fuzzer changes.
 */
class BoardBootFuzzTest {

    static final String SOURCE = "fuzz-board.dtb";

    static List<byte[]> seeds() {
        return Seeds.dtbs();
    }

    /**
     * The board check is the gate: what it and the machine accept must boot. Reading, checking and
     * booting the machine may refuse the board with a project exception naming it; after that the
     * core and the drivers may throw nothing at all (the launcher would lose its IOMMU core: SCR
     * fails the component).
     */
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "")
    void boot(byte[] data) throws Exception {
        SimMachine[] machine = new SimMachine[1];
        Rule.onlyProjectErrors(SOURCE, () -> machine[0] = Stack.machine(DeviceTrees.parse(SOURCE, data)));
        if (machine[0] == null) {
            return;
        }
        try (Stack s = Stack.over(machine[0])) {
            s.engine.iommus();
            s.engine.devices();
            s.engine.groups();
            s.engine.domains();
            s.machine.irqLines();
        }
    }
}
