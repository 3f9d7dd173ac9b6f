package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import java.util.List;
import java.util.Map;

/**
 * The workload on one backend: its topology after every master attached, per-pattern costs and
 * the injected faults.
 *
 * @param backend         hardware model name of the twin (e.g. {@code "apple-dart"}, {@code "arm-smmu-v2"})
 * @param drivers         drivers that bound the IOMMU nodes
 * @param error           why the run stopped early, or null
 * @param iommus          IOMMU instances and their state
 * @param devices         masters with their streams, group and domain
 * @param groups          groups formed
 * @param domains         domains in existence after attach (default domains)
 * @param defaultDomainTypes device → default domain type, in device order
 * @param capabilities    facts a backend reports (e.g. {@code "deferred-flush" → "yes"}, {@code "pgsize-bitmap"})
 * @param patterns        per-pattern results, in workload order
 * @param faults          injected faults as the backend's driver decoded them
 * @param pageTableBytes  page-table bytes in use after attach (every default domain's tables)
 * @param peakPageTableBytes the most page-table bytes seen during the workload
 * @param sanitizer       what the lab core's DMA sanitizer checked and found during the run (warm-up,
 *                        patterns and faults), or null if it did not run (turned off by the
 *                        workload's config, or no lab)
 */
public record BackendRun(String backend, List<String> drivers, String error, List<IommuNodeDTO> iommus,
        List<DeviceDTO> devices, List<GroupDTO> groups, List<DomainDTO> domains, Map<String, String> defaultDomainTypes,
        Map<String, String> capabilities, List<PatternResult> patterns, List<FaultResult> faults,
        long pageTableBytes, long peakPageTableBytes, SanitizerDTO sanitizer) {
    public BackendRun {
        drivers = List.copyOf(drivers);
        iommus = List.copyOf(iommus);
        devices = List.copyOf(devices);
        groups = List.copyOf(groups);
        domains = List.copyOf(domains);
        defaultDomainTypes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(defaultDomainTypes));
        capabilities = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(capabilities));
        patterns = List.copyOf(patterns);
        faults = List.copyOf(faults);
    }

    /** A run without the sanitizer's figures. */
    public BackendRun(String backend, List<String> drivers, String error, List<IommuNodeDTO> iommus,
            List<DeviceDTO> devices, List<GroupDTO> groups, List<DomainDTO> domains,
            Map<String, String> defaultDomainTypes, Map<String, String> capabilities, List<PatternResult> patterns,
            List<FaultResult> faults, long pageTableBytes, long peakPageTableBytes) {
        this(backend, drivers, error, iommus, devices, groups, domains, defaultDomainTypes, capabilities, patterns,
                faults, pageTableBytes, peakPageTableBytes, null);
    }

    /** @return e.g. "0 findings", "2 findings (dma-after-unmap 1, stale-translation 1)", or "not run" */
    public String sanitizerFindings() {
        return sanitizer == null ? "not run" : sanitizer.tally();
    }

    /** @return transaction pieces the sanitizer checked, or "not run" */
    public String sanitizerTransactions() {
        return sanitizer == null ? "not run" : String.valueOf(sanitizer.transactions());
    }
}
