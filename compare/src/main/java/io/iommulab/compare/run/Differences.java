package io.iommulab.compare.run;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Difference;
import io.iommulab.compare.report.FaultResult;
import io.iommulab.compare.report.Fmt;
import io.iommulab.compare.report.Meaning;
import io.iommulab.compare.report.PatternResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds every metric on which the backends disagree. Values are compared as the reports print
 * them ({@link Fmt}), so a difference shown is a difference flagged, except where the report
 * compares what a value means ({@link Meaning}): groups by their members, and throughput, which is
 * measured wall time and never exactly equal, only when the fastest backend is more than
 * {@value Meaning#THROUGHPUT_TOLERANCE}× the slowest.
 */
public final class Differences {
    private final List<BackendRun> runs;
    private final List<Difference> out = new ArrayList<>();

    private Differences(List<BackendRun> runs) {
        this.runs = runs;
    }

    /** @return the differences between the runs (none for fewer than two) */
    public static List<Difference> of(List<BackendRun> runs) {
        Differences d = new Differences(runs);
        if (runs.size() > 1) {
            d.find();
        }
        return d.out;
    }

    private void find() {
        check("run", "", r -> r.error() == null ? "completed" : "stopped: " + r.error());
        check("sanitizer findings", "", BackendRun::sanitizerFindings);
        check("IOMMU instances", "", r -> String.valueOf(r.iommus().size()));
        check("groups", "", r -> String.valueOf(r.groups().size()));
        check("domains", "", r -> String.valueOf(r.domains().size()));
        for (String key : union(r -> r.capabilities().keySet())) {
            check(key, "", r -> r.capabilities().getOrDefault(key, "-"));
        }
        check("page-table bytes after attach", "", r -> String.valueOf(r.pageTableBytes()));
        check("page-table bytes, peak", "", r -> String.valueOf(r.peakPageTableBytes()));
        for (String dev : union(r -> r.defaultDomainTypes().keySet())) {
            check("default domain type", dev, r -> r.defaultDomainTypes().getOrDefault(dev, "absent"));
            check("group members", dev, r -> Meaning.groupMates(r, dev));
            check("state", dev, r -> r.devices().stream().filter(d -> d.node().equals(dev)).map(DeviceDTO::state).findFirst().orElse("absent"));
        }
        for (String p : union(r -> names(r.patterns()))) {
            check("MMIO reads/op", p, r -> cost(r, p, PatternResult::mmioReadsPerOp));
            check("MMIO writes/op", p, r -> cost(r, p, PatternResult::mmioWritesPerOp));
            check("invalidations/op", p, r -> cost(r, p, PatternResult::invalidationsPerOp));
            check("walks/op", p, r -> cost(r, p, PatternResult::walksPerOp));
            check("IOTLB hit rate", p, r -> pattern(r, p) == null ? "-" : Fmt.percent(pattern(r, p).iotlbHitRate()));
            check("data errors", p, r -> pattern(r, p) == null ? "-" : String.valueOf(pattern(r, p).dataErrors()));
            check("page-table bytes, peak", p, r -> pattern(r, p) == null ? "-" : String.valueOf(pattern(r, p).peakPageTableBytes()));
            throughput(p);
        }
        int faults = runs.stream().mapToInt(r -> r.faults().size()).max().orElse(0);
        for (int i = 0; i < faults; i++) {
            int k = i;
            String subject = "fault " + (i + 1);
            check("hardware fault", subject, r -> fault(r, k, FaultResult::modelFault));
            check("driver report", subject, r -> fault(r, k, f -> f.reason() == null ? "none" : f.reason()));
            check("faults reported", subject, r -> fault(r, k, f -> String.valueOf(f.reported())));
        }
    }

    private void check(String metric, String subject, Function<BackendRun, String> value) {
        Map<String, String> values = new LinkedHashMap<>();
        for (BackendRun r : runs) {
            values.put(r.backend(), value.apply(r));
        }
        if (new LinkedHashSet<>(values.values()).size() > 1) {
            out.add(new Difference(metric, subject, values));
        }
    }

    private void throughput(String p) {
        Map<String, String> values = new LinkedHashMap<>();
        List<Double> rates = new ArrayList<>();
        for (BackendRun r : runs) {
            PatternResult pr = pattern(r, p);
            values.put(r.backend(), pr == null ? "-" : Fmt.rate(pr.opsPerSecond()) + " ops/s");
            rates.add(pr == null ? Double.NaN : pr.opsPerSecond());
        }
        if (Meaning.throughputDiffers(rates)) {
            out.add(new Difference("throughput", p, values));
        }
    }

    private Set<String> union(Function<BackendRun, ? extends java.util.Collection<String>> f) {
        Set<String> s = new LinkedHashSet<>();
        runs.forEach(r -> s.addAll(f.apply(r)));
        return s;
    }

    private static List<String> names(List<PatternResult> ps) {
        return ps.stream().map(PatternResult::name).toList();
    }

    private static PatternResult pattern(BackendRun r, String name) {
        return r.patterns().stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    private static String cost(BackendRun r, String name, java.util.function.ToDoubleFunction<PatternResult> f) {
        PatternResult p = pattern(r, name);
        if (p == null) {
            return "-";
        }
        return Fmt.perOp(f.applyAsDouble(p));
    }

    private static String fault(BackendRun r, int i, Function<FaultResult, String> f) {
        return i < r.faults().size() ? String.valueOf(f.apply(r.faults().get(i))) : "-";
    }
}
