package io.iommulab.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.List;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A board booted end to end as {@code machine:boot} boots it in the launcher ({@link Stack}: board
 * check, machine with every hardware model, the IOMMU core probing with the DART, usb4 DART, SMMU
 * and test-IOMMU drivers), then what the summary and the shell read of it. The input is a DTB (or
 * DTS); the seeds are the fixture boards as DTBs, whose property values the fuzzer changes.
 */
class BoardBootFuzzTest {

    static final String SOURCE = "fuzz-board.dtb";

    static List<byte[]> seeds() {
        return Seeds.dtbs();
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "")
    void boot(byte[] data) throws Exception {
        Rule.onlyProjectErrors(SOURCE, () -> {
            try (Stack s = Stack.boot(DeviceTrees.parse(SOURCE, data))) {
                s.engine.iommus();
                s.engine.devices();
                s.engine.groups();
                s.engine.domains();
                s.machine.irqLines();
            }
        });
    }
}
