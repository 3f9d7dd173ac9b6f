package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * Live updates of the {@code smmu} bundle on the SMMU twin of the default board (every DART
 * replaced by an SMMU, masters and stream ids unchanged), with DMA on every master and threads
 * mapping and unmapping all along ({@link DmaLoad}): 100 updates between two builds
 * ({@link UpdateLoop}), each new revision taking every SMMU over from the old one's record, and
 * {@code smmu:smmus} naming the revision that drives each SMMU; 100 updates of the page-table bundle
 * {@code pgtable} under the SMMU domains. And the takeovers that cannot use a
 * record: from the previous release, whose driver predates the live update and hands over none, and
 * from a build whose record is of a version this code does not know; both read the running state
 * from the hardware.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SmmuLiveUpdateIT extends OnBootedBoard {

    private static final UpdateLoop.Target SMMU = new UpdateLoop.Target("smmu", "io.iommulab.smmu", false);
    private static final UpdateLoop.Target PGTABLE = new UpdateLoop.Target("pgtable", "io.iommulab.pgtable", true);
    private static final String DRIVER = "arm-smmu";
    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String ADMAC = "/soc/dma-controller@238200000";
    private static final File LOG = new File("target/smmu-live-update-it.log");

    @Inject
    private CommandProcessor processor;

    public SmmuLiveUpdateIT() {
        super(LOG, true);
    }

    private List<String> masters() {
        List<String> out = iommu.devices().stream().filter(d -> "probed".equals(d.state())).map(DeviceDTO::node).toList();
        assertTrue("platform and PCI masters behind the SMMUs: " + out, out.contains(DWC3_0) && out.contains(ADMAC)
                && out.stream().anyMatch(n -> n.contains("/pci@")));
        return out;
    }

    /** {@link DartChecks#checkDma} through every master: behind the SMMUs now */
    private void checkDmaThroughEveryMaster() throws InterruptedException {
        assertTrue(DartChecks.checkDma(iommu, dma, m, m.masters()) > 0);
    }

    private Set<String> smmus() {
        Set<String> out = new TreeSet<>();
        iommu.iommus().stream().filter(n -> DRIVER.equals(n.driver()) && "probed".equals(n.state())).forEach(n -> out.add(n.node()));
        return out;
    }

    private String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(System.in, ps, ps)) {
            Object r = s.execute(command);
            return (r == null ? "" : String.valueOf(r)) + out.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * The driver bundle, 100 times: every SMMU taken over from the old revision's record by each new
     * one. An unmanaged domain stays attached to the audio DMA controller, whose DMA runs through it,
     * while a thread maps and unmaps its pages. Afterwards smmu:smmus names build A as the code that
     * drives every SMMU.
     */
    @Test
    public void smmuBundleUpdatedHundredTimesUnderDma() throws Exception {
        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, ADMAC, true);
        UpdateLoop.alternateUnder(load, context, iommu, m, SMMU, DartLiveUpdateIT.UPDATES, DWC3_0);

        String revision = SMMU.bsn() + " " + Container.installed(context, SMMU.bsn()).getVersion();
        assertEquals("build A again", BundleBuilds.version(Container.jar(SMMU.artifactId())),
                Container.installed(context, SMMU.bsn()).getVersion());
        String listing = run("smmu:smmus");
        for (String node : smmus()) {
            assertTrue(node + " in " + listing, listing.lines().anyMatch(l -> l.contains(node) && l.contains("driven by " + revision)));
        }
        assertFalse(listing, listing.contains("a driver outside OSGi"));
        checkDmaThroughEveryMaster();
    }

    /**
     * The page-table bundle, 100 times: every live SMMU domain is moved to each new revision's
     * {@code arm-lpae-s1} format on its context bank (each live update names the revision, and the
     * new code translates every DMA-API page as the old did), with no register changed. The first
     * update is held open for a domain allocation, which waits for the new format.
     */
    @Test
    public void pgtableBundleUpdatedHundredTimesUnderSmmuDomains() throws Exception {
        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, ADMAC, true);
        UpdateLoop.alternateUnder(load, context, iommu, m, PGTABLE, DartLiveUpdateIT.UPDATES, DWC3_0);
        assertEquals("build A again", BundleBuilds.version(Container.jar(PGTABLE.artifactId())),
                Container.installed(context, PGTABLE.bsn()).getVersion());
        checkDmaThroughEveryMaster();
    }

    /**
     * From the previous release, whose driver keeps no record (it predates the live update): the
     * downgrade to it cannot be live (the state is released and probed again, with a warning saying
     * why), and the upgrade from it, under DMA, reads every SMMU's running state from the hardware
     * (and frees the interrupt handlers the release does not let go of).
     */
    @Test
    public void fromAReleaseWithoutARecordTheHardwareIsRead() throws Exception {
        Bundle smmu = Container.installed(context, SMMU.bsn());
        String release = Takeovers.downgradeFallsBack(context, iommu, List.of(smmu), List.of(BundleBuilds.release(SMMU.artifactId())),
                LOG, () -> iommu.iommus().stream().filter(n -> "probed".equals(n.state())).toList(), () -> Booted.smmuAllProbed(iommu, m));

        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, null, false);
        int logged = Container.logLines(LOG).size();
        List<LiveUpdateDTO> up = load.around(() -> new UpdateLoop(context, iommu, m, load, SMMU)
                .update("upgrade from the release", Container.jar(SMMU.artifactId())));
        assertEquals("every SMMU taken over from the release's hardware state", smmus(), Takeovers.adoptedFromHardware(up, release));
        // the release's driver frees nothing when it hands over: the core frees its interrupt handlers
        Takeovers.assertLogged(LOG, logged, smmus(), "WARN", "the old arm-smmu still had", "interrupt handler(s) registered"
                + " after handing it over; freed: ");
        checkDmaThroughEveryMaster();
    }

    /**
     * A record of a version this code does not know (handed over by a build whose records are of the
     * next layout version: {@link NextRecordVersion}) is not trusted: under DMA, every SMMU's running
     * state is read from the hardware instead, with a warning.
     */
    @Test
    public void aRecordOfAnUnknownVersionIsIgnoredAndTheHardwareIsRead() throws Exception {
        NextRecordVersion next = new NextRecordVersion();
        File nextBuild = BundleBuilds.derive(SMMU.artifactId(), "record2", next);
        assertTrue("the build makes its records somewhere", next.rewritten() > 0);
        DmaLoad load = DmaLoad.start(m, iommu, dma, masters(), DWC3_0, null, false);
        int[] logged = {0};
        String nextCode = SMMU.bsn() + " " + BundleBuilds.version(nextBuild);
        List<LiveUpdateDTO> back = load.around(() -> {
            UpdateLoop loop = new UpdateLoop(context, iommu, m, load, SMMU);
            loop.update("to the build with the next record version", nextBuild);
            logged[0] = Container.logLines(LOG).size();
            return loop.update("back from it", Container.jar(SMMU.artifactId()));
        });
        assertEquals("every SMMU taken over from the hardware", smmus(), Takeovers.adoptedFromHardware(back, nextCode));
        Takeovers.assertLogged(LOG, logged[0], smmus(), "WARN", "record arm-smmu version 2 is not one this driver knows (arm-smmu 1);"
                + " reading the hardware");
        checkDmaThroughEveryMaster();
    }
}
