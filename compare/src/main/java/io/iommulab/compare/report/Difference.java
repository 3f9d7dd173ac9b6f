package io.iommulab.compare.report;

import java.util.Map;

/**
 * A metric on which the backends disagree.
 *
 * @param metric  what differs, e.g. {@code "group"}, {@code "default domain type"},
 *                {@code "mmio writes/op"}, {@code "fault text"}
 * @param subject the device, pattern or IOMMU it concerns ("" for the whole run)
 * @param values  backend → value as shown in the reports, in backend order
 */
public record Difference(String metric, String subject, Map<String, String> values) {
    public Difference {
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    }
}
