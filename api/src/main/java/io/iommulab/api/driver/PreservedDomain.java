package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Arrays;
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
 */
public record PreservedDomain(int domain, DomainType type, PageTableState table, int formatVersion, int[] streams) {

    public PreservedDomain {
        streams = streams.clone();
    }

    @Override
    public int[] streams() {
        return streams.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreservedDomain d && domain == d.domain && type == d.type && Objects.equals(table, d.table)
                && formatVersion == d.formatVersion && Arrays.equals(streams, d.streams);
    }

    @Override
    public int hashCode() {
        return Objects.hash(domain, type, table, formatVersion) * 31 + Arrays.hashCode(streams);
    }

    @Override
    public String toString() {
        return "PreservedDomain[domain=" + domain + ", type=" + type + ", table=" + table + ", formatVersion="
                + formatVersion + ", streams=" + Arrays.toString(streams) + "]";
    }
}
