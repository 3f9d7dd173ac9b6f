package io.iommulab.compare.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison as a GitHub-flavoured Markdown report plus its pictures as separate SVG files
 * (Markdown cannot inline SVG portably): {@value #REPORT}, {@code topology-<backend>.svg} per
 * backend and {@code costs-<chart>.svg} per {@link Svg#charts} entry, all meant to be written
 * into one directory. Same tables as {@link TextReport}, uncut; a differing row has "*" in the
 * first column and its values in bold. Every piece of text is escaped so that a name cannot
 * start a link, emphasis, HTML tag or new table cell.
 */
public final class MarkdownReport {
    /** The report's file name in the returned map. */
    public static final String REPORT = "report.md";

    private MarkdownReport() {
    }

    /** File name → content: {@value #REPORT} first, then the SVG files it links. */
    public static Map<String, String> render(Comparison c) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(REPORT, "");
        List<String> columns = ComparisonTable.columns(c);
        StringBuilder md = new StringBuilder(8192);
        md.append("# IOMMU backend comparison\n\n");
        md.append("- **Board:** ").append(esc(c.board())).append('\n');
        md.append("- **Workload:** ").append(esc(c.workload())).append("\n\n");
        md.append("Rows marked \\* differ between backends; their values are in bold. Rows are ")
                .append(esc(ComparisonTable.STARS)).append(".\n\n");
        for (ComparisonTable.Section s : ComparisonTable.sections(c)) {
            md.append("## ").append(esc(s.title())).append("\n\n");
            table(md, columns, s.rows());
            if (s.title().equals("Topology")) {
                topologies(md, c, files);
            }
        }
        md.append("## Cost charts\n\n");
        Svg.charts(c).forEach((slug, svg) -> {
            String file = "costs-" + slug + ".svg";
            files.put(file, svg);
            md.append("![").append(esc(slug)).append("](").append(file).append(")\n\n");
        });
        differences(md, c);
        files.put(REPORT, md.toString());
        return files;
    }

    private static void topologies(StringBuilder md, Comparison c, Map<String, String> files) {
        List<String> names = fileNames(c);
        for (int i = 0; i < c.backends().size(); i++) {
            String file = "topology-" + names.get(i) + ".svg";
            files.put(file, Svg.topology(c, c.backends().get(i)));
            md.append("![topology of ").append(esc(c.backends().get(i).backend())).append("](")
                    .append(file).append(")\n\n");
        }
    }

    private static void table(StringBuilder md, List<String> columns, List<ComparisonTable.Row> rows) {
        md.append("| \\* | |");
        columns.forEach(col -> md.append(' ').append(esc(col)).append(" |"));
        md.append("\n|---|---|").append("---|".repeat(columns.size())).append('\n');
        for (ComparisonTable.Row r : rows) {
            String bold = r.differs() ? "**" : "";
            md.append("| ").append(r.differs() ? "\\*" : "").append(" | ").append(esc(r.label())).append(" |");
            for (String cell : r.cells()) {
                md.append(' ').append(cell.isEmpty() ? "" : bold + esc(cell) + bold).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static void differences(StringBuilder md, Comparison c) {
        md.append("## Differences\n\n");
        if (c.differences().isEmpty()) {
            md.append("None.\n");
            return;
        }
        List<String> keys = new ArrayList<>(ComparisonTable.columns(c));
        c.differences().forEach(d -> d.values().keySet().stream().map(Fmt::str)
                .filter(k -> !keys.contains(k)).forEach(keys::add));
        md.append("| metric | subject |");
        keys.forEach(k -> md.append(' ').append(esc(k)).append(" |"));
        md.append("\n|---|---|").append("---|".repeat(keys.size())).append('\n');
        for (Difference d : c.differences()) {
            md.append("| ").append(esc(d.metric())).append(" | ").append(esc(d.subject())).append(" |");
            keys.forEach(k -> md.append(' ').append(esc(d.values().getOrDefault(k, Fmt.MISSING))).append(" |"));
            md.append('\n');
        }
    }

    /** Backend names as unique, file-system- and URL-safe file-name parts. */
    static List<String> fileNames(Comparison c) {
        List<String> out = new ArrayList<>();
        for (BackendRun r : c.backends()) {
            String base = Fmt.str(r.backend()).replaceAll("[^A-Za-z0-9._-]", "_");
            base = base.isEmpty() ? "backend" : base;
            String name = base;
            for (int n = 2; out.contains(name); n++) {
                name = base + "-" + n;
            }
            out.add(name);
        }
        return out;
    }

    /**
     * Escapes Markdown syntax and HTML: punctuation that starts emphasis, code, links, headings or
     * cells gets a backslash; &lt;, &gt; and &amp; become entities (GFM renders raw HTML); line
     * breaks and other control characters become spaces (a table row is one line).
     */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!' -> b.append('\\').appendCodePoint(cp);
                default -> b.appendCodePoint(Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029 ? ' ' : cp);
            }
        });
        return b.toString().strip(); // "**x **" is not bold in GFM
    }
}
