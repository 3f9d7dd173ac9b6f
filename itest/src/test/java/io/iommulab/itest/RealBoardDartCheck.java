package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;

/**
 * A real Apple device tree (a DTB from {@code ../shared/boards}, not part of the project, so the
 * check is skipped when it is absent): every enabled DART probes as t8103, every master behind one
 * gets its group and default domain, and DMA through every master works after a map and faults before.
 */
final class RealBoardDartCheck {

    private RealBoardDartCheck() {
    }

    /** The shared folder: {@code -Diommulab.shared=<dir>} or {@code ../../shared} from the module directory. */
    static Path board(String dtb) {
        String prop = System.getProperty("iommulab.shared");
        Path shared = prop != null ? Path.of(prop) : Path.of("../../shared");
        return shared.resolve("boards").resolve(dtb);
    }

    static void check(BundleContext context, MachineFactory factory, String dtb) throws IOException, InterruptedException {
        Path file = board(dtb);
        assumeTrue("real board not present at " + file.toAbsolutePath(), Files.isRegularFile(file));
        Machine m = factory.boot(file.toString(), Files.readAllBytes(file));
        IommuService iommu = Container.service(context, IommuService.class);
        DmaApi dma = Container.service(context, DmaApi.class);
        Container.await(() -> "every DART and master of " + dtb + " to probe; " + DartChecks.describe(iommu),
                () -> DartChecks.allProbed(iommu, m));
        int enabled = 0;
        for (IommuNodeDTO n : DartChecks.darts(iommu)) {
            if (!"disabled".equals(n.state())) {
                enabled++;
                assertTrue(n.node() + " is an M1 DART: " + n.compatible(), n.compatible().contains("apple,t8103-dart"));
            }
        }
        assertTrue(dtb + " has enabled DARTs", enabled >= 7);
        DartChecks.checkTopology(iommu, m);
        int pairs = DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);
        assertTrue(dtb + ": DMA checked on " + pairs + " (master, stream) pairs", pairs >= 4);
        assertEquals("no DART failed", 0, iommu.iommus().stream().filter(n -> "failed".equals(n.state())).count());
    }
}
