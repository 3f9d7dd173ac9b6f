package io.iommulab.lib.config;

import io.iommulab.api.config.Setting;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.config.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The values of a PID's settings as {@link Settings#read} found them, each with where it came from. */
public final class Values {

    /** A value, its source and where exactly (the property's name, the configuration's file), null for a default. */
    record Entry(Object value, Source source, String origin) {
    }

    private final Settings settings;
    private final Map<String, Entry> entries;

    Values(Settings settings, Map<String, Entry> entries) {
        this.settings = settings;
        this.entries = Map.copyOf(entries);
    }

    /** @return the value of {@code s} */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> s) {
        return (T) entry(s).value();
    }

    /** @return where the value of {@code s} comes from */
    public Source source(Setting<?> s) {
        return entry(s).source();
    }

    private Entry entry(Setting<?> s) {
        Entry e = entries.get(s.key());
        if (e == null || settings.setting(s.key()) != s) {
            throw new IllegalArgumentException(s.key() + " is not a setting of " + settings.pid());
        }
        return e;
    }

    /**
     * @return the settings whose value differs from {@code before}'s, e.g. {@code strict true -> false,
     *         trace-events 8192 -> 1024}; empty if none
     */
    public String changesFrom(Values before) {
        StringBuilder sb = new StringBuilder();
        for (Setting<?> s : settings.list()) {
            String was = s.text(before.entry(s).value());
            String now = s.text(entry(s).value());
            if (!was.equals(now)) {
                sb.append(sb.isEmpty() ? "" : ", ").append(s.key()).append(' ').append(was).append(" -> ").append(now);
            }
        }
        return sb.toString();
    }

    /** @return one record per setting, in the order of the settings, without descriptions */
    public List<SettingDTO> dtos() {
        List<SettingDTO> out = new ArrayList<>();
        for (Setting<?> s : settings.list()) {
            Entry e = entries.get(s.key());
            out.add(new SettingDTO(settings.pid(), s.key(), s.text(e.value()), e.source().text(), e.origin(), s.applies(),
                    null));
        }
        return out;
    }
}
