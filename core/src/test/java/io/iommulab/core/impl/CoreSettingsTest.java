package io.iommulab.core.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.DomainType;
import io.iommulab.api.config.Setting;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.config.Source;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.RateLimit;
import io.iommulab.lib.config.Values;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The core's configuration (PID iommulab.iommu) mapped to its options: values, sources, refusals, metatype. */
class CoreSettingsTest {

    private static Values read(Map<String, ?> configuration, Map<String, String> properties) {
        return CoreSettings.SETTINGS.read(configuration, properties::get);
    }

    private static String refusal(Map<String, ?> configuration) {
        return assertThrows(IommuException.class, () -> read(configuration, Map.of())).getMessage();
    }

    @Test
    void nothingSetIsLinuxsDefaults() {
        Values v = read(Map.of(), Map.of());
        assertEquals(CoreConfig.defaults(), CoreConfig.defaults().withSettings(v));
        assertEquals(RateLimit.Limits.DEFAULT, CoreSettings.limits(v));
        for (SettingDTO s : v.dtos()) {
            assertEquals("default", s.source(), s.toString());
        }
    }

    @Test
    void aCfgFileGivesTextsAConfigFileTypedValues() {
        // FileInstall hands a .cfg file's values over as strings, a .config file's typed
        Values cfg = read(Map.of("default-domain", "Identity", "strict", "off", "trace", "no", "trace-events", "1K",
                "ratelimit-interval-ms", "250", "ratelimit-burst", "3"), Map.of());
        Values config = read(Map.of("default-domain", "dma-fq", "strict", Boolean.FALSE, "trace", Boolean.FALSE,
                "trace-events", 1024, "ratelimit-interval-ms", 250L, "ratelimit-burst", 3), Map.of());
        CoreConfig c = CoreConfig.defaults().withSettings(cfg);
        assertEquals(DomainType.IDENTITY, c.defaultDomain());
        assertEquals(false, c.strict());
        assertEquals(false, c.trace());
        assertEquals(1024, c.traceEvents());
        assertEquals(new RateLimit.Limits(250_000_000L, 3), CoreSettings.limits(cfg));
        assertEquals(DomainType.DMA_FQ, CoreConfig.defaults().withSettings(config).defaultDomain());
        assertEquals(c.withDefaultDomain(DomainType.DMA_FQ), CoreConfig.defaults().withSettings(config));
        assertEquals(CoreSettings.limits(cfg), CoreSettings.limits(config));
        assertEquals("identity", cfg.dtos().get(0).value(), "listed as iommu:attach reads it");
    }

    @Test
    void theConfigurationOverridesTheFrameworkPropertiesKeyByKey() {
        Values v = read(Map.of("trace", "false"), Map.of(CoreConfig.STRICT, "0", CoreConfig.TRACE, "1"));
        assertEquals(false, v.get(CoreSettings.TRACE));
        assertEquals(Source.CONFIGURATION, v.source(CoreSettings.TRACE));
        assertEquals(false, v.get(CoreSettings.STRICT));
        assertEquals(Source.PROPERTY, v.source(CoreSettings.STRICT));
        assertEquals(Source.DEFAULT, v.source(CoreSettings.DEFAULT_DOMAIN));
        // the framework properties' names are the PID's keys
        assertEquals(CoreConfig.STRICT, CoreSettings.SETTINGS.property(CoreSettings.STRICT));
        assertEquals(CoreConfig.DEFAULT_DOMAIN, CoreSettings.SETTINGS.property(CoreSettings.DEFAULT_DOMAIN));
        assertEquals(CoreConfig.TRACE_EVENTS, CoreSettings.SETTINGS.property(CoreSettings.TRACE_EVENTS));
    }

    @Test
    void badValuesAreRefusedNamingThePidTheKeyAndTheValue() {
        assertEquals("EINVAL: iommulab.iommu: default-domain 'lazy' is not a domain type (dma, dma-fq, identity, blocked,"
                + " unmanaged)", refusal(Map.of("default-domain", "lazy")));
        assertEquals("EINVAL: iommulab.iommu: trace-events '-8' is not a number (decimal or 0x hex, optional K, M, G, T, P"
                + " or E suffix)", refusal(Map.of("trace-events", "-8")));
        assertEquals("EINVAL: iommulab.iommu: trace-events '-8' is not a number (decimal or 0x hex, optional K, M, G, T, P"
                + " or E suffix)", refusal(Map.of("trace-events", -8)), "a typed negative number too");
        assertEquals("EINVAL: iommulab.iommu: trace-events '1000' is not a power of two (16, 32, ... 1048576)",
                refusal(Map.of("trace-events", "1000")));
        assertEquals("EINVAL: iommulab.iommu: trace-events '8' is not between 16 and 1048576", refusal(Map.of("trace-events", 8)));
        assertEquals("EINVAL: iommulab.iommu: ratelimit-burst 'many' is not a number (decimal or 0x hex, optional K, M, G, T,"
                + " P or E suffix)", refusal(Map.of("ratelimit-burst", "many")));
        assertEquals("EINVAL: iommulab.iommu: strict 'lazy' is not a boolean (1/0, y/n, yes/no, true/false, on/off)",
                refusal(Map.of("strict", "lazy")));
        assertEquals("EINVAL: iommulab.iommu: no setting 'cpu-page-size' (its settings: default-domain, strict, trace, "
                + "trace-events, ratelimit-interval-ms, ratelimit-burst); trace 'x' is not a boolean (1/0, y/n, yes/no, "
                + "true/false, on/off)", refusal(new TreeMap<>(Map.of("cpu-page-size", "4K", "trace", "x"))));
    }

    @Test
    void aBadFrameworkPropertyIsNamedByTheProperty() {
        IommuException e = assertThrows(IommuException.class, () -> CoreConfig.from(Map.of(CoreConfig.DEFAULT_DOMAIN,
                "lazy")::get));
        assertEquals("EINVAL: iommulab.iommu: iommulab.iommu.default-domain 'lazy' is not a domain type (dma, dma-fq, "
                + "identity, blocked, unmanaged)", e.getMessage());
    }

    /** The metatype (IommuCore.Config) and the settings read at run time have the same keys and defaults. */
    @Test
    void theMetatypeDescribesEverySettingWithItsDefault() {
        Map<String, String> ocd = new TreeMap<>();
        for (Method m : IommuCore.Config.class.getDeclaredMethods()) {
            ocd.put(dsKey(m.getName()), String.valueOf(m.getDefaultValue()));
        }
        Map<String, String> settings = new TreeMap<>();
        for (Setting<?> s : CoreSettings.SETTINGS.list()) {
            settings.put(s.key(), s.text(s.defaultValue()));
        }
        assertEquals(settings, ocd);
    }

    /** Declarative Services' mapping of a component property type's method name to a key ({@code $_$} is a dash). */
    static String dsKey(String method) {
        return method.replace("$_$", "-").replace("__", "\u0000").replace('_', '.').replace("$", "").replace('\u0000', '_');
    }
}
