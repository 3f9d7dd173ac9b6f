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
 * fail-nth through live updates of the {@code smmu} bundle in the container, on the SMMU twin of the
 * default board: the bundle updated to its other build once per run while every injection point on
 * the takeover's path fails in turn ({@link FailNthSweep}). With a DMA-API mapping of the dwc3 and a
 * user domain of the audio DMA mapping a page, the state compared is the core's view, every page of
 * those mappings, pages by owner, interrupt handlers, threads, the DS services and the SMMUs'
 * configuration in use (sCR0, valid SMRs, S2CRs, banks in use): each update ends with the state as
 * before. DMA through the mappings lands afterwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SmmuFailNthIT extends OnBootedBoard {

    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String ADMAC = "/soc/dma-controller@238200000";
    private static final File LOG = new File("target/smmu-fail-nth-it.log");

    public SmmuFailNthIT() {
        super(LOG, true);
    }

    @Test
    public void liveUpdatesOfTheSmmuBundleKeepTheStateWhateverPointFails() throws Exception {
        long pa = m.ram().get(0).base() + 0x400_0000;
        long dwc3Iova = dma.device(DWC3_0).mapPage(pa, 0x8000, DmaDirection.BIDIRECTIONAL);
        IommuDomain user = iommu.domainAlloc(ADMAC, DomainType.UNMANAGED);
        iommu.attachGroup(user, ADMAC);
        user.map(0x10_0000, pa + 0x1_0000, 0x4000, Prot.READ | Prot.WRITE);
        FailNthScenarios scenarios = new FailNthScenarios(m, iommu, dma, () -> FailNthUpdates.smmuRegisters(m))
                .alsoCompare("service ", () -> FailNthUpdates.services(context));
        FailNthSweep.Result r = FailNthSweep.sweep(m.failNth(), scenarios.liveUpdate("live update of the smmu bundle",
                FailNthUpdates.alternating(context, iommu, "smmu", "io.iommulab.smmu"), List.of(
                        new FailNthScenarios.Watch("dwc3 dma", iommu.domainOf(DWC3_0), dwc3Iova - 0x4000, 0x1_0000),
                        new FailNthScenarios.Watch("admac user", user, 0xFC000, 0xC000))));
        assertTrue(r.line(), r.byPoint().keySet().containsAll(List.of(FailNth.KZALLOC, FailNth.REQUEST_IRQ)));
        assertEquals("every takeover that failed was tried again and adopted: " + r.line(), r.points(), r.degraded());
        byte[] data = "after the sweep".getBytes(StandardCharsets.US_ASCII);
        BackendChecks.assertDmaLands(m.memory(), m.master(DWC3_0).orElseThrow(), 0, dwc3Iova, pa, data);
        BackendChecks.assertDmaLands(m.memory(), m.master(ADMAC).orElseThrow(), 0, 0x10_0000, pa + 0x1_0000, data);
    }
}
