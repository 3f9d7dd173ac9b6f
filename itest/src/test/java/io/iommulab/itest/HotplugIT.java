package io.iommulab.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * The test IOMMU's hardware and driver arrive as two bundles while the machine runs: the deferred
 * masters probe and DMA flows through the new hardware. When the driver bundle goes, the masters
 * defer again, every page the driver took is given back and the hardware stays plugged in; it
 * goes only with its own bundle.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotplugIT {

    private static final String DEV_A = "/soc/dev-a@200000000";
    private static final String DEV_B = "/soc/dev-b@200010000";
    private static final String DEV_C = "/soc/dev-c@200020000";
    private static final String DEV_D = "/soc/dev-d@200030000";
    private static final String NIC0 = "/soc/pcie@300000000/pci@0,0/nic@0,0";
    private static final String NIC1 = "/soc/pcie@300000000/pci@0,0/nic@0,1";
    private static final List<String> MASTERS = List.of(DEV_A, DEV_B, DEV_C, DEV_D, NIC0, NIC1);
    private static final String IOMMU0 = "/soc/iommu@100000000";
    /** An IOVA far from where the DMA API allocates (top-down from the aperture's end). */
    private static final long UNMAPPED_IOVA = 0x10_0000L;

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
    public void deferredMastersProbeWhenTheDriverArrivesAndDeferAgainWhenItLeaves() throws Exception {
        for (Bundle b : context.getBundles()) {
            assertFalse("the test IOMMU must not be installed yet: " + b.getSymbolicName(),
                    b.getSymbolicName().startsWith("io.iommulab.testiommu"));
        }
        Machine m = factory.boot("testkit.dts", Container.testkitDts());
        IommuService iommu = Container.service(context, IommuService.class);
        DmaApi dma = Container.service(context, DmaApi.class);
        for (String dev : MASTERS) {
            DeviceDTO d = device(iommu, dev);
            assertEquals(dev + " " + d, "deferred", d.state());
            assertTrue(dev + " " + d, d.reason().contains("waiting for driver"));
        }
        long pagesBefore = m.pages().pagesInUse();

        List<Bundle> testIommu = Container.installTestIommu(context);
        Container.await(() -> "every testkit master to probe; IOMMUs: " + iommu.iommus() + "; devices: "
                + iommu.devices(), () -> allInState(iommu, "probed"));

        // Aliasing stream ids share a group; so do the two PCI functions behind one iommu-map entry.
        Integer groupC = device(iommu, DEV_C).group();
        assertNotNull(groupC);
        assertEquals(groupC, device(iommu, DEV_D).group());
        assertNotNull(device(iommu, NIC0).group());
        assertEquals(device(iommu, NIC0).group(), device(iommu, NIC1).group());
        assertNotEquals(groupC, device(iommu, DEV_A).group());
        assertNotEquals(groupC, device(iommu, NIC0).group());

        // DMA through dev-a's default DMA domain lands in the buffer the DMA API mapped.
        long buf = m.pages().allocPages(2, "itest");
        DmaDevice devA = dma.device(DEV_A);
        long iova = devA.mapPage(buf, 16384, DmaDirection.BIDIRECTIONAL);
        DmaMaster master = m.master(DEV_A).orElseThrow();
        byte[] data = "iommulab hot-plugged DMA".getBytes(StandardCharsets.US_ASCII);
        DmaResult w = master.write(0, iova + 0x40, data);
        assertTrue(String.valueOf(w), w.ok());
        byte[] inRam = new byte[data.length];
        m.memory().read(buf + 0x40, inRam, 0, inRam.length);
        assertArrayEquals(data, inRam);
        DmaResult r = master.read(0, iova + 0x40, data.length);
        assertTrue(String.valueOf(r), r.ok());
        assertArrayEquals(data, r.data());

        // DMA to an IOVA nobody mapped faults in the hardware and is reported by the core.
        int faultsBefore = iommu.faults().size();
        DmaResult bad = master.read(0, UNMAPPED_IOVA, 64);
        assertFalse(bad.ok());
        assertNotNull(bad.fault());
        assertEquals(UNMAPPED_IOVA, bad.iova());
        Container.await(() -> "the fault at 0x100000 to be reported; faults: " + iommu.faults(),
                () -> iommu.faults().stream().anyMatch(f -> f.iova() == UNMAPPED_IOVA && DEV_A.equals(f.device())));
        FaultDTO f = iommu.faults().get(iommu.faults().size() - 1);
        assertTrue(iommu.faults().size() > faultsBefore);
        assertEquals("read", f.access());

        devA.unmapPage(iova, 16384, DmaDirection.BIDIRECTIONAL);
        m.pages().freePages(buf);

        Bundle driver = testIommu.get(1);
        driver.uninstall();
        Container.await(() -> "every testkit master to defer again; devices: " + iommu.devices(),
                () -> allInState(iommu, "deferred"));
        for (String dev : MASTERS) {
            assertNull(dev + " has no group without its driver", device(iommu, dev).group());
        }
        Container.await(() -> "the driver's pages to be freed (before: " + pagesBefore + ", now: "
                + m.pages().pagesInUse() + ", by owner: " + m.pages().pagesByOwner() + ")",
                () -> m.pages().pagesInUse() == pagesBefore);
        assertEquals("hardware outlives its driver", "test-iommu", model(m, IOMMU0));

        testIommu.get(0).uninstall();
        Container.await(() -> "the test IOMMU to be unplugged; hardware: " + m.iommuHardware(),
                () -> model(m, IOMMU0) == null);
        assertTrue(allInState(iommu, "deferred"));
    }

    /** @return the name of the model running the IOMMU node, null when none does */
    private static String model(Machine m, String node) {
        return m.iommuHardware().stream().filter(h -> h.node().path().equals(node)).findFirst()
                .map(IommuHardware::model).orElse(null);
    }

    private static boolean allInState(IommuService iommu, String state) {
        for (String dev : MASTERS) {
            if (!state.equals(device(iommu, dev).state())) {
                return false;
            }
        }
        return true;
    }

    private static DeviceDTO device(IommuService iommu, String node) {
        for (DeviceDTO d : iommu.devices()) {
            if (d.node().equals(node)) {
                return d;
            }
        }
        throw new AssertionError("no device " + node + " in " + iommu.devices());
    }
}
