package io.iommulab.compare.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The SVG pictures of a comparison: a topology picture per backend and grouped bar charts of the
 * costs. Every picture is a complete, well-formed SVG document without an XML declaration, usable
 * both as a {@code .svg} file and inline in HTML; sizes are computed from the content and the
 * output depends only on the input (no clocks, no hash order).
 */
public final class Svg {
    private Svg() {
    }

    /** One chart of {@link #charts}: its file-name slug, title and unit. */
    private record Chart(String slug, String title, String unit, ToDoubleFunction<PatternResult> metric) {
    }

    private static final List<Chart> PATTERN_CHARTS = List.of(
            new Chart("mmio-writes", "MMIO writes per op", "writes/op", PatternResult::mmioWritesPerOp),
            new Chart("mmio-reads", "MMIO reads per op", "reads/op", PatternResult::mmioReadsPerOp),
            new Chart("invalidations", "TLB invalidations per op", "inval/op", PatternResult::invalidationsPerOp),
            new Chart("ops-per-second", "Throughput per pattern", "ops/s", PatternResult::opsPerSecond));

    /**
     * The topology picture of one run (see {@link TopologySvg} for the layout rules), nodes named
     * uniquely among what the run names.
     */
    public static String topology(BackendRun run) {
        return TopologySvg.render(run, ShortNames.of(run));
    }

    /** The topology picture of one run of {@code c}, nodes named uniquely over the board's whole tree. */
    public static String topology(Comparison c, BackendRun run) {
        return TopologySvg.render(run, ShortNames.of(c));
    }

    /**
     * A grouped bar chart.
     *
     * @param title            the chart's heading
     * @param unit             shown over the y axis
     * @param categories       one bar group per category, left to right
     * @param seriesByBackend  backend → one value per category (NaN: no bar, "n/a"), legend order
     */
    public static String bars(String title, String unit, List<String> categories, Map<String, double[]> seriesByBackend) {
        return BarChartSvg.render(title, unit, categories, seriesByBackend);
    }

    /**
     * The cost charts of a comparison, slug → SVG, in report order: MMIO writes/op, MMIO reads/op,
     * invalidations/op and ops/s per pattern (a backend that lacks a pattern gets "n/a"), then
     * page-table bytes after attach and at peak per backend. Slugs: {@code mmio-writes},
     * {@code mmio-reads}, {@code invalidations}, {@code ops-per-second}, {@code page-table-bytes}.
     */
    public static Map<String, String> charts(Comparison c) {
        List<String> names = seriesNames(c);
        List<String> patterns = new ArrayList<>(new java.util.LinkedHashSet<>(c.backends().stream()
                .flatMap(r -> r.patterns().stream().map(p -> Fmt.str(p.name()))).toList()));
        Map<String, String> out = new LinkedHashMap<>();
        for (Chart ch : PATTERN_CHARTS) {
            Map<String, double[]> series = new LinkedHashMap<>();
            for (int b = 0; b < names.size(); b++) {
                BackendRun r = c.backends().get(b);
                double[] v = new double[patterns.size()];
                for (int p = 0; p < v.length; p++) {
                    String name = patterns.get(p);
                    v[p] = r.patterns().stream().filter(x -> name.equals(Fmt.str(x.name()))).findFirst()
                            .map(ch.metric()::applyAsDouble).orElse(Double.NaN);
                }
                series.put(names.get(b), v);
            }
            out.put(ch.slug(), bars(ch.title(), ch.unit(), patterns, series));
        }
        Map<String, double[]> pt = new LinkedHashMap<>();
        for (int b = 0; b < names.size(); b++) {
            BackendRun r = c.backends().get(b);
            pt.put(names.get(b), new double[] {r.pageTableBytes(), r.peakPageTableBytes()});
        }
        out.put("page-table-bytes", bars("Page-table bytes", "bytes", List.of("after attach", "peak"), pt));
        return out;
    }

    /**
     * Backend names made unique ("x", "x (2)"), since they key the series map and two twins of the
     * same backend must still be two series.
     */
    static List<String> seriesNames(Comparison c) {
        List<String> out = new ArrayList<>();
        for (BackendRun r : c.backends()) {
            String base = Fmt.str(r.backend());
            String name = base;
            for (int n = 2; out.contains(name); n++) {
                name = base + " (" + n + ")";
            }
            out.add(name);
        }
        return out;
    }
}
