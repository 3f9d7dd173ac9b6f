package io.iommulab.compare.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The comparison as one self-contained HTML file: the {@link TextReport} tables uncut, differing
 * rows marked "*" and highlighted, the topology pictures after the topology table and the cost
 * charts after the last table, all as inline SVG, then the differences.
 *
 * <p>The file is also well-formed XML (every element closed, only the five XML entities, no
 * {@code <} or {@code &} in the style sheet), so that tools can parse it and extract the pictures.
 */
public final class HtmlReport {
    private static final String CSS = """
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin-bottom: 1.5em; }
            th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
            thead th { background: #eef2f6; }
            tr.differs td, tr.differs th { background: #fff3cd; }
            tr.differs td.value { font-weight: bold; }
            td.mark { color: #b36b00; font-weight: bold; text-align: center; }
            figure { display: inline-block; margin: 0 1.5em 1.5em 0; vertical-align: top; max-width: 100%; }
            figure svg { max-width: 100%; height: auto; }
            """;

    private HtmlReport() {
    }

    /** {@code c} as an HTML document. */
    public static String render(Comparison c) {
        List<String> columns = ComparisonTable.columns(c);
        StringBuilder h = new StringBuilder(32768);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>IOMMU backend comparison: ")
                .append(Xml.esc(c.workload())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>IOMMU backend comparison</h1>\n<p>Board: <code>").append(Xml.esc(c.board()))
                .append("</code><br/>Workload: <code>").append(Xml.esc(c.workload())).append("</code></p>\n");
        h.append("<p>Rows marked * differ between backends, ").append(Xml.esc(ComparisonTable.STARS)).append(".</p>\n");
        for (ComparisonTable.Section s : ComparisonTable.sections(c)) {
            h.append("<h2>").append(Xml.esc(s.title())).append("</h2>\n");
            table(h, columns, s.rows());
            if (s.title().equals("Topology")) {
                h.append("<div class=\"pictures\">\n");
                c.backends().forEach(r -> figure(h, Svg.topology(c, r), "topology of " + Fmt.str(r.backend())));
                h.append("</div>\n");
            }
        }
        h.append("<h2>Cost charts</h2>\n<div class=\"pictures\">\n");
        for (Map.Entry<String, String> e : Svg.charts(c).entrySet()) {
            figure(h, e.getValue(), e.getKey());
        }
        h.append("</div>\n");
        differences(h, c);
        return h.append("</body>\n</html>\n").toString();
    }

    private static void figure(StringBuilder h, String svg, String caption) {
        h.append("<figure>\n").append(svg).append("<figcaption>").append(Xml.esc(caption))
                .append("</figcaption>\n</figure>\n");
    }

    private static void table(StringBuilder h, List<String> columns, List<ComparisonTable.Row> rows) {
        h.append("<table>\n<thead><tr><th></th><th></th>");
        columns.forEach(col -> h.append("<th>").append(Xml.esc(col)).append("</th>"));
        h.append("</tr></thead>\n<tbody>\n");
        for (ComparisonTable.Row r : rows) {
            h.append(r.differs() ? "<tr class=\"differs\"><td class=\"mark\">*</td>" : "<tr><td class=\"mark\"></td>");
            h.append("<th scope=\"row\">").append(Xml.esc(r.label())).append("</th>");
            r.cells().forEach(cell -> h.append("<td class=\"value\">").append(Xml.esc(cell)).append("</td>"));
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }

    private static void differences(StringBuilder h, Comparison c) {
        h.append("<h2>Differences</h2>\n");
        if (c.differences().isEmpty()) {
            h.append("<p>None.</p>\n");
            return;
        }
        List<String> keys = new ArrayList<>(ComparisonTable.columns(c));
        c.differences().forEach(d -> d.values().keySet().stream().map(Fmt::str)
                .filter(k -> !keys.contains(k)).forEach(keys::add));
        h.append("<table class=\"differences\">\n<thead><tr><th>metric</th><th>subject</th>");
        keys.forEach(k -> h.append("<th>").append(Xml.esc(k)).append("</th>"));
        h.append("</tr></thead>\n<tbody>\n");
        for (Difference d : c.differences()) {
            h.append("<tr class=\"differs\"><td>").append(Xml.esc(d.metric())).append("</td><td>")
                    .append(Xml.esc(d.subject())).append("</td>");
            keys.forEach(k -> h.append("<td class=\"value\">").append(Xml.esc(d.values().getOrDefault(k, Fmt.MISSING)))
                    .append("</td>"));
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }
}
