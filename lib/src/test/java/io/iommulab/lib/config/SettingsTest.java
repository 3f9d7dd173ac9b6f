package io.iommulab.lib.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.config.Setting;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.config.Source;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static final Setting<Boolean> STRICT = Settings.bool("strict", true, "new domains");
    private static final Setting<Long> EVENTS = Settings.number("trace-events", 8192, 16, 1 << 20, Setting.LIVE);
    private static final Settings SETTINGS = new Settings("iommulab.test", List.of(STRICT, EVENTS));

    private static Map<String, String> props(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void nothingSetGivesTheDefaults() {
        Values v = SETTINGS.read(Map.of(), props()::get);
        assertEquals(true, v.get(STRICT));
        assertEquals(8192L, v.get(EVENTS));
        assertEquals(Source.DEFAULT, v.source(STRICT));
        assertEquals(List.of(new SettingDTO("iommulab.test", "strict", "true", "default", null, "new domains", null),
                new SettingDTO("iommulab.test", "trace-events", "8192", "default", null, "live", null)), v.dtos());
    }

    @Test
    void theConfigurationWinsOverThePropertyWhichWinsOverTheDefault() {
        Map<String, String> p = props("iommulab.test.strict", "no", "iommulab.test.trace-events", "1K");
        Values v = SETTINGS.read(Map.of("strict", "yes", Settings.FILEINSTALL_FILENAME, "file:/d/iommulab.test.cfg"), p::get);
        assertEquals(true, v.get(STRICT));
        assertEquals(Source.CONFIGURATION, v.source(STRICT));
        assertEquals(1024L, v.get(EVENTS));
        assertEquals(Source.PROPERTY, v.source(EVENTS));
        List<SettingDTO> d = v.dtos();
        assertEquals("file:/d/iommulab.test.cfg", d.get(0).origin());
        assertEquals("configuration", d.get(0).source());
        assertEquals("iommulab.test.trace-events", d.get(1).origin());
        assertEquals("1024", d.get(1).value());
        // a configuration made through Config Admin (no file)
        assertEquals("Config Admin", SETTINGS.read(Map.of("strict", Boolean.FALSE), p::get).dtos().get(0).origin());
    }

    @Test
    void typedAndSingleElementValuesAreRead() {
        Values v = SETTINGS.read(Map.of("strict", Boolean.FALSE, "trace-events", new Integer[] {64}), props()::get);
        assertEquals(false, v.get(STRICT));
        assertEquals(64L, v.get(EVENTS));
        assertEquals(64L, SETTINGS.read(Map.of("trace-events", List.of(64L)), props()::get).get(EVENTS));
    }

    @Test
    void aBlankPropertyIsUnsetButABlankConfigurationValueIsRefused() {
        assertEquals(Source.DEFAULT, SETTINGS.read(Map.of(), props("iommulab.test.strict", " ")::get).source(STRICT));
        IommuException e = assertThrows(IommuException.class, () -> SETTINGS.read(Map.of("strict", ""), props()::get));
        assertEquals("EINVAL: iommulab.test: strict '' is empty (leave the key out for the property or the default)",
                e.getMessage());
    }

    @Test
    void theFrameworksKeysAreSkipped() {
        Map<String, Object> c = Map.of("service.pid", "iommulab.test", "component.name", "x", "component.id", 3L,
                Settings.FILEINSTALL_FILENAME, "file:/x.cfg");
        assertEquals(Source.DEFAULT, SETTINGS.read(c, props()::get).source(STRICT));
    }

    @Test
    void aBadConfigurationNamesThePidEveryKeyAtFaultAndItsValue() {
        IommuException e = assertThrows(IommuException.class, () -> SETTINGS.read(
                new java.util.TreeMap<>(Map.of("stirct", "false", "strict", "maybe", "trace-events", "-1")), props()::get));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: iommulab.test: no setting 'stirct' (its settings: strict, trace-events); "
                + "strict 'maybe' is not a boolean (1/0, y/n, yes/no, true/false, on/off); "
                + "trace-events '-1' is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)", e.getMessage());
        IommuException range = assertThrows(IommuException.class,
                () -> SETTINGS.read(Map.of("trace-events", 8), props()::get));
        assertEquals("EINVAL: iommulab.test: trace-events '8' is not between 16 and 1048576", range.getMessage());
        IommuException two = assertThrows(IommuException.class,
                () -> SETTINGS.read(Map.of("trace-events", new long[] {16, 32}), props()::get));
        assertEquals("EINVAL: iommulab.test: trace-events [16, 32] has 2 values, expected one", two.getMessage());
    }

    @Test
    void aBadPropertyIsNamedByTheProperty() {
        IommuException e = assertThrows(IommuException.class,
                () -> SETTINGS.read(Map.of(), props("iommulab.test.strict", "maybe")::get));
        assertEquals("EINVAL: iommulab.test: iommulab.test.strict 'maybe' is not a boolean (1/0, y/n, yes/no, true/false, on/off)",
                e.getMessage());
    }

    @Test
    void checkGivesTheTextListingsShowOrRefuses() {
        assertEquals("true", SETTINGS.check("strict", "yes"));
        assertEquals("8192", SETTINGS.check("trace-events", "8K"));
        assertEquals("EINVAL: iommulab.test: trace-events '0x8' is not between 16 and 1048576",
                assertThrows(IommuException.class, () -> SETTINGS.check("trace-events", "0x8")).getMessage());
        assertEquals("EINVAL: iommulab.test has no setting 'trace' (its settings: strict, trace-events)",
                assertThrows(IommuException.class, () -> SETTINGS.check("trace", "on")).getMessage());
    }

    @Test
    void changesNameEachSettingWhoseValueChanged() {
        Values before = SETTINGS.read(Map.of(), props()::get);
        assertEquals("", SETTINGS.read(Map.of("strict", "1"), props()::get).changesFrom(before), "the source alone is no change");
        assertEquals("strict true -> false, trace-events 8192 -> 64",
                SETTINGS.read(Map.of("strict", "off", "trace-events", "64"), props()::get).changesFrom(before));
    }

    @Test
    void theFrameworkPropertyIsPidDotKeyOrPrefixDotKey() {
        assertEquals("iommulab.test.trace-events", SETTINGS.property(EVENTS));
        Settings other = new Settings("iommulab.test_x", "iommulab.test-x", List.of(STRICT));
        assertEquals("iommulab.test-x.strict", other.property(STRICT));
        assertEquals(Source.PROPERTY, other.read(Map.of(), props("iommulab.test-x.strict", "0")::get).source(STRICT));
        assertNull(SETTINGS.read(Map.of(), props()::get).dtos().get(1).origin());
    }
}
