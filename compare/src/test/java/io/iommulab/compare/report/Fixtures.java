package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.dto.StreamRefDTO;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hand-built comparisons for the renderer tests: a DART run (two DARTs, a master on both of them,
 * two masters aliasing one SID), an SMMU run of the same masters (one group each), and a third,
 * failed backend with hostile names.
 */
final class Fixtures {
    static final String DART0 = "/soc/dart@382f80000";
    static final String DART1 = "/soc/dart@502f80000";
    static final String SMMU = "/soc/iommu@5000000";
    static final String USB = "/soc/usb@382280000";
    static final String NIC = "/soc/pcie@690000000/nic@0,0";
    static final String WIFI = "/soc/pcie@690000000/wifi@0,1";
    /** Needs escaping everywhere: markup, quotes, control characters, non-BMP unicode. */
    static final String HOSTILE = "<&\"'> | *x* [l](u) \\ tab\there\nnew line ü 🙂 \u2028 \u0001";
    static final String LONG_REASON = "DART ERROR_STATUS 0x80000003: AXI_SLV_ERR READ_PROTECT on stream 1 "
            + "at iova 0x1000 (TTBR invalid, L1 entry missing, first-level table not valid for this stream)";
    /** Above 2^53: a double would round it. */
    static final long HUGE = 9_007_199_254_740_993L;
    /** Top bit set: must come out unsigned. */
    static final long HIGH_IOVA = 0xFFFF_FFFF_FFFF_F000L;

    private Fixtures() {
    }

    static BackendRun dart() {
        List<IommuNodeDTO> iommus = List.of(
                new IommuNodeDTO(DART0, List.of("apple,t8103-dart"), "apple-dart", "probed", null, List.of(0, 1)),
                new IommuNodeDTO(DART1, List.of("apple,t8103-dart"), "apple-dart", "probed", null, List.of(1)));
        List<DeviceDTO> devices = List.of(
                new DeviceDTO(USB, List.of(new StreamRefDTO(DART0, 0), new StreamRefDTO(DART1, 1)), "probed", null, 1, 1, "DMA"),
                new DeviceDTO(NIC, List.of(new StreamRefDTO(DART0, 1)), "probed", null, 2, 2, "DMA"),
                new DeviceDTO(WIFI, List.of(new StreamRefDTO(DART0, 1)), "probed", null, 2, 2, "DMA"));
        List<GroupDTO> groups = List.of(new GroupDTO(1, List.of(USB), 1, 1, "DMA"),
                new GroupDTO(2, List.of(NIC, WIFI), 2, 2, "DMA"));
        List<DomainDTO> domains = List.of(
                new DomainDTO(1, "DMA", "apple-dart", List.of(1), 0x4000L, 0x0, 0xFFFF_FFFFL, 0),
                new DomainDTO(2, "DMA", "apple-dart", List.of(2), 0x4000L, 0x0, -1L, 0));
        List<PatternResult> patterns = List.of(
                new PatternResult("stream-16k", "stream", List.of(USB), 1000, 16_384_000, 1.0, 3.0, 1.0, 0.5, 0.75, 52_000.4, 812.5, 16_384_000, 0, 65536),
                new PatternResult("sg-nic", "sg", List.of(NIC, WIFI), 200, 3_276_800, 2.0, 0.0, 0.0, 4.0, Double.NaN, 1234.5, 15.6, 3_276_800, 0, 98304));
        List<FaultResult> faults = List.of(
                new FaultResult(USB, 0x1000, false, "NO PTE FOR IOVA", 1, LONG_REASON, 0x80000003L, DART0, 0),
                new FaultResult(NIC, HIGH_IOVA, true, "OUT OF APERTURE", 0, null, 0, null, -1));
        return new BackendRun("apple-dart", List.of("apple-dart"), null, iommus, devices, groups, domains,
                ordered(USB, "DMA", NIC, "DMA", WIFI, "DMA"),
                ordered("deferred-flush", "no", "pgsize-bitmap", "0x4000", "quirk", HOSTILE),
                patterns, faults, 32768, HUGE, new SanitizerDTO(true, 123_456, 0, Map.of(), 0, List.of(), List.of()));
    }

    static BackendRun smmu() {
        List<IommuNodeDTO> iommus = List.of(new IommuNodeDTO(SMMU, List.of("arm,mmu-500", "arm,smmu-v2"), "arm-smmu",
                "probed", null, List.of(0x10, 0x11, 0x12, 0x13)));
        List<DeviceDTO> devices = List.of(
                new DeviceDTO(USB, List.of(new StreamRefDTO(SMMU, 0x10), new StreamRefDTO(SMMU, 0x11)), "probed", null, 1, 1, "DMA"),
                new DeviceDTO(NIC, List.of(new StreamRefDTO(SMMU, 0x12)), "probed", null, 2, 2, "DMA"),
                new DeviceDTO(WIFI, List.of(new StreamRefDTO(SMMU, 0x13)), "probed", null, 3, 3, "IDENTITY"));
        List<GroupDTO> groups = List.of(new GroupDTO(1, List.of(USB), 1, 1, "DMA"),
                new GroupDTO(2, List.of(NIC), 2, 2, "DMA"), new GroupDTO(3, List.of(WIFI), 3, 3, "IDENTITY"));
        List<DomainDTO> domains = List.of(
                new DomainDTO(1, "DMA", "arm-smmu", List.of(1), 0x40201000L, 0, 0xFFFF_FFFF_FFFFL, 4096),
                new DomainDTO(2, "DMA", "arm-smmu", List.of(2), 0x40201000L, 0, 0xFFFF_FFFF_FFFFL, 0),
                new DomainDTO(3, "IDENTITY", "arm-smmu", List.of(3), 0x40201000L, 0, 0, 0));
        List<PatternResult> patterns = List.of(
                new PatternResult("stream-16k", "stream", List.of(USB), 1000, 16_384_000, 1.0, 7.0, 2.0, 1.5, 0.5, 31_000.0, 484.4, 16_384_000, 0, 49152),
                new PatternResult("sg-nic", "sg", List.of(NIC, WIFI), 200, 3_276_800, 2.0, 4.0, 1.0, 3.0, 1.0, 999.0, 12.6, 3_276_800, 0, 8192));
        List<FaultResult> faults = List.of(
                new FaultResult(USB, 0x1000, false, "TRANSLATION FAULT", 1, "FSR 0x2 TF: translation fault at 0x1000", 0x2, SMMU, 0x10),
                new FaultResult(NIC, HIGH_IOVA, true, "TRANSLATION FAULT", 1, "FSR 0x2 TF", 0x2, SMMU, 0x12));
        return new BackendRun("arm-smmu-v2", List.of("arm-smmu"), null, iommus, devices, groups, domains,
                ordered(USB, "DMA", NIC, "DMA", WIFI, "IDENTITY"),
                ordered("deferred-flush", "yes", "pgsize-bitmap", "0x40201000"),
                patterns, faults, 24576, 49152, new SanitizerDTO(true, 98_765, 1, Map.of("stale-translation", 1L), 0,
                        List.of(new FlushQueueDTO(2, false, 12, 0, 9_800_000, 4_100_000, 10_000_000, 3, 4, 0, 0)),
                        List.of(new SanitizerFindingDTO(1, "stale-translation", SMMU, 0x12, NIC, "read", HIGH_IOVA,
                                "0x800004000 rw", "not mapped (TRANSLATION FAULT)", "SMMU TLBIVAL ASID 2 VA 0x4000",
                                1_234_567, 2, "PTE cleared; iommu_unmap 0x4000 @0x4000 by domain 2 at 1.000 ms, "
                                        + "no invalidation since"))));
    }

    /** A backend whose twin did not boot: error set, every list empty. */
    static BackendRun failed() {
        return new BackendRun("odd<&\">-ü🙂", List.of(), "probe failed: " + HOSTILE, List.of(), List.of(), List.of(),
                List.of(), Map.of(), Map.of(), List.of(), List.of(), 0, 0);
    }

    static Comparison two() {
        return comparison(List.of(dart(), smmu()));
    }

    static Comparison three() {
        return comparison(List.of(dart(), smmu(), failed()));
    }

    static Comparison comparison(List<BackendRun> runs) {
        List<Difference> diffs = new ArrayList<>();
        diffs.add(new Difference("group", WIFI, values(runs, r -> r.devices().stream()
                .filter(d -> d.node().equals(WIFI)).map(d -> String.valueOf(d.group())).findFirst().orElse("-"))));
        diffs.add(new Difference("mmio writes/op", "stream-16k", values(runs, r -> r.patterns().isEmpty() ? "n/a"
                : Fmt.perOp(r.patterns().get(0).mmioWritesPerOp()))));
        diffs.add(new Difference("capability " + HOSTILE, "", values(runs, r -> r.capabilities().getOrDefault("quirk", "-"))));
        return new Comparison("boards/j274 \"Mac mini\" <M1> & co", "mix " + HOSTILE, runs, diffs);
    }

    private static Map<String, String> values(List<BackendRun> runs, java.util.function.Function<BackendRun, String> f) {
        Map<String, String> m = new LinkedHashMap<>();
        runs.forEach(r -> m.put(r.backend(), f.apply(r)));
        return m;
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
