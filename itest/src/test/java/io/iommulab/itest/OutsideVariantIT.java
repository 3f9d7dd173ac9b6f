package io.iommulab.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Issue 11, item 2, from outside: a DART variant the project does not contain ({@link OutsideVariant},
 * compiled at test time against the two published SPIs only) is added to the running container as
 * two bundles, hardware then driver, and its DART probes, translates DMA at its own TTBR base and
 * faults on what is not mapped; its driver bundle is then live-updated with the mapping kept. The
 * machine, the core, dart-model and dart are neither updated nor stopped on the way.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OutsideVariantIT {

    private static final String DART = "/soc/iommu@235004000";
    private static final String SIO = "/soc/sio@236000000";
    /** Bundles a variant must not need to touch. */
    private static final List<String> UNTOUCHED = List.of("io.iommulab.machine", "io.iommulab.core",
            "io.iommulab.dart.model", "io.iommulab.dart");

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
    public void aVariantBuiltFromTheSpisAloneProbesTranslatesAndIsLiveUpdated() throws Exception {
        File dir = new File("target/outside-variant");
        assertTrue(dir.isDirectory() || dir.mkdirs());
        File modelJar = OutsideVariant.modelBundle(dir);
        File driverJar = OutsideVariant.driverBundle(dir, "1.0.0");
        File driverJar2 = OutsideVariant.driverBundle(dir, "1.0.1");

        Machine m = factory.boot("iommulab-outside.dts", OutsideVariant.board());
        IommuService iommu = Container.service(context, IommuService.class);
        DmaApi dma = Container.service(context, DmaApi.class);
        assertEquals("nothing models " + OutsideVariant.COMPATIBLE + " yet", null, model(m));
        assertEquals("deferred", node(iommu).state());
        Map<String, Long> before = untouched();

        Bundle hw = context.installBundle(modelJar.toURI().toString());
        hw.start();
        Container.await(() -> "dart-model to plug the outside DART in; hardware: " + m.iommuHardware(),
                () -> "apple-dart".equals(model(m)));
        Bundle driver = context.installBundle(driverJar.toURI().toString());
        driver.start();
        Container.await(() -> "the outside DART and its master to probe; IOMMUs: " + iommu.iommus() + "; devices: "
                + iommu.devices(), () -> "probed".equals(device(iommu).state()));
        assertEquals(List.of(0, 20), node(iommu).streams());
        assertTrue(node(iommu).origin(), node(iommu).origin().contains(OutsideVariant.DRIVER_BSN + " 1.0.0"));

        // DMA through the default DMA domain: the driver wrote TTBRs at 0x800, where the model reads them.
        long buf = m.pages().allocPages(2, "itest");
        DmaDevice dev = dma.device(SIO);
        long iova = dev.mapPage(buf, 16384, DmaDirection.BIDIRECTIONAL);
        DmaMaster master = m.master(SIO).orElseThrow();
        byte[] data = "a variant from outside".getBytes(StandardCharsets.US_ASCII);
        DmaResult w = master.write(0, iova + 0x80, data);
        assertTrue("DMA through the outside DART: " + w, w.ok());
        byte[] inRam = new byte[data.length];
        m.memory().read(buf + 0x80, inRam, 0, inRam.length);
        assertArrayEquals(data, inRam);
        DmaResult unmapped = master.read(0, 0x10_0000L, 16);
        assertFalse("an IOVA nobody mapped faults", unmapped.ok());
        assertNotNull(unmapped.fault());

        // Its driver bundle replaced under the running DART: adopted, the mapping still translates.
        int updates = iommu.liveUpdates().size();
        Container.update(context, driver, driverJar2);
        Container.await(() -> "the outside variant's driver to be live-updated; updates: " + iommu.liveUpdates(),
                () -> iommu.liveUpdates().size() > updates);
        LiveUpdateDTO u = iommu.liveUpdates().get(iommu.liveUpdates().size() - 1);
        assertTrue(u.toString(), u.adopted());
        assertTrue(u.toString(), u.to().contains(OutsideVariant.DRIVER_BSN + " 1.0.1"));
        assertEquals(List.of(DART), u.iommus());
        DmaResult again = master.read(0, iova + 0x80, data.length);
        assertTrue(String.valueOf(again), again.ok());
        assertArrayEquals(data, again.data());

        dev.unmapPage(iova, 16384, DmaDirection.BIDIRECTIONAL);
        m.pages().freePages(buf);
        Container.uninstall(List.of(hw, driver));
        Container.await(() -> "the outside DART to be unplugged; hardware: " + m.iommuHardware(), () -> model(m) == null);
        assertEquals("the platform, the core and the DART bundles were not touched", before, untouched());
    }

    /** @return per bundle of {@link #UNTOUCHED}: its id and state, and when it was last installed or updated */
    private Map<String, Long> untouched() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String bsn : UNTOUCHED) {
            Bundle b = Container.installed(context, bsn);
            out.put(bsn + " id", b.getBundleId());
            out.put(bsn + " state", (long) b.getState());
            out.put(bsn + " modified", b.getLastModified());
        }
        return out;
    }

    private static String model(Machine m) {
        return m.iommuHardware().stream().filter(h -> h.node().path().equals(DART)).findFirst()
                .map(IommuHardware::model).orElse(null);
    }

    private static IommuNodeDTO node(IommuService iommu) {
        return iommu.iommus().stream().filter(n -> n.node().equals(DART)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + DART + " in " + iommu.iommus()));
    }

    private static DeviceDTO device(IommuService iommu) {
        return iommu.devices().stream().filter(d -> d.node().equals(SIO)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + SIO + " in " + iommu.devices()));
    }
}
