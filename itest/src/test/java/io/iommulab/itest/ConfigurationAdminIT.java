package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.Prot;
import io.iommulab.api.config.Configurable;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.klib.RateLimit;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The core's policy (PID iommulab.iommu) and the SMMU driver's options (PID iommulab.arm_smmu)
 * changed through Config Admin while the default board runs: SCR hands each change to the
 * component's {@code @Modified} (the core's service is never unregistered, its groups and domains
 * stay), live settings act at once, the default domain type on the default domains made after it,
 * a bad configuration is refused with one log line and changes nothing; {@code iommu:config} lists
 * the settings with their metatype descriptions and changes them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigurationAdminIT extends OnBootedBoard {

    private static final String CORE = "iommulab.iommu";
    private static final String SMMU = "iommulab.arm_smmu";
    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String NHI = "/soc/thunderbolt@38a000000";
    private static final File LOG = new File("target/configuration-admin-it.log");

    @Inject
    private ConfigurationAdmin cm;

    @Inject
    private CommandProcessor processor;

    public ConfigurationAdminIT() {
        super(LOG, false);
    }

    /** Each test starts from no configuration: the framework properties and defaults. */
    @After
    public void deleteConfigurations() throws Exception {
        for (String pid : List.of(CORE, SMMU)) {
            Configuration[] found = cm.listConfigurations("(service.pid=" + pid + ")");
            if (found != null) {
                found[0].delete();
                Container.await(pid + " back on the properties and defaults", () -> configurable(pid).settings().stream()
                        .noneMatch(st -> st.source().equals("configuration")));
            }
        }
    }

    private Configurable configurable(String pid) {
        try {
            for (ServiceReference<Configurable> ref : context.getServiceReferences(Configurable.class, null)) {
                Configurable c = context.getService(ref);
                if (c.pid().equals(pid)) {
                    return c;
                }
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        throw new AssertionError("no Configurable service for " + pid);
    }

    private SettingDTO setting(String pid, String key) {
        return configurable(pid).settings().stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
    }

    private void update(String pid, String... kv) throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        cm.getConfiguration(pid, "?").update(props);
    }

    private static List<String> refusals() {
        try {
            return Container.logLines(LOG, "configuration refused, nothing changed", CORE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private long serviceId(Class<?> type, String filter) throws Exception {
        return (Long) context.getServiceReferences(type, filter).iterator().next().getProperty(Constants.SERVICE_ID);
    }

    private String domainType(String dev) {
        return iommu.devices().stream().filter(d -> d.node().equals(dev)).map(DeviceDTO::domainType).findFirst().orElseThrow();
    }

    @Test
    public void theCoresPolicyChangesLiveWithoutATeardown() throws Exception {
        long coreService = serviceId(IommuService.class, null);
        var groups = iommu.groups();
        var domains = iommu.domains();
        update(CORE, "trace", "off", "trace-events", "64", "default-domain", "identity");
        Container.await("the core to apply the configuration", () -> setting(CORE, "trace").value().equals("false"));
        assertEquals("the core's service stayed registered: not deactivated", coreService, serviceId(IommuService.class, null));
        assertEquals(groups, iommu.groups());
        assertEquals("the default domains made before keep their type", domains, iommu.domains());
        assertEquals("64", setting(CORE, "trace-events").value());
        assertEquals("configuration", setting(CORE, "default-domain").source());

        iommu.clearTrace();
        iommu.domainOf(DWC3_0).map(0x7f0_0000L, 0x8_0000_0000L, 0x4000, Prot.READ);
        iommu.domainOf(DWC3_0).unmap(0x7f0_0000L, 0x4000);
        assertEquals("trace off: nothing recorded", List.of(), iommu.trace());

        // the DART driver unloaded and loaded again: its masters' groups are formed after the change
        Bundle dart = Container.installed(context, "io.iommulab.dart");
        dart.stop();
        dart.start();
        Container.await(() -> "every master to probe again; " + DartChecks.describe(iommu), () -> DartChecks.allProbed(iommu, m));
        assertEquals("identity", domainType(DWC3_0));
        assertEquals("the Thunderbolt DART cannot bypass", "DMA", domainType(NHI));
        assertEquals(coreService, serviceId(IommuService.class, null));
    }

    @Test
    public void aBadConfigurationIsRefusedInOneLineAndNothingChanges() throws Exception {
        update(CORE, "trace-events", "128");
        Container.await("trace-events 128", () -> setting(CORE, "trace-events").value().equals("128"));
        List<SettingDTO> before = configurable(CORE).settings();
        update(CORE, "trace-events", "-1", "default-domain", "lazy", "strict", "false");
        Container.await("the refusal's log line", () -> !refusals().isEmpty());
        List<String> lines = refusals();
        assertEquals(lines.toString(), 1, lines.size());
        assertTrue(lines.get(0), lines.get(0).endsWith("EINVAL: iommulab.iommu: default-domain 'lazy' is not a domain type "
                + "(dma, dma-fq, identity, blocked, unmanaged); trace-events '-1' is not a number (decimal or 0x hex, "
                + "optional K, M, G, T, P or E suffix)"));
        assertEquals(before, configurable(CORE).settings());
    }

    @Test
    public void theSmmuDriversOptionChangesWithoutUnbindingIt() throws Exception {
        String filter = "(component.name=io.iommulab.smmu.impl.ArmSmmuDriver)";
        long driverService = serviceId(IommuDriver.class, filter);
        assertEquals("true", setting(SMMU, "disable-bypass").value());
        update(SMMU, "disable-bypass", "0");
        Container.await("disable-bypass false", () -> setting(SMMU, "disable-bypass").value().equals("false"));
        assertEquals(driverService, serviceId(IommuDriver.class, filter));
    }

    @Test
    public void theConfigCommandListsDescribesAndChangesSettings() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(InputStream.nullInputStream(), ps, ps)) {
            List<?> all = (List<?>) s.execute("iommu:config");
            assertEquals(all.toString(), 7, all.size());
            for (Object o : all) {
                assertNotNull("every setting described by its bundle's metatype: " + o, ((SettingDTO) o).description());
            }
            SettingDTO burst = (SettingDTO) s.execute("iommu:config " + CORE + " ratelimit-burst 3");
            assertEquals("3", burst.value());
            assertEquals("configuration", burst.source());
            assertEquals("at once, every rate-limited message follows", 3, RateLimit.limits().burst());
            assertEquals("3", cm.getConfiguration(CORE, "?").getProperties().get("ratelimit-burst"));

            SettingDTO unset = (SettingDTO) s.execute("iommu:config --unset " + CORE + " ratelimit-burst");
            assertEquals("default", unset.source());
            assertEquals(RateLimit.Limits.DEFAULT, RateLimit.limits());
            assertEquals("no setting left: the configuration is deleted", null, cm.listConfigurations("(service.pid=" + CORE + ")"));

            String refused = "";
            try {
                s.execute("iommu:config " + CORE + " trace-events 1000");
            } catch (Exception e) {
                refused = e.getMessage();
            }
            assertEquals("EINVAL: iommulab.iommu: trace-events '1000' is not a power of two (16, 32, ... 1048576)", refused);
            assertEquals("refused before anything was written", null, cm.listConfigurations("(service.pid=" + CORE + ")"));
        }
    }
}
