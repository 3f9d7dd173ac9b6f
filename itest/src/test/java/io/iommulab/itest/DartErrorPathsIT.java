package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The driver's error paths against hardware that misbehaves on purpose: the default board with an
 * overlay that locks the SIO DART (as firmware can, "locked down until reboot") and makes one dwc3
 * DART's invalidation BUSY bit stick. Those two are refused with their reasons; every other DART
 * and master is unaffected.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartErrorPathsIT {

    private static final String SIO_DART = "/soc/iommu@235004000";
    private static final String STUCK_DART = "/soc/iommu@502f00000";
    private static final String ADMAC = "/soc/dma-controller@238200000";
    private static final String DWC3_1 = "/soc/usb@502280000";
    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String OVERLAY = "\n&sio_dart { iommulab,model-options = \"locked=true\"; };\n"
            + "&dwc3_1_dart_0 { iommulab,model-options = \"busy-stuck=true\"; };\n";

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory factory;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    @Test
    public void lockedDartAndStuckBusyBitAreRefusedAndNothingElseIsTouched() throws Exception {
        Machine m = factory.boot("default.dts + error overlay", (defaultBoard() + OVERLAY).getBytes(StandardCharsets.UTF_8));
        IommuService iommu = Container.service(context, IommuService.class);
        Container.await(() -> "the two broken DARTs to fail and dwc3_0 to probe; " + DartChecks.describe(iommu),
                () -> "failed".equals(node(iommu, SIO_DART).state()) && "failed".equals(node(iommu, STUCK_DART).state())
                        && "probed".equals(DartChecks.device(iommu, DWC3_0).state()));
        IommuNodeDTO locked = node(iommu, SIO_DART);
        assertTrue(locked.reason(), locked.reason().contains("DART is locked down until reboot"));
        assertTrue(locked.reason(), locked.reason().contains("EINVAL"));
        IommuNodeDTO stuck = node(iommu, STUCK_DART);
        assertTrue(stuck.reason(), stuck.reason().contains("busy bit did not clear"));
        assertTrue(stuck.reason(), stuck.reason().contains("ETIMEDOUT"));
        assertTrue(DartChecks.device(iommu, ADMAC).reason(), DartChecks.device(iommu, ADMAC).reason().contains(SIO_DART));
        assertTrue(!"probed".equals(DartChecks.device(iommu, DWC3_1).state()));
        for (IommuNodeDTO n : DartChecks.darts(iommu)) {
            if (!n.node().equals(SIO_DART) && !n.node().equals(STUCK_DART) && !"disabled".equals(n.state())) {
                assertEquals(n.node() + " " + n, "probed", n.state());
            }
        }
        assertEquals("the machine is still the one booted", m, factory.current().orElseThrow());
    }

    private static IommuNodeDTO node(IommuService iommu, String path) {
        return iommu.iommus().stream().filter(n -> n.node().equals(path)).findFirst().orElseThrow();
    }

    /** The built-in board's source, from the machine bundle. */
    private String defaultBoard() throws IOException {
        URL u = Container.installed(context, "io.iommulab.machine").getEntry("boards/default.dts");
        try (InputStream in = u.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
