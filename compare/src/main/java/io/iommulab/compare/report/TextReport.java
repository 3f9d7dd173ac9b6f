package io.iommulab.compare.report;

import io.iommulab.api.dto.SanitizerFindingDTO;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The comparison as a terminal table: one column per backend, a {@code *} in front of every row
 * whose cells differ, then each fault's full decoded text, the DMA sanitizer's findings (if any
 * backend had one) and the list of differences.
 *
 * <p>Lines stay within {@value #WIDTH} characters where the column count allows (at least
 * {@value #MIN_CELL} characters per column): cells that do not fit are cut and end in "…", which is
 * why fault texts, the one kind of cell that is routinely long, are repeated in full below the table.
 * Plain ASCII apart from that ellipsis and whatever the names contain; control characters in names
 * are shown as spaces so that a hostile name cannot break the layout.
 */
public final class TextReport {
    /** The target line width. */
    static final int WIDTH = 120;
    private static final int MIN_CELL = 8;
    private static final int MAX_LABEL = 40;
    private static final int MIN_LABEL = 16;
    private static final String SEP = " | ";
    /** Sanitizer findings shown in full per backend; a broken backend can have thousands. */
    static final int FINDINGS_SHOWN = 10;

    private TextReport() {
    }

    /** {@code c} as terminal text, lines ending in '\n'. */
    public static String render(Comparison c) {
        List<String> columns = ComparisonTable.columns(c);
        List<ComparisonTable.Section> sections = ComparisonTable.sections(c);
        StringBuilder out = new StringBuilder(8192);
        out.append("IOMMU backend comparison\n");
        out.append("board:    ").append(clean(c.board())).append('\n');
        out.append("workload: ").append(clean(c.workload())).append('\n');
        wrap(out, "", "Rows marked * differ between backends, " + ComparisonTable.STARS + ".");
        out.append('\n');
        table(out, columns, sections);
        faults(out, c, ShortNames.of(c));
        sanitizerFindings(out, c);
        differences(out, c);
        return out.toString();
    }

    private static void table(StringBuilder out, List<String> columns, List<ComparisonTable.Section> sections) {
        int labelW = labelWidth(sections, columns.size());
        int[] cellW = cellWidths(columns, sections, WIDTH - 2 - labelW - SEP.length() * columns.size());
        out.append(line("  ", "", columns, labelW, cellW)).append('\n');
        StringBuilder rule = new StringBuilder("--").append("-".repeat(labelW));
        for (int w : cellW) {
            rule.append("-+-").append("-".repeat(w));
        }
        out.append(rule).append('\n');
        for (ComparisonTable.Section s : sections) {
            out.append('[').append(fit(clean(s.title()), WIDTH - 2)).append("]\n");
            for (ComparisonTable.Row r : s.rows()) {
                out.append(line(r.differs() ? "* " : "  ", r.label(), r.cells(), labelW, cellW)).append('\n');
            }
        }
        out.append('\n');
    }

    private static String line(String marker, String label, List<String> cells, int labelW, int[] cellW) {
        StringBuilder b = new StringBuilder(marker).append(pad(fit(clean(label), labelW), labelW));
        for (int i = 0; i < cellW.length; i++) {
            b.append(SEP).append(pad(fit(clean(cells.get(i)), cellW[i]), cellW[i]));
        }
        return stripTrailing(b);
    }

    /**
     * Up to {@value #MAX_LABEL} characters, wider where the room allows when cutting would make two
     * different labels read the same: row labels carry full DT paths, and two dies' paths
     * ({@code /soc@200000000/...}, {@code /soc@2200000000/...}) differ in the middle.
     */
    private static int labelWidth(List<ComparisonTable.Section> sections, int ncol) {
        Set<String> labels = new LinkedHashSet<>();
        sections.forEach(s -> s.rows().forEach(r -> labels.add(clean(r.label()))));
        int longest = labels.stream().mapToInt(TextReport::len).max().orElse(0);
        int room = WIDTH - 2 - ncol * (SEP.length() + MIN_CELL);
        int w = Math.max(MIN_LABEL, Math.min(Math.min(longest, MAX_LABEL), room));
        while (w < Math.min(longest, room) && cutsCollide(labels, w)) {
            w++;
        }
        return w;
    }

    private static boolean cutsCollide(Set<String> labels, int w) {
        Set<String> cut = new HashSet<>();
        for (String l : labels) {
            if (!cut.add(fit(l, w))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Natural widths, shrunk by water-filling when they do not fit: narrow columns keep their
     * width and the wide ones share what is left, so one long fault text does not squeeze the rest.
     */
    private static int[] cellWidths(List<String> columns, List<ComparisonTable.Section> sections, int room) {
        int n = columns.size();
        int[] want = new int[n];
        for (int i = 0; i < n; i++) {
            want[i] = len(clean(columns.get(i)));
            for (ComparisonTable.Section s : sections) {
                for (ComparisonTable.Row r : s.rows()) {
                    want[i] = Math.max(want[i], len(clean(r.cells().get(i))));
                }
            }
            want[i] = Math.max(want[i], 1);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(want[a], want[b]));
        int[] got = new int[n];
        int left = room;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            int share = Math.max(MIN_CELL, left / (n - k));
            got[i] = Math.min(want[i], share);
            left -= got[i];
        }
        return got;
    }

    private static void faults(StringBuilder out, Comparison c, ShortNames names) {
        int count = c.backends().stream().mapToInt(r -> r.faults().size()).max().orElse(0);
        if (count == 0) {
            return;
        }
        out.append("Faults (decoded text per backend)\n");
        for (int i = 0; i < count; i++) {
            out.append("  fault ").append(i + 1).append(": ")
                    .append(clean(ComparisonTable.faultTitle(i, c.backends(), names))).append('\n');
            for (BackendRun r : c.backends()) {
                String text = r.faults().size() <= i ? Fmt.MISSING
                        : r.faults().get(i).reason() == null ? "(not reported)" : r.faults().get(i).reason();
                wrap(out, "    " + clean(r.backend()) + ": ", clean(text));
            }
        }
        out.append('\n');
    }

    /**
     * Each backend's DMA sanitizer findings in full, as the core logs them: the table only counts
     * them. At most {@value #FINDINGS_SHOWN} per backend; the JSON has the sanitizer's whole history.
     */
    private static void sanitizerFindings(StringBuilder out, Comparison c) {
        if (c.backends().stream().noneMatch(r -> r.sanitizer() != null && r.sanitizer().total() > 0)) {
            return;
        }
        out.append("DMA sanitizer findings (per backend)\n");
        for (BackendRun r : c.backends()) {
            if (r.sanitizer() == null || r.sanitizer().total() == 0) {
                continue;
            }
            out.append("  ").append(clean(r.backend())).append(": ").append(r.sanitizerFindings()).append('\n');
            List<SanitizerFindingDTO> history = r.sanitizer().history();
            for (SanitizerFindingDTO f : history.subList(0, Math.min(FINDINGS_SHOWN, history.size()))) {
                wrap(out, "    #" + f.seq() + " ", clean(f.line()));
            }
            long more = r.sanitizer().total() - Math.min(FINDINGS_SHOWN, history.size());
            if (more > 0) {
                out.append("    ... ").append(more).append(" more (the JSON report lists the last ")
                        .append(history.size()).append(")\n");
            }
        }
        out.append('\n');
    }

    private static void differences(StringBuilder out, Comparison c) {
        out.append("Differences (").append(c.differences().size()).append(")\n");
        if (c.differences().isEmpty()) {
            out.append("  none\n");
        }
        for (Difference d : c.differences()) {
            List<String> vals = new ArrayList<>();
            d.values().forEach((k, v) -> vals.add(clean(k) + "=" + clean(v)));
            String subject = d.subject() == null || d.subject().isEmpty() ? "" : " [" + clean(d.subject()) + "]";
            wrap(out, "  - ", clean(d.metric()) + subject + ": " + String.join("; ", vals));
        }
    }

    /**
     * Word-wraps {@code text} after {@code head} (cut to half a line), continuation lines indented
     * under the text; a word longer than a line is split rather than allowed to overflow.
     */
    private static void wrap(StringBuilder out, String head, String text) {
        head = fit(head, WIDTH / 2);
        int room = WIDTH - len(head);
        List<String> lines = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String word : text.split(" ")) {
            if (word.isEmpty()) {
                continue;
            }
            while (len(word) > room) {
                if (cur.length() > 0) {
                    lines.add(cur.toString());
                    cur.setLength(0);
                }
                int cut = word.offsetByCodePoints(0, room);
                lines.add(word.substring(0, cut));
                word = word.substring(cut);
            }
            if (cur.length() > 0 && len(cur) + 1 + len(word) > room) {
                lines.add(cur.toString());
                cur.setLength(0);
            }
            if (cur.length() > 0) {
                cur.append(' ');
            }
            cur.append(word);
        }
        if (cur.length() > 0 || lines.isEmpty()) {
            lines.add(cur.toString());
        }
        String indent = " ".repeat(len(head));
        for (int i = 0; i < lines.size(); i++) {
            out.append(stripTrailing((i == 0 ? head : indent) + lines.get(i))).append('\n');
        }
    }

    /** {@code s} cut to {@code w} code points, the last one replaced by "…" when cut. */
    static String fit(String s, int w) {
        if (len(s) <= w) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, Math.max(0, w - 1))) + "…";
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(Math.max(0, w - len(s)));
    }

    private static int len(CharSequence s) {
        return Character.codePointCount(s, 0, s.length());
    }

    private static String clean(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029 ? ' ' : cp));
        return b.toString();
    }

    private static String stripTrailing(CharSequence s) {
        return s.toString().stripTrailing();
    }
}
