package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.machine.FailNth;
import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.FailNthScenarios;
import io.iommulab.testkit.FailNthSweep;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * fail-nth through live updates of the DART bundles in the container, on the default board: the
 * driver bundle {@code dart} (every DART, the Thunderbolt one with it) and the Thunderbolt variant
 * {@code dart-usb4}, each updated to its other build once per run while every injection point on
 * the takeover's path fails in turn ({@link FailNthSweep}). With a DMA-API mapping of the dwc3, a
 * user domain of the audio DMA mapping a page and a DMA-API mapping of the Thunderbolt NHI, the state
 * compared is the core's view, every page of those mappings, pages by owner, interrupt handlers,
 * threads, the DS services and every DART stream's TCR and TTBRs: a takeover that failed for want
 * of memory or time is tried again by the core, and each update ends with the state as before. DMA
 * through the mappings lands afterwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartFailNthIT extends OnBootedBoard {

    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String ADMAC = "/soc/dma-controller@238200000";
    private static final String NHI = "/soc/thunderbolt@38a000000";
    private static final File LOG = new File("target/dart-fail-nth-it.log");

    public DartFailNthIT() {
        super(LOG, false);
    }

    @Test
    public void liveUpdatesOfTheDartBundlesKeepTheStateWhateverPointFails() throws Exception {
        long pa = m.ram().get(0).base() + 0x400_0000;
        long dwc3Iova = dma.device(DWC3_0).mapPage(pa, 0x8000, DmaDirection.BIDIRECTIONAL);
        long nhiIova = dma.device(NHI).mapPage(pa + 0x2_0000, 0x4000, DmaDirection.BIDIRECTIONAL);
        IommuDomain user = iommu.domainAlloc(ADMAC, DomainType.UNMANAGED);
        iommu.attachGroup(user, ADMAC);
        user.map(0x10_0000, pa + 0x1_0000, 0x4000, Prot.READ | Prot.WRITE);
        List<FailNthScenarios.Watch> watches = List.of(
                new FailNthScenarios.Watch("dwc3 dma", iommu.domainOf(DWC3_0), dwc3Iova - 0x4000, 0x1_0000),
                new FailNthScenarios.Watch("nhi dma", iommu.domainOf(NHI), nhiIova - 0x4000, 0xC000),
                new FailNthScenarios.Watch("admac user", user, 0xFC000, 0xC000));
        FailNthScenarios scenarios = new FailNthScenarios(m, iommu, dma, () -> FailNthUpdates.dartRegisters(m))
                .alsoCompare("service ", () -> FailNthUpdates.services(context));
        for (String[] bundle : new String[][] {{"dart", "io.iommulab.dart"}, {"dart-usb4", "io.iommulab.dart.usb4"}}) {
            FailNthSweep.Result r = FailNthSweep.sweep(m.failNth(), scenarios.liveUpdate("live update of the " + bundle[0]
                    + " bundle", FailNthUpdates.alternating(context, iommu, bundle[0], bundle[1]), watches));
            assertTrue(r.line(), r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ)));
            assertEquals("every takeover that failed was tried again and adopted: " + r.line(), r.points(), r.degraded());
        }
        byte[] data = "after the sweeps".getBytes(StandardCharsets.US_ASCII);
        BackendChecks.assertDmaLands(m.memory(), m.master(DWC3_0).orElseThrow(), 0, dwc3Iova, pa, data);
        BackendChecks.assertDmaLands(m.memory(), m.master(ADMAC).orElseThrow(), 0, 0x10_0000, pa + 0x1_0000, data);
        BackendChecks.assertDmaLands(m.memory(), m.master(NHI).orElseThrow(), 1, nhiIova, pa + 0x2_0000, data);
    }
}
