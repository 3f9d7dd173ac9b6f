package io.iommulab.compare.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.PatternResult;
import io.iommulab.compare.workload.Workload;
import io.iommulab.compare.workload.WorkloadParser;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The comparison on boards other than the default one: our fixtures of other Apple SoCs (t6000 with
 * an audio DMA controller on two DARTs, t8112 with four PCIe port DARTs, t6020 with four-level
 * T8110 DARTs, two-die t6002 whose dies have the same node names), and the real M1 trees when they
 * are beside the project. Each backend runs under its lab's DMA sanitizer, which must find nothing.
 */
class OtherBoardsTest {
    private static final Workload SMALL = WorkloadParser.parse("small", """
            stream 16K count=3
            sg 4K,64K count=2 dir=from-device
            random min=100 max=20K count=3
            fault
            """);

    static Stream<Arguments> boards() {
        return Stream.of(
                Arguments.of("iommulab-t6000", DeviceTrees.parse("iommulab-t6000.dts", TestBoards.t6000Dts())),
                Arguments.of("iommulab-t8112", DeviceTrees.parse("iommulab-t8112.dts", TestBoards.t8112Dts())),
                Arguments.of("iommulab-t6020", DeviceTrees.parse("iommulab-t6020.dts", TestBoards.t6020Dts())),
                Arguments.of("iommulab-t6002", DeviceTrees.parse("iommulab-t6002.dts", TestBoards.t6002Dts())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boards")
    void everyMasterRunsOnBothBackendsWithVerifiedData(String name, DeviceTree board) {
        check(board);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realBoards")
    void realM1Trees(String file) throws Exception {
        Path p = Path.of("..", "..", "shared", "boards", file);
        assumeTrue(Files.isReadable(p), p + " is not beside the project");
        check(DeviceTrees.parse(file, Files.readAllBytes(p)));
    }

    static Stream<String> realBoards() {
        return Stream.of("t8103-j274.dtb", "t8103-j293.dtb");
    }

    private static void check(DeviceTree board) {
        Comparison c = Stack.dartAndSmmu().comparator().compare(board, SMALL, List.of());
        assertEquals(2, c.backends().size());
        Set<String> masters = null;
        for (BackendRun r : c.backends()) {
            assertNull(r.error(), r.backend() + ": " + r.error());
            Set<String> probed = new TreeSet<>();
            for (DeviceDTO d : r.devices()) {
                assertEquals("probed", d.state(), r.backend() + ": " + d.node() + ": " + d.reason());
                probed.add(d.node());
            }
            if (masters == null) {
                masters = probed;
            } else {
                assertEquals(masters, probed, "the same masters behind both backends");
            }
            for (PatternResult p : r.patterns()) {
                assertEquals(0, p.dataErrors(), r.backend() + " " + p.name());
                assertTrue(p.verifiedBytes() > 0, r.backend() + " " + p.name());
            }
            assertEquals(1, r.faults().get(0).reported(), r.backend() + ": the injected fault is reported once");
            // every backend's lab runs the DMA sanitizer (the comparison's default): it checked every transfer, found nothing
            SanitizerDTO s = r.sanitizer();
            assertNotNull(s, r.backend() + ": the comparison ran the DMA sanitizer");
            assertEquals(0, s.total(), r.backend() + ": " + s.tally() + " " + s.history());
            assertTrue(s.transactions() > 0, r.backend() + ": transactions checked");
        }
    }
}
