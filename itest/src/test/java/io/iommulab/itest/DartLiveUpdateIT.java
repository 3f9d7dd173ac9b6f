package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import java.io.File;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * Live updates of the DART bundles on the default board, with DMA on every master (platform and
 * PCI) and threads mapping and unmapping all along ({@link DmaLoad}); each bundle is updated 100
 * times between two builds ({@link UpdateLoop}): the driver bundle {@code dart}, the Thunderbolt
 * variant {@code dart-usb4} (64 streams; its master's second stream is SID 40), and the page-table
 * bundle {@code pgtable} under the DART domains. And the takeovers that cannot use a record: from
 * the previous release, whose driver predates the live update and hands over none, and from a build
 * whose record is of a version this code does not know; both read the running state from the
 * hardware.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartLiveUpdateIT extends OnBootedBoard {

    static final int UPDATES = 100;
    private static final UpdateLoop.Target DART = new UpdateLoop.Target("dart", "io.iommulab.dart", false);
    private static final UpdateLoop.Target USB4 = new UpdateLoop.Target("dart-usb4", "io.iommulab.dart.usb4", false);
    private static final UpdateLoop.Target PGTABLE = new UpdateLoop.Target("pgtable", "io.iommulab.pgtable", true);
    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String ADMAC = "/soc/dma-controller@238200000";
    private static final String NHI = "/soc/thunderbolt@38a000000";
    private static final File LOG = new File("target/dart-live-update-it.log");

    public DartLiveUpdateIT() {
        super(LOG, false);
    }

    /** @return every probed master: the platform devices and the PCI functions */
    private List<String> masters() {
        List<String> out = iommu.devices().stream().filter(d -> "probed".equals(d.state())).map(DeviceDTO::node).toList();
        assertTrue("platform and PCI masters: " + out, out.contains(DWC3_0) && out.contains(NHI)
                && out.stream().anyMatch(n -> n.contains("/pci@")));
        return out;
    }

    /** Runs the 100 updates under the load, then checks that DMA works as before through every master. */
    private void hundredUpdates(UpdateLoop.Target target, DmaLoad load, String master) throws Exception {
        UpdateLoop.alternateUnder(load, context, iommu, m, target, UPDATES, master);
        DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);
    }

    /**
     * The driver bundle: every DART (the Thunderbolt one too: its driver is this bundle's code) is
     * taken over by each new revision. An unmanaged domain stays attached to the audio DMA
     * controller, whose DMA runs through it, while a thread maps and unmaps its pages.
     */
    @Test
    public void dartBundleUpdatedHundredTimesUnderDma() throws Exception {
        hundredUpdates(DART, DmaLoad.start(m, iommu, dma, masters(), DWC3_0, ADMAC, true), DWC3_0);
    }

    /**
     * The Thunderbolt variant's bundle: its DART (64 streams, SID 40 in use) is taken over by a driver
     * made for the new variant service. Its only master keeps its DMA-API mappings coming and going,
     * and an unmanaged domain of it lives detached (no stream runs it) with pages mapped and unmapped.
     */
    @Test
    public void usb4VariantBundleUpdatedHundredTimesUnderDma() throws Exception {
        assertEquals("the NHI's second stream is SID 40", 40, m.master(NHI).orElseThrow().streams().get(1).sid());
        hundredUpdates(USB4, DmaLoad.start(m, iommu, dma, masters(), NHI, NHI, false), NHI);
    }

    /**
     * The page-table bundle: the live DART domains are moved to each new revision's formats (each
     * live update names the revision, its domains are translated by the new code as before). The
     * first update is held open for a domain allocation, which needs the format: it waits for the
     * new one.
     */
    @Test
    public void pgtableBundleUpdatedHundredTimesUnderDartDomains() throws Exception {
        hundredUpdates(PGTABLE, DmaLoad.start(m, iommu, dma, masters(), DWC3_0, ADMAC, true), DWC3_0);
    }

    /**
     * From the previous release, whose driver keeps no record (it predates the live update): the
     * downgrade to it cannot be live (the release cannot take a running DART over: the state is
     * released and probed again, with a warning saying why), and the upgrade from it, under DMA,
     * reads every DART's running state from the hardware (and frees the interrupt handler the release
     * does not let go of).
     */
    @Test
    public void fromAReleaseWithoutARecordTheHardwareIsRead() throws Exception {
        List<Bundle> bundles = List.of(Container.installed(context, DART.bsn()), Container.installed(context, USB4.bsn()));
        int logged = Container.logLines(LOG).size();
        String release = Takeovers.downgradeFallsBack(context, iommu, bundles,
                List.of(BundleBuilds.release(DART.artifactId()), BundleBuilds.release(USB4.artifactId())), LOG, this::darts,
                () -> DartChecks.allProbed(iommu, m));

        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, null, false);
        List<LiveUpdateDTO> up = load.around(() -> new UpdateLoop(context, iommu, m, load, DART).together(
                "upgrade from the release", bundles, List.of(Container.jar(DART.artifactId()), Container.jar(USB4.artifactId()))));
        assertEquals("every DART taken over from the release's hardware state", probedDarts(), Takeovers.adoptedFromHardware(up, release));
        Takeovers.assertLogged(LOG, logged, probedDarts(), "the previous driver left no record; reading the running state from the hardware");
        // the release's driver frees nothing when it hands over: the core frees its interrupt handler
        Takeovers.assertLogged(LOG, logged, probedDarts(), "WARN", "the old apple-dart still had 1 interrupt handler(s) registered"
                + " after handing it over; freed: ");
        DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);
    }

    /**
     * A record of a version this code does not know (handed over by a build whose records are of the
     * next layout version: {@link NextRecordVersion}) is not trusted: under DMA, every DART's running
     * state is read from the hardware instead.
     */
    @Test
    public void aRecordOfAnUnknownVersionIsIgnoredAndTheHardwareIsRead() throws Exception {
        NextRecordVersion next = new NextRecordVersion();
        File nextBuild = BundleBuilds.derive(DART.artifactId(), "record2", next);
        assertTrue("the build makes its records somewhere", next.rewritten() > 0);
        String nextCode = DART.bsn() + " " + BundleBuilds.version(nextBuild);
        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, null, false);
        int[] logged = {0};
        List<LiveUpdateDTO> back = load.around(() -> {
            UpdateLoop loop = new UpdateLoop(context, iommu, m, load, DART);
            loop.update("to the build with the next record version", nextBuild);
            logged[0] = Container.logLines(LOG).size();
            return loop.update("back from it", Container.jar(DART.artifactId()));
        });
        assertEquals("every DART taken over from the hardware", probedDarts(), Takeovers.adoptedFromHardware(back, nextCode));
        Takeovers.assertLogged(LOG, logged[0], probedDarts(), "record is apple-dart version 2; this driver knows apple-dart"
                + " version 1: reading the running state from the hardware");
        DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);
    }

    private List<IommuNodeDTO> darts() {
        return DartChecks.darts(iommu).stream().filter(n -> !"disabled".equals(n.state())).toList();
    }

    private Set<String> probedDarts() {
        Set<String> out = new TreeSet<>();
        darts().forEach(n -> out.add(n.node()));
        return out;
    }

}
