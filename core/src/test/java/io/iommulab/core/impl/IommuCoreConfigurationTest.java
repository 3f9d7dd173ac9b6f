package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.klib.RateLimit;
import io.iommulab.lib.config.Settings;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testkit.LogCapture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The core component and its configuration, as SCR drives it: activated with the configuration
 * there is, {@code modified} with each change (no deactivation), refusing a bad one whole. The
 * framework properties come from a real framework, started with {@code iommulab.iommu.trace=false}.
 */
class IommuCoreConfigurationTest {

    private static final String FILE = "file:/work/deploy/iommulab.iommu.cfg";

    @TempDir
    Path dir;
    private Framework fw;
    private IommuCore core;

    @BeforeEach
    void framework() throws Exception {
        fw = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.toString(), Constants.FRAMEWORK_STORAGE_CLEAN,
                Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT, CoreConfig.TRACE, "false"));
        fw.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (core != null) {
            core.deactivate();
        }
        fw.stop();
        fw.waitForStop(10_000);
    }

    /** The component as SCR activates it with {@code configuration}, the test IOMMU's driver bound. */
    private IommuCore activate(Map<String, Object> configuration) {
        core = new IommuCore(Fixture.machine(), fw.getBundleContext(), configuration);
        core.activate();
        core.engine().addDriver(new TestIommuDriver());
        return core;
    }

    private static SettingDTO setting(IommuCore c, String key) {
        return c.settings().stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
    }

    private static String domainType(IommuCore c, String dev) {
        return c.engine().devices().stream().filter(d -> d.node().equals(dev)).map(DeviceDTO::domainType).findFirst()
                .orElseThrow();
    }

    @Test
    void aConfigurationThereAtActivationSetsTheBootUp() {
        IommuCore c = activate(Map.of("strict", "false", "trace-events", "1K", Settings.FILEINSTALL_FILENAME, FILE,
                "component.name", "io.iommulab.core.impl.IommuCore"));
        assertEquals("DMA-FQ", domainType(c, DEV_A), "lazy from the first default domain on");
        assertEquals(1024, c.engine().traceRing().capacity());
        assertEquals(new SettingDTO("iommulab.iommu", "strict", "false", "configuration", FILE, "new default domains", null),
                setting(c, "strict"));
        assertEquals(new SettingDTO("iommulab.iommu", "trace", "false", "property", "iommulab.iommu.trace", "live", null),
                setting(c, "trace"));
        assertEquals(new SettingDTO("iommulab.iommu", "default-domain", "dma", "default", null, "new default domains", null),
                setting(c, "default-domain"));
        assertFalse(c.engine().traceRing().enabled());
    }

    @Test
    void aChangedConfigurationIsAppliedWhileTheCoreRuns() {
        IommuCore c = activate(Map.of());
        IommuCoreEngine engine = c.engine();
        var groups = engine.groups();
        c.modified(Map.of("trace", "on", "trace-events", 64, "default-domain", "identity"));
        assertSame(engine, c.engine());
        assertEquals(groups, engine.groups(), "no group or domain torn down");
        assertTrue(engine.traceRing().enabled());
        assertEquals(64, engine.traceRing().capacity());
        assertEquals("DMA", domainType(c, DEV_A));
        assertEquals("identity", setting(c, "default-domain").value());
        assertEquals("configuration", setting(c, "default-domain").source());
        assertEquals("Config Admin", setting(c, "default-domain").origin());

        // deleted: SCR calls modified with the component's own properties only
        c.modified(Map.of("component.name", "io.iommulab.core.impl.IommuCore", "component.id", 7L));
        assertFalse(engine.traceRing().enabled(), "the framework property again");
        assertEquals("property", setting(c, "trace").source());
        assertEquals("default", setting(c, "trace-events").source());
        assertEquals(CoreConfig.DEFAULT_TRACE_EVENTS, engine.traceRing().capacity());
    }

    @Test
    void aBadConfigurationIsRefusedWholeWithOneLineAndNothingChanges() {
        IommuCore c = activate(Map.of("trace-events", "64"));
        List<SettingDTO> before = c.settings();
        CoreConfig config = c.engine().config();
        try (LogCapture log = new LogCapture()) {
            c.modified(Map.of("trace-events", "-1", "strict", "false", Settings.FILEINSTALL_FILENAME, FILE));
            c.modified(Map.of("default-domain", "lazy"));
            assertEquals(1, log.matching("configuration refused, nothing changed: EINVAL: iommulab.iommu: trace-events '-1' is"
                    + " not a number").size(), log.lines().toString());
            assertEquals(1, log.matching("configuration refused, nothing changed: EINVAL: iommulab.iommu: default-domain "
                    + "'lazy' is not a domain type").size(), log.lines().toString());
        }
        assertEquals(before, c.settings());
        assertEquals(config, c.engine().config(), "strict=false, valid itself, is not taken either");
        assertEquals(64, c.engine().traceRing().capacity());
    }

    @Test
    void aBadConfigurationAtActivationIsRefusedAndTheCoreStartsOnThePropertiesAndDefaults() {
        try (LogCapture log = new LogCapture()) {
            IommuCore c = activate(Map.of("strict", "sometimes"));
            assertEquals(1, log.matching("configuration refused, the framework properties apply: EINVAL: iommulab.iommu: "
                    + "strict 'sometimes' is not a boolean").size(), log.lines().toString());
            assertEquals("DMA", domainType(c, DEV_A));
            assertEquals("default", setting(c, "strict").source());
        }
    }

    @Test
    void everyRateLimitedMessageFollowsTheLimitsAtOnce() {
        IommuCore c = activate(Map.of());
        assertEquals(RateLimit.Limits.DEFAULT, RateLimit.limits());
        c.modified(Map.of("ratelimit-burst", "2", "ratelimit-interval-ms", "3600000"));
        assertEquals(new RateLimit.Limits(3_600_000_000_000L, 2), RateLimit.limits());
        var a = c.engine().machine().master(DEV_A).orElseThrow();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 5; i++) {
                assertFalse(a.read(0, 0x4000_0000L + i * 0x4000L, 16).ok()); // unmapped: faults
            }
            assertEquals(2, log.matching(IOMMU0 + ": translation fault").size(), log.lines().toString());
        }
        assertEquals(5, c.engine().faults().size(), "every fault is still reported to the core");
        c.deactivate();
        core = null;
        assertEquals(RateLimit.Limits.DEFAULT, RateLimit.limits(), "back to the kernel's when the core goes");
    }
}
