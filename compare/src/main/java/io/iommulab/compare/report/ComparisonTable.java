package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

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
     * @param label   what the row shows
     * @param cells   one formatted value per backend, in backend order
     * @param differs true when the backends differ in what the cells mean ({@link Meaning}): a
     *                group by its members, not its number; a fault by master and access, not the
     *                IOVA each allocator chose; throughput beyond a tolerance. Elsewhere the cells
     *                themselves
     */
    public record Row(String label, List<String> cells, boolean differs) {
        public Row {
            cells = List.copyOf(cells);
        }

        /** A row whose cells mean what they show: it differs when they do. */
        public Row(String label, List<String> cells) {
            this(label, cells, cells.stream().distinct().count() > 1);
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

    /** What a star means, for the reports' legends. */
    public static final String STARS = "compared by what they mean: a group by its members, not its number; a fault by"
            + " its master and access, not the IOVA each backend's allocator chose, and by its decoded status, not the"
            + " raw register; throughput when one backend is more than " + Fmt.compact(Meaning.THROUGHPUT_TOLERANCE)
            + "x as fast";

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
        out.add(topology(runs, names));
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

    private static Section topology(List<BackendRun> runs, ShortNames names) {
        List<Row> rows = new ArrayList<>();
        rows.add(row("IOMMUs", runs, r -> Integer.toString(r.iommus().size())));
        rows.add(row("IOMMU drivers", runs, r -> distinct(r.iommus(), n -> n.driver() == null ? "none" : n.driver())));
        rows.add(row("IOMMU states", runs, r -> counted(r.iommus(), IommuNodeDTO::state)));
        rows.add(row("groups formed", runs, r -> Integer.toString(r.groups().size())));
        List<String> devices = union(runs, r -> r.devices().stream().map(DeviceDTO::node).toList());
        for (String dev : devices) {
            rows.add(row("group of " + dev, runs, r -> groupCell(r, dev, names),
                    r -> Meaning.device(r, dev) == null ? Fmt.MISSING : Meaning.groupMates(r, dev)));
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
                throughput("ops/s", name, runs, PatternResult::opsPerSecond, Fmt::rate),
                throughput("MiB/s", name, runs, PatternResult::mibPerSecond, Fmt::mib),
                prow("data errors", name, runs, p -> Long.toString(p.dataErrors())));
        return new Section("Pattern " + name + " (" + kind + ")", rows);
    }

    private static Section fault(int i, List<BackendRun> runs, ShortNames names) {
        List<Row> rows = List.of(
                frow("transaction", i, runs, (r, f) -> transaction(f, names), (r, f) -> Meaning.access(f)),
                frow("model answer", i, runs, (r, f) -> Fmt.str(f.modelFault())),
                frow("reported", i, runs, (r, f) -> Integer.toString(f.reported())),
                frow("status", i, runs, (r, f) -> Fmt.hex(f.status()), (r, f) -> decoded(f)),
                frow("reported by", i, runs, (r, f) -> f.iommu() == null ? "none"
                        : names.of(f.iommu()) + (f.sid() >= 0 ? " sid " + f.sid() : ""), Meaning::reporter),
                frow("decoded", i, runs, (r, f) -> decoded(f)));
        return new Section("Fault " + (i + 1) + ": " + faultTitle(i, runs, names), rows);
    }

    /**
     * The {@code i}-th fault as the workload asked for it: "usb@382280000 read @0x1000", with the
     * master's short name, or without the address ("..., IOVA per backend") when the backends'
     * allocators placed it at different addresses.
     */
    static String faultTitle(int i, List<BackendRun> runs, ShortNames names) {
        List<FaultResult> faults = runs.stream().filter(r -> r.faults().size() > i).map(r -> r.faults().get(i)).toList();
        FaultResult first = faults.get(0);
        boolean oneAddress = faults.stream().allMatch(f -> f.iova() == first.iova());
        return oneAddress ? transaction(first, names) : names.of(first.device()) + (first.write() ? " write" : " read")
                + ", IOVA per backend";
    }

    /** "usb@382280000 read @0x1000", with the master's short name */
    static String transaction(FaultResult f, ShortNames names) {
        return names.of(f.device()) + (f.write() ? " write @" : " read @") + Fmt.hex(f.iova());
    }

    /** The driver's decoded text: what the raw status register means. */
    private static String decoded(FaultResult f) {
        return f.reason() == null ? "(not reported)" : f.reason();
    }

    /**
     * "3 (with bluetooth@0,1)", "1 (alone)": the group's number, which differs between backends
     * as probe order does, and its other members, which are what the row compares.
     */
    private static String groupCell(BackendRun r, String dev, ShortNames names) {
        DeviceDTO d = Meaning.device(r, dev);
        if (d == null) {
            return Fmt.MISSING;
        }
        List<String> mates = Meaning.mates(r, dev);
        if (mates == null) {
            return "none";
        }
        return d.group() + (mates.isEmpty() ? " (alone)"
                : " (with " + String.join(", ", mates.stream().map(names::of).toList()) + ")");
    }

    private static Row row(String label, List<BackendRun> runs, Function<BackendRun, String> cell) {
        return new Row(label, runs.stream().map(r -> Fmt.str(cell.apply(r))).toList());
    }

    /** A row that shows {@code cell} and compares {@code meaning}. */
    private static Row row(String label, List<BackendRun> runs, Function<BackendRun, String> cell,
            Function<BackendRun, String> meaning) {
        return new Row(label, runs.stream().map(r -> Fmt.str(cell.apply(r))).toList(),
                runs.stream().map(meaning).distinct().count() > 1);
    }

    private static Row prow(String label, String pattern, List<BackendRun> runs, Function<PatternResult, String> cell) {
        return row(label, runs, r -> pattern(r, pattern).map(cell).orElse(Fmt.MISSING));
    }

    /** Measured wall-time figures differ only beyond {@link Meaning#THROUGHPUT_TOLERANCE}. */
    private static Row throughput(String label, String pattern, List<BackendRun> runs, ToDoubleFunction<PatternResult> v,
            DoubleFunction<String> fmt) {
        List<Double> values = runs.stream().map(r -> pattern(r, pattern).map(v::applyAsDouble).orElse(Double.NaN)).toList();
        List<String> cells = runs.stream().map(r -> pattern(r, pattern).map(p -> fmt.apply(v.applyAsDouble(p)))
                .orElse(Fmt.MISSING)).toList();
        return new Row(label, cells, Meaning.throughputDiffers(values));
    }

    private static Optional<PatternResult> pattern(BackendRun r, String name) {
        return r.patterns().stream().filter(p -> name.equals(p.name())).findFirst();
    }

    private static Row frow(String label, int i, List<BackendRun> runs, BiFunction<BackendRun, FaultResult, String> cell) {
        return frow(label, i, runs, cell, cell);
    }

    private static Row frow(String label, int i, List<BackendRun> runs, BiFunction<BackendRun, FaultResult, String> cell,
            BiFunction<BackendRun, FaultResult, String> meaning) {
        return row(label, runs, r -> r.faults().size() > i ? cell.apply(r, r.faults().get(i)) : Fmt.MISSING,
                r -> r.faults().size() > i ? meaning.apply(r, r.faults().get(i)) : Fmt.MISSING);
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
