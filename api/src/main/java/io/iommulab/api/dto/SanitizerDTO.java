package io.iommulab.api.dto;

import java.util.List;
import java.util.Map;

/**
 * The core's DMA sanitizer ({@code iommu:sanitize}): whether it watches, what it checked, what it
 * found.
 *
 * @param enabled      true while it watches the bus
 * @param transactions transaction pieces checked since it was last cleared
 * @param staleReports stale IOTLB hits the hardware models reported
 * @param findings     findings by kind since it was last cleared (also those the history dropped)
 * @param dropped      findings the bounded history no longer holds
 * @param flushQueues  the flush-queue exposure of each DMA-FQ domain
 * @param history      the findings kept, oldest first
 */
public record SanitizerDTO(boolean enabled, long transactions, long staleReports, Map<String, Long> findings,
        long dropped, List<FlushQueueDTO> flushQueues, List<SanitizerFindingDTO> history) {
    public SanitizerDTO {
        // sorted by kind, so that listings and JSON read the same every time
        findings = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(findings));
        flushQueues = List.copyOf(flushQueues);
        history = List.copyOf(history);
    }

    /** @return every finding counted, of every kind */
    public long total() {
        return findings.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return e.g. {@code 0 findings} or {@code 3 findings (dma-after-unmap 1, stale-translation 2)} */
    public String tally() {
        long total = total();
        StringBuilder sb = new StringBuilder().append(total).append(total == 1 ? " finding" : " findings");
        if (total > 0) {
            java.util.StringJoiner kinds = new java.util.StringJoiner(", ", " (", ")");
            findings.forEach((k, n) -> kinds.add(k + " " + n));
            sb.append(kinds);
        }
        return sb.toString();
    }
}
