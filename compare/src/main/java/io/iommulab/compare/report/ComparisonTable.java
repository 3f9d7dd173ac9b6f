package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The rows every tabular report shows, built once so that the terminal, Markdown and HTML reports
 * cannot disagree: one column per backend (in run order, so a third backend bundle is simply a
 * third column), cells already formatted. A backend that lacks an item another one has (a device,
 * pattern, capability or fault) shows {@value Fmt#MISSING}; a run that stopped early therefore
 * differs on every row it could not fill.
 */
public final class ComparisonTable {
    /**
     * One row.
     *
     * @param label what the row shows
     * @param cells one formatted value per backend, in backend order
     */
    public record Row(String label, List<String> cells) {
        public Row {
            cells = List.copyOf(cells);
        }

        /** True when the backends show different values: the row a reader must look at. */
        public boolean differs() {
            return cells.stream().distinct().count() > 1;
        }
    }

    /**
     * A titled block of rows.
     *
     * @param title the block's heading
     * @param rows  its rows
     */
    public record Section(String title, List<Row> rows) {
        public Section {
            rows = List.copyOf(rows);
        }
    }

    private ComparisonTable() {
    }

    /** The column headings: the backend names, in run order. */
    public static List<String> columns(Comparison c) {
        return c.backends().stream().map(b -> Fmt.str(b.backend())).toList();
    }

    /** Every section of the table, in report order. */
    public static List<Section> sections(Comparison c) {
        List<BackendRun> runs = c.backends();
        ShortNames names = ShortNames.of(c);
        List<Section> out = new ArrayList<>();
        out.add(run(runs));
        out.add(new Section("DMA sanitizer", List.of(
                row("sanitizer findings", runs, BackendRun::sanitizerFindings),
                row("transactions checked", runs, BackendRun::sanitizerTransactions))));
        out.add(topology(runs));
        out.add(capabilities(runs));
        out.add(new Section("Page tables", List.of(
                row("page-table bytes after attach", runs, r -> Fmt.bytes(r.pageTableBytes())),
                row("page-table bytes peak", runs, r -> Fmt.bytes(r.peakPageTableBytes())))));
        for (String name : union(runs, r -> r.patterns().stream().map(PatternResult::name).toList())) {
            out.add(pattern(name, runs, names));
        }
        int faults = runs.stream().mapToInt(r -> r.faults().size()).max().orElse(0);
        for (int i = 0; i < faults; i++) {
            out.add(fault(i, runs, names));
        }
        return out;
    }

    private static Section run(List<BackendRun> runs) {
        return new Section("Run", List.of(
                row("status", runs, r -> r.error() == null ? "ok" : "error: " + r.error()),
                row("drivers", runs, r -> String.join(", ", r.drivers().stream().map(Fmt::str).toList()))));
    }

    private static Section topology(List<BackendRun> runs) {
        List<Row> rows = new ArrayList<>();
        rows.add(row("IOMMUs", runs, r -> Integer.toString(r.iommus().size())));
        rows.add(row("IOMMU drivers", runs, r -> distinct(r.iommus(), n -> n.driver() == null ? "none" : n.driver())));
        rows.add(row("IOMMU states", runs, r -> counted(r.iommus(), IommuNodeDTO::state)));
        rows.add(row("groups formed", runs, r -> Integer.toString(r.groups().size())));
        List<String> devices = union(runs, r -> r.devices().stream().map(DeviceDTO::node).toList());
        for (String dev : devices) {
            rows.add(row("group of " + dev, runs, r -> device(r, dev)
                    .map(d -> d.group() == null ? "none" : d.group().toString()).orElse(Fmt.MISSING)));
        }
        rows.add(row("domains", runs, r -> Integer.toString(r.domains().size())));
        rows.add(row("domain types", runs, r -> counted(r.domains(), DomainDTO::type)));
        for (String dev : union(runs, r -> List.copyOf(r.defaultDomainTypes().keySet()))) {
            rows.add(row("default domain of " + dev, runs,
                    r -> r.defaultDomainTypes().getOrDefault(dev, Fmt.MISSING)));
        }
        return new Section("Topology", rows);
    }

    private static Section capabilities(List<BackendRun> runs) {
        List<Row> rows = new ArrayList<>();
        for (String key : union(runs, r -> List.copyOf(r.capabilities().keySet()))) {
            rows.add(row(key, runs, r -> r.capabilities().getOrDefault(key, Fmt.MISSING)));
        }
        return new Section("Capabilities", rows);
    }

    private static Section pattern(String name, List<BackendRun> runs, ShortNames names) {
        String kind = runs.stream().flatMap(r -> r.patterns().stream()).filter(p -> name.equals(p.name()))
                .map(PatternResult::kind).filter(Objects::nonNull).findFirst().orElse("?");
        List<Row> rows = List.of(
                prow("masters", name, runs, p -> String.join(", ", p.devices().stream().map(names::of).toList())),
                prow("ops", name, runs, p -> Long.toString(p.ops())),
                prow("MMIO reads/op", name, runs, p -> Fmt.perOp(p.mmioReadsPerOp())),
                prow("MMIO writes/op", name, runs, p -> Fmt.perOp(p.mmioWritesPerOp())),
                prow("invalidations/op", name, runs, p -> Fmt.perOp(p.invalidationsPerOp())),
                prow("walks/op", name, runs, p -> Fmt.perOp(p.walksPerOp())),
                prow("IOTLB hit rate", name, runs, p -> Fmt.percent(p.iotlbHitRate())),
                prow("ops/s", name, runs, p -> Fmt.rate(p.opsPerSecond())),
                prow("MiB/s", name, runs, p -> Fmt.mib(p.mibPerSecond())),
                prow("data errors", name, runs, p -> Long.toString(p.dataErrors())));
        return new Section("Pattern " + name + " (" + kind + ")", rows);
    }

    private static Section fault(int i, List<BackendRun> runs, ShortNames names) {
        FaultResult first = runs.stream().filter(r -> r.faults().size() > i).map(r -> r.faults().get(i))
                .findFirst().orElseThrow();
        List<Row> rows = List.of(
                frow("transaction", i, runs, f -> transaction(f, names)),
                frow("model answer", i, runs, f -> Fmt.str(f.modelFault())),
                frow("reported", i, runs, f -> Integer.toString(f.reported())),
                frow("status", i, runs, f -> Fmt.hex(f.status())),
                frow("reported by", i, runs, f -> f.iommu() == null ? "none"
                        : names.of(f.iommu()) + (f.sid() >= 0 ? " sid " + f.sid() : "")),
                frow("decoded", i, runs, f -> f.reason() == null ? "(not reported)" : f.reason()));
        return new Section("Fault " + (i + 1) + ": " + transaction(first, names), rows);
    }

    /** "usb@382280000 read @0x1000", with the master's short name */
    static String transaction(FaultResult f, ShortNames names) {
        return names.of(f.device()) + (f.write() ? " write @" : " read @") + Fmt.hex(f.iova());
    }

    private static Row row(String label, List<BackendRun> runs, Function<BackendRun, String> cell) {
        return new Row(label, runs.stream().map(r -> Fmt.str(cell.apply(r))).toList());
    }

    private static Row prow(String label, String pattern, List<BackendRun> runs, Function<PatternResult, String> cell) {
        return row(label, runs, r -> r.patterns().stream().filter(p -> pattern.equals(p.name())).findFirst()
                .map(cell).orElse(Fmt.MISSING));
    }

    private static Row frow(String label, int i, List<BackendRun> runs, Function<FaultResult, String> cell) {
        return row(label, runs, r -> r.faults().size() > i ? cell.apply(r.faults().get(i)) : Fmt.MISSING);
    }

    private static java.util.Optional<DeviceDTO> device(BackendRun r, String node) {
        return r.devices().stream().filter(d -> Objects.equals(d.node(), node)).findFirst();
    }

    /** Keys of every run, in order of first appearance: rows keep the workload's order. */
    private static List<String> union(List<BackendRun> runs, Function<BackendRun, List<String>> keys) {
        Set<String> all = new LinkedHashSet<>();
        runs.forEach(r -> keys.apply(r).forEach(k -> all.add(Fmt.str(k))));
        return List.copyOf(all);
    }

    private static <T> String distinct(List<T> items, Function<T, String> f) {
        return String.join(", ", items.stream().map(f).distinct().toList());
    }

    /** "DMA x2, IDENTITY x1", sorted by name so that equal multisets read equal. */
    private static <T> String counted(List<T> items, Function<T, String> f) {
        Map<String, Integer> counts = new TreeMap<>();
        items.forEach(t -> counts.merge(Objects.toString(f.apply(t), "?"), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((k, n) -> parts.add(k + " x" + n));
        return String.join(", ", parts);
    }
}
