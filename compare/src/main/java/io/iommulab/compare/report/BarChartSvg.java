package io.iommulab.compare.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A grouped bar chart: one group per category, one bar per series (backend) in the group, a legend,
 * a y axis with about five "nice" ticks (1, 2 or 5 times a power of ten) and each bar's value
 * above it. A NaN or infinite value draws no bar and the label "n/a"; a zero draws a zero-height
 * bar so that "measured nothing" and "could not measure" stay distinguishable, and any other value
 * is at least one pixel high so that it does not pass for a zero. Negative values grow
 * down from the zero line. Legend swatches are circles, so the {@code <rect>}s are exactly the bars.
 */
final class BarChartSvg {
    private static final double MARGIN = 16;
    /** The plot's top: the title, then the unit, then room for the value label over the tallest bar. */
    private static final double TOP = MARGIN + 52;
    private static final double PLOT_H = 200;
    private static final double GROUP_PAD = 12;
    private static final int MAX_CATEGORY_CHARS = 24;
    private static final String INK = "#222222";
    private static final String GRID = "#dddddd";
    /** Tableau 10: distinguishable, and the same backend gets the same colour in every chart. */
    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

    private final String title;
    private final String unit;
    private final List<String> categories;
    private final List<String> names;
    private final List<double[]> values;
    private double[] ticks;
    private double barW;
    private double groupW;
    private double left;
    private double plotW;
    private Axis axis;

    private BarChartSvg(String title, String unit, List<String> categories, Map<String, double[]> series) {
        this.title = Fmt.str(title);
        this.unit = Fmt.str(unit);
        this.categories = categories.stream().map(Fmt::str).toList();
        this.names = new ArrayList<>(series.keySet());
        this.values = names.stream().map(series::get).toList();
    }

    /** The colour of the {@code i}-th series. */
    static String colour(int i) {
        return PALETTE[i % PALETTE.length];
    }

    static String render(String title, String unit, List<String> categories, Map<String, double[]> series) {
        BarChartSvg chart = new BarChartSvg(title, unit, categories, series);
        chart.measure();
        SvgDoc svg = new SvgDoc();
        svg.text("title", MARGIN, MARGIN + 12, "start", false, INK, chart.title);
        chart.drawAxes(svg);
        chart.drawBars(svg);
        double legendRight = chart.drawLegend(svg);
        double width = Math.max(Math.max(legendRight, MARGIN + SvgDoc.width(chart.title)),
                chart.left + SvgDoc.smallWidth(chart.unit)) + MARGIN;
        double height = Math.max(TOP + PLOT_H + 22, TOP + 8 + chart.names.size() * 16) + MARGIN;
        return svg.finish(width, height, chart.title);
    }

    /** Sizes from the content: the axis range, bar width from the longest value label, and so on. */
    private void measure() {
        double lo = 0;
        double hi = 0;
        int labelChars = Fmt.NA.length();
        for (double[] vs : values) {
            for (int c = 0; c < categories.size(); c++) {
                double v = value(vs, c);
                if (Fmt.finite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    labelChars = Math.max(labelChars, Fmt.compact(v).length());
                }
            }
        }
        ticks = ticks(lo, hi);
        axis = new Axis(ticks[0], ticks[ticks.length - 1]);
        barW = Math.max(18, labelChars * SvgDoc.SMALL_CHAR_W + 4);
        double catW = categories.stream().mapToDouble(c -> SvgDoc.smallWidth(categoryLabel(c)) + 8).max().orElse(0);
        groupW = Math.max(names.size() * barW + 2 * GROUP_PAD, catW);
        double tickW = 0;
        for (double t : ticks) {
            tickW = Math.max(tickW, SvgDoc.smallWidth(Fmt.compact(t)));
        }
        left = MARGIN + tickW + 10;
        plotW = Math.max(120, groupW * categories.size());
    }

    private void drawAxes(SvgDoc svg) {
        svg.text("unit", left, TOP - 22, "start", true, INK, unit);
        for (double t : ticks) {
            svg.line("grid", left, axis.y(t), left + plotW, axis.y(t), GRID);
            svg.text("tick", left - 6, axis.y(t) + 3, "end", true, INK, Fmt.compact(t));
        }
        svg.line("axis", left, TOP, left, TOP + PLOT_H, INK);
        svg.line("axis", left, axis.y(0), left + plotW, axis.y(0), INK);
    }

    private void drawBars(SvgDoc svg) {
        for (int c = 0; c < categories.size(); c++) {
            double gx = left + c * groupW;
            double bx = gx + (groupW - names.size() * barW) / 2;
            for (int s = 0; s < names.size(); s++) {
                bar(svg, bx + s * barW, value(values.get(s), c), colour(s), names.get(s) + " / " + categories.get(c));
            }
            svg.text("category", gx + groupW / 2, TOP + PLOT_H + 14, "middle", true, INK, categoryLabel(categories.get(c)));
        }
    }

    /** The legend right of the plot; returns its right edge. */
    private double drawLegend(SvgDoc svg) {
        double x = left + plotW + 20;
        double w = 0;
        for (int s = 0; s < names.size(); s++) {
            double y = TOP + 8 + s * 16;
            svg.circle("swatch", x + 5, y - 4, 5, colour(s));
            svg.text("legend", x + 14, y, "start", true, INK, names.get(s));
            w = Math.max(w, 14 + SvgDoc.smallWidth(names.get(s)));
        }
        return x + w;
    }

    private static String categoryLabel(String c) {
        return TextReport.fit(c, MAX_CATEGORY_CHARS);
    }

    private void bar(SvgDoc svg, double x, double v, String fill, String tooltip) {
        double w = barW;
        double cx = x + w / 2;
        if (!Fmt.finite(v)) {
            svg.text("value", cx, axis.y(0) - 3, "middle", true, "#888888", Fmt.NA);
            return;
        }
        double y0 = axis.y(0);
        double yv = axis.y(v);
        if (v != 0 && Math.abs(y0 - yv) < 1) {
            yv = v > 0 ? y0 - 1 : y0 + 1; // a tiny non-zero value must not look like a zero
        }
        svg.rect("bar", x + 1, Math.min(y0, yv), w - 2, Math.abs(y0 - yv), 0, fill, "none",
                tooltip + ": " + Fmt.compact(v));
        svg.text("value", cx, v >= 0 ? yv - 3 : yv + 11, "middle", true, INK, Fmt.compact(v));
    }

    /** Missing entries (a shorter array) are NaN: a backend without the pattern. */
    private static double value(double[] vs, int i) {
        return vs != null && i < vs.length ? vs[i] : Double.NaN;
    }

    /**
     * About five ticks covering [lo, hi] (which always contains 0) at a step of 1, 2 or 5 times a
     * power of ten (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990).
     */
    static double[] ticks(double lo, double hi) {
        if (hi - lo <= 0) {
            hi = lo + 1; // all zero or nothing measurable: still draw a 0..1 axis
        }
        double step = nice((hi - lo) / 4);
        double first = Math.floor(lo / step) * step;
        double last = Math.ceil(hi / step) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = first + i * step;
            t[i] = Math.abs(t[i]) < step * 1e-9 ? 0 : t[i]; // no "-0" or 1e-17 tick labels
        }
        return t;
    }

    /** {@code x} rounded to the nearest of 1, 2, 5 or 10 times a power of ten. */
    private static double nice(double x) {
        double exp = Math.floor(Math.log10(x));
        double f = x / Math.pow(10, exp);
        double nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
        return nf * Math.pow(10, exp);
    }

    /** Maps values to y pixels. */
    private record Axis(double lo, double hi) {
        double y(double v) {
            return TOP + PLOT_H - (v - lo) / (hi - lo) * PLOT_H;
        }
    }
}
