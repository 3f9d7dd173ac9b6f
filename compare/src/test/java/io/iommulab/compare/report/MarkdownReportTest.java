package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link MarkdownReport}: the file set, tables, highlighting and escaping. */
class MarkdownReportTest {
    @Test
    void returnsReportAndEverySvgItLinks() {
        Map<String, String> files = MarkdownReport.render(Fixtures.three());
        assertEquals("report.md", files.keySet().iterator().next());
        assertTrue(files.keySet().containsAll(List.of("topology-apple-dart.svg", "topology-arm-smmu-v2.svg",
                "costs-mmio-writes.svg", "costs-mmio-reads.svg", "costs-invalidations.svg",
                "costs-ops-per-second.svg", "costs-page-table-bytes.svg")), files.keySet().toString());
        assertEquals(1 + 3 + 5, files.size());
        files.keySet().forEach(name -> assertTrue(name.matches("[A-Za-z0-9._-]+"), "safe file name " + name));
        Matcher links = Pattern.compile("!\\[[^\\]]*\\]\\(([^)]+)\\)").matcher(files.get("report.md"));
        int n = 0;
        while (links.find()) {
            assertTrue(files.containsKey(links.group(1)), "dangling link " + links.group(1));
            n++;
        }
        assertEquals(files.size() - 1, n, "every picture is linked");
        files.forEach((name, content) -> {
            if (name.endsWith(".svg")) {
                XmlTestSupport.parse(content);
            }
        });
    }

    @Test
    void differingRowsAreStarredAndBold() {
        String md = MarkdownReport.render(Fixtures.two()).get("report.md");
        assertTrue(md.contains("| \\* | IOMMUs | **2** | **1** |"), md);
        assertTrue(md.contains("|  | ops | 1000 | 1000 |"));
        assertTrue(md.contains("| \\* | MMIO writes/op | **3.00** | **7.00** |"));
    }

    @Test
    void tablesKeepTheirColumnCountWhateverTheNames() {
        String md = MarkdownReport.render(Fixtures.three()).get("report.md");
        for (String block : md.split("\n\n")) {
            List<String> rows = block.lines().filter(l -> l.startsWith("|")).toList();
            if (rows.isEmpty()) {
                continue;
            }
            long cols = cells(rows.get(0));
            rows.forEach(r -> assertEquals(cols, cells(r), "row: " + r));
        }
    }

    /** Unescaped pipes in a table line. */
    private static long cells(String row) {
        return Pattern.compile("(?<!\\\\)\\|").matcher(row).results().count();
    }

    @Test
    void textIsEscaped() {
        String md = MarkdownReport.render(Fixtures.three()).get("report.md");
        assertFalse(md.contains("<&"), "raw markup");
        assertFalse(md.contains("\u0001"));
        assertFalse(md.contains("\t"));
        assertFalse(md.contains("\u2028"), "a line separator would split a table row");
        assertTrue(md.contains("&lt;&amp;\"'&gt; \\| \\*x\\* \\[l\\](u) \\\\ tab here new line ü 🙂"), md);
        assertTrue(md.contains("- **Board:** boards/j274 \"Mac mini\" &lt;M1&gt; &amp; co"));
    }

    @Test
    void listsEveryDifferenceWithAColumnPerBackend() {
        String md = MarkdownReport.render(Fixtures.three()).get("report.md");
        String diffs = md.substring(md.indexOf("## Differences"));
        assertTrue(diffs.contains("| metric | subject | apple-dart | arm-smmu-v2 | odd&lt;&amp;\"&gt;-ü🙂 |"), diffs);
        assertTrue(diffs.contains("| group | /soc/pcie@690000000/wifi@0,1 | 2 | 3 | - |"));
        assertTrue(diffs.contains("| mmio writes/op | stream-16k | 3.00 | 7.00 | n/a |"));
        assertEquals(3 + 2, diffs.lines().filter(l -> l.startsWith("|")).count());
    }
}
