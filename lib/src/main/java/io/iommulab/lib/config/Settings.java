package io.iommulab.lib.config;

import io.iommulab.api.config.Setting;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.config.Source;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.Kstrtobool;
import io.iommulab.lib.cmdline.Memparse;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The settings of one PID and how their values are found: the configuration's value, else the
 * framework property {@code PID.KEY}, else the default. A configuration is read as a whole: an
 * unknown key, a value of several elements or one its setting refuses fails the read, naming the
 * PID, every key at fault and its value, so that a component keeps what it had. A framework
 * property that is blank counts as unset (as it always did); a blank configuration value is refused.
 */
public final class Settings {

    /**
     * The property FileInstall adds to a configuration it read from a file (the file's URI). Keys
     * with a dot are the framework's, Config Admin's, SCR's or FileInstall's, never a setting.
     */
    public static final String FILEINSTALL_FILENAME = "felix.fileinstall.filename";

    private final String pid;
    private final String propertyPrefix;
    private final Map<String, Setting<?>> byKey = new LinkedHashMap<>();

    /** Settings whose framework properties are {@code PID.KEY}. */
    public Settings(String pid, List<Setting<?>> settings) {
        this(pid, pid, settings);
    }

    /**
     * Settings whose framework properties are {@code PREFIX.KEY}: for a PID that cannot be the
     * prefix its properties always had (FileInstall reads a dash in {@code PID.cfg} as the start of
     * a factory configuration's name, so a PID has none).
     */
    public Settings(String pid, String propertyPrefix, List<Setting<?>> settings) {
        this.pid = pid;
        this.propertyPrefix = propertyPrefix;
        for (Setting<?> s : settings) {
            if (s.key().indexOf('.') >= 0 || byKey.put(s.key(), s) != null) {
                throw new IllegalArgumentException(pid + ": setting key '" + s.key() + "' has a dot or is given twice");
            }
        }
    }

    /**
     * A yes/no setting, read as {@link Kstrtobool} reads it; written {@code true}/{@code false}. Here, not on
     * {@link Setting}, because the API may not import the readers.
     */
    public static Setting<Boolean> bool(String key, boolean defaultValue, String applies) {
        return new Setting<>(key, defaultValue, (name, text) -> Kstrtobool.parse(name, text, defaultValue), String::valueOf,
                applies);
    }

    /** A number in {@code [min, max]}, read as {@link Memparse} reads it ({@code 8K}, {@code 0x2000}); written in decimal. */
    public static Setting<Long> number(String key, long defaultValue, long min, long max, String applies) {
        return new Setting<>(key, defaultValue, (name, text) -> Memparse.parse(name, text).within(min, max), String::valueOf,
                applies);
    }

    public String pid() {
        return pid;
    }

    /** @return the settings, in the order given */
    public List<Setting<?>> list() {
        return List.copyOf(byKey.values());
    }

    /**
     * @return the setting called {@code key}
     * @throws IommuException EINVAL naming the PID, the key and the settings there are
     */
    public Setting<?> setting(String key) {
        Setting<?> s = byKey.get(key);
        if (s == null) {
            throw new IommuException(Errno.EINVAL, pid + " has no setting '" + key + "' (its settings: "
                    + String.join(", ", byKey.keySet()) + ")");
        }
        return s;
    }

    /** @return the framework property that sets {@code s} when the configuration does not: {@code PID.KEY} */
    public String property(Setting<?> s) {
        return propertyPrefix + "." + s.key();
    }

    /**
     * Reads every setting.
     *
     * @param configuration the component's properties (its configuration merged with the
     *                      framework's keys, which are skipped); empty when it has none
     * @param properties    the framework properties (BundleContext::getProperty)
     * @throws IommuException EINVAL "{@code PID: KEY 'VALUE' is not ...; KEY2 ...}": the configuration's
     *         faults (or a framework property's, then named by the property)
     */
    public Values read(Map<String, ?> configuration, Function<String, String> properties) {
        List<String> faults = new ArrayList<>();
        for (String key : configuration.keySet()) {
            if (key.indexOf('.') < 0 && !byKey.containsKey(key)) {
                faults.add("no setting '" + key + "' (its settings: " + String.join(", ", byKey.keySet()) + ")");
            }
        }
        Object file = configuration.get(FILEINSTALL_FILENAME);
        String configOrigin = file != null ? file.toString() : "Config Admin";
        Map<String, Values.Entry> entries = new LinkedHashMap<>();
        for (Setting<?> s : byKey.values()) {
            try {
                entries.put(s.key(), entry(s, configuration.get(s.key()), configOrigin, properties));
            } catch (IommuException e) {
                faults.add(reason(e));
            }
        }
        if (!faults.isEmpty()) {
            throw new IommuException(Errno.EINVAL, pid + ": " + String.join("; ", faults));
        }
        return new Values(this, entries);
    }

    private Values.Entry entry(Setting<?> s, Object configured, String configOrigin, Function<String, String> properties) {
        if (configured != null) {
            String text = single(s.key(), configured);
            if (text.isBlank()) {
                throw new IommuException(Errno.EINVAL, s.key() + " '" + text + "' is empty (leave the key out for the "
                        + "property or the default)");
            }
            return new Values.Entry(s.read(s.key(), text), Source.CONFIGURATION, configOrigin);
        }
        String property = property(s);
        String text = properties.apply(property);
        if (text != null && !text.isBlank()) {
            return new Values.Entry(s.read(property, text), Source.PROPERTY, property);
        }
        return new Values.Entry(s.defaultValue(), Source.DEFAULT, null);
    }

    /**
     * Reads {@code value} as the configuration's value of {@code key}, changing nothing.
     *
     * @return its text as listings show it
     * @throws IommuException EINVAL "{@code PID: KEY 'VALUE' is not ...}", or for an unknown key
     */
    public String check(String key, Object value) {
        Setting<?> s = setting(key);
        try {
            String text = single(key, value);
            if (text.isBlank()) {
                throw new IommuException(Errno.EINVAL, key + " '" + text + "' is empty");
            }
            return s.text(s.read(key, text));
        } catch (IommuException e) {
            throw new IommuException(Errno.EINVAL, pid + ": " + reason(e), e);
        }
    }

    /** A configuration value as text: a scalar's {@code toString}; an array or a collection of one element, that element. */
    private static String single(String key, Object value) {
        List<Object> elements = new ArrayList<>();
        if (value instanceof Collection<?> c) {
            elements.addAll(c);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                elements.add(Array.get(value, i));
            }
        } else {
            return String.valueOf(value);
        }
        if (elements.size() != 1) {
            throw new IommuException(Errno.EINVAL, key + " " + elements + " has " + elements.size() + " values, expected one");
        }
        return String.valueOf(elements.get(0));
    }

    /** @return the message without its "EINVAL: " */
    private static String reason(IommuException e) {
        String m = e.getMessage();
        String prefix = e.errno().name() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
