package io.iommulab.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.util.Arrays;
import java.util.HashMap;
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
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;

/** Every bundle resolves and starts; the services come up once the testkit board is booted. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundlesIT {

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory factory;

    @Configuration
    public Option[] config() {
        return Container.options(true);
    }

    @Test
    public void everyBundleIsActive() {
        Map<String, Integer> states = new HashMap<>();
        for (Bundle b : context.getBundles()) {
            BundleRevision rev = b.adapt(BundleRevision.class);
            if ((rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0) {
                continue;
            }
            states.put(b.getSymbolicName(), b.getState());
            assertEquals(b.getSymbolicName() + " is not ACTIVE", Bundle.ACTIVE, b.getState());
        }
        for (String bsn : new String[] {"io.iommulab.api", "io.iommulab.lib", "io.iommulab.machine", "io.iommulab.core",
                "io.iommulab.testkit", "io.iommulab.testiommu.model", "io.iommulab.testiommu",
                "org.apache.felix.scr", "slf4j.simple"}) {
            assertEquals(bsn + " in " + states, Integer.valueOf(Bundle.ACTIVE), states.get(bsn));
        }
    }

    @Test
    public void theTestIommuIsTwoBundlesAndTestkitOnlyALibrary() {
        assertArrayEquals("the hardware bundle registers the model only", new String[] {IommuModelFactory.class.getName()},
                services(Container.installed(context, "io.iommulab.testiommu.model")));
        assertArrayEquals("the driver bundle registers the driver only", new String[] {IommuDriver.class.getName()},
                services(Container.installed(context, "io.iommulab.testiommu")));
        assertArrayEquals("testkit registers no services", new String[0],
                services(Container.installed(context, "io.iommulab.testkit")));
        assertArrayEquals("lib registers no services", new String[0],
                services(Container.installed(context, "io.iommulab.lib")));
    }

    /** @return the interfaces of every service {@code b} registered */
    private static String[] services(Bundle b) {
        ServiceReference<?>[] refs = b.getRegisteredServices();
        return refs == null ? new String[0] : Arrays.stream(refs)
                .flatMap(r -> Arrays.stream((String[]) r.getProperty(Constants.OBJECTCLASS))).sorted().toArray(String[]::new);
    }

    @Test
    public void bootingTheTestkitBoardBringsUpTheServicesAndProbesTheMasters() throws Exception {
        Machine m = factory.current().orElseGet(() -> factory.boot("testkit.dts", Container.testkitDts()));
        assertTrue(factory.current().isPresent());
        assertEquals("the Machine service is the booted machine", m, Container.service(context, Machine.class));
        IommuService iommu = Container.service(context, IommuService.class);
        DmaApi dma = Container.service(context, DmaApi.class);
        assertNotNull(dma);

        Container.await("the testkit masters to probe", () -> state(iommu, "/soc/dev-a@200000000").equals("probed")
                && state(iommu, "/soc/pcie@300000000/pci@0,0/nic@0,1").equals("probed"));
        assertEquals("probed", state(iommu, "/soc/dev-b@200010000"));
        assertFalse("dev-x sits behind a disabled IOMMU", state(iommu, "/soc/dev-x@200040000").equals("probed"));
        // The DMA API serves a probed master by path.
        assertEquals("/soc/dev-a@200000000", dma.device("/soc/dev-a@200000000").name());
    }

    static String state(IommuService iommu, String node) {
        for (DeviceDTO d : iommu.devices()) {
            if (d.node().equals(node)) {
                return d.state();
            }
        }
        return "absent";
    }
}
