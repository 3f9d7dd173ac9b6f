package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Live update: one domain as the instance's record keeps it.
 *
 * @param domain        the core's domain id if the driver knows it, else -1: the core finds the
 *                      domain by the streams listed (those of its devices on this instance)
 * @param type          the domain type, or null when the driver does not know it (the core does)
 * @param table         its page table: format, configuration, roots, levels; null for identity and
 *                      blocked domains
 * @param formatVersion the encoding version of the table's format (a format name is never reused for
 *                      another encoding, so 1 today)
 * @param streams       the stream ids of this instance attached to the domain
 * @param properties    what the instance's hardware gives the domain beside its table, by the names the
 *                      record's schema defines, each a list of 64-bit cells (e.g. arm-smmu: its context
 *                      bank, ASID and stream-map entries); empty when there is nothing more
 */
public record PreservedDomain(int domain, DomainType type, PageTableState table, int formatVersion, int[] streams,
        Map<String, List<Long>> properties) {

    public PreservedDomain {
        streams = streams.clone();
        properties = copy(properties);
    }

    /** A domain without driver properties. */
    public PreservedDomain(int domain, DomainType type, PageTableState table, int formatVersion, int[] streams) {
        this(domain, type, table, formatVersion, streams, Map.of());
    }

    /** @return the cells of property {@code name}, empty if the domain has none */
    public List<Long> property(String name) {
        return properties.getOrDefault(name, List.of());
    }

    /** An unmodifiable copy that keeps the order of the names (a record printed reads in the driver's order). */
    static Map<String, List<Long>> copy(Map<String, List<Long>> properties) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        properties.forEach((k, v) -> out.put(Objects.requireNonNull(k, "property name"), List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    @Override
    public int[] streams() {
        return streams.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreservedDomain d && domain == d.domain && type == d.type && Objects.equals(table, d.table)
                && formatVersion == d.formatVersion && Arrays.equals(streams, d.streams) && properties.equals(d.properties);
    }

    @Override
    public int hashCode() {
        return Objects.hash(domain, type, table, formatVersion, properties) * 31 + Arrays.hashCode(streams);
    }

    @Override
    public String toString() {
        return "PreservedDomain[domain=" + domain + ", type=" + type + ", table=" + table + ", formatVersion="
                + formatVersion + ", streams=" + Arrays.toString(streams) + ", properties=" + properties + "]";
    }
}
