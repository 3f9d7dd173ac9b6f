package io.iommulab.api.config;

/**
 * One setting of a configurable component as it is now.
 *
 * @param pid         the configuration PID, e.g. {@code iommulab.iommu}
 * @param key         the key in the configuration, e.g. {@code strict}; the framework property is {@code PID.KEY}
 * @param value       the value in effect, as text ({@code false}, {@code dma-fq}, {@code 8192})
 * @param source      where it comes from: {@code default}, {@code property} or {@code configuration} ({@link Source#text})
 * @param origin      the framework property's name, the configuration's file (a {@code file:} URI) or
 *                    {@code Config Admin} when no file holds it; null for a default
 * @param applies     what a change affects: {@code live} (at once) or what is created after it
 *                    ({@code new default domains}, ...)
 * @param description what the setting means, from the component's metatype; null where none is known
 */
public record SettingDTO(String pid, String key, String value, String source, String origin, String applies,
        String description) {

    /** @return this setting with {@code text} as its description */
    public SettingDTO withDescription(String text) {
        return new SettingDTO(pid, key, value, source, origin, applies, text);
    }
}
