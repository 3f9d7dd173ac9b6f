package io.iommulab.compare.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.compare.run.Stack;
import io.iommulab.lib.cmdline.CommandUsage;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code iommu:compare}, {@code iommu:backends} and {@code iommu:twin} with their options as Gogo binds them. */
class CompareCommandsTest {

    final Stack stack = Stack.dartAndSmmu();
    final CompareCommands commands = new CompareCommands(stack.machines(), stack.labs);

    @Test
    void everyCommandAndParameterIsDescribed() {
        assertEquals(List.of(), CommandUsage.undescribed(CompareCommands.class));
    }

    @Test
    void twinOfTheBoardGivenByOptionIsWrittenAsADtb(@TempDir Path dir) throws Exception {
        Path board = Files.write(dir.resolve("testkit.dts"), TestBoards.testkitDts());
        Path out = dir.resolve("twin.dtb");
        String said = commands.twin(board.toString(), "arm-smmu-v2", out.toString());
        assertTrue(said.startsWith("wrote " + out + " ("), said);
        DeviceTree twin = DeviceTrees.parse(out.toString(), Files.readAllBytes(out));
        assertFalse(twin.allNodes().stream().filter(n -> n.compatible().contains("arm,smmu-v2")).toList().isEmpty(),
                "its IOMMUs are SMMUs");
    }

    @Test
    void withoutTheOptionTheBootedBoardIsNeeded(@TempDir Path dir) {
        IommuException e = assertThrows(IommuException.class,
                () -> commands.twin("", "arm-smmu-v2", dir.resolve("twin.dtb").toString()));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("ENODEV: no machine booted: boot a board or give --board FILE", e.getMessage());
        assertFalse(Files.exists(dir.resolve("twin.dtb")));
    }

    @Test
    void aReportFormatOtherThanHtmlOrMdIsRefusedBeforeAnythingRuns() {
        IommuException e = assertThrows(IommuException.class,
                () -> commands.compare(null, "", "", "", "out", "pdf", false));
        assertEquals("EINVAL: --format: expected html or md, found pdf", e.getMessage());
    }

    @Test
    void backendsAreTheInstalledTwinModels() {
        assertEquals(String.join(System.lineSeparator(), stack.machines().twinModels()), commands.backends());
        assertTrue(commands.backends().contains("arm-smmu-v2"), commands.backends());
    }
}
