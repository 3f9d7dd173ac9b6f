package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TextReport}: starred rows, alignment, width, truncation, faults and differences. */
class TextReportTest {
    /** A parsed table line: marker, label and cells as the terminal shows them. */
    private record Line(boolean starred, String label, List<String> cells) {
    }

    /**
     * The table lines (after the rule under the header, up to the first blank line), section
     * headings skipped. Cells are cut at the header's separator positions (counted in code points),
     * and every line must have " | " exactly there: that is the alignment check (a cell may itself
     * contain " | ", so splitting on it would be wrong).
     */
    private static List<Line> table(String text) {
        List<String> lines = text.lines().toList();
        int start = 0;
        while (!lines.get(start).startsWith("----")) {
            start++;
        }
        int[] header = lines.get(start - 1).codePoints().toArray();
        List<Integer> seps = new ArrayList<>();
        for (int k = 0; k + 3 <= header.length; k++) {
            if (str(header, k, k + 3).equals(" | ")) {
                seps.add(k);
            }
        }
        List<Line> out = new ArrayList<>();
        for (int i = start + 1; !lines.get(i).isEmpty(); i++) {
            String l = lines.get(i);
            if (l.startsWith("[")) {
                continue;
            }
            int[] cp = (l + "   ").codePoints().toArray(); // an empty last cell loses its trailing blank
            List<String> cells = new ArrayList<>();
            for (int k = 0; k < seps.size(); k++) {
                int at = seps.get(k);
                assertEquals(" | ", str(cp, at, Math.min(cp.length, at + 3)), "misaligned: " + l);
                int end = k + 1 < seps.size() ? seps.get(k + 1) : cp.length;
                cells.add(str(cp, at + 3, Math.min(end, cp.length)).strip());
            }
            out.add(new Line(l.startsWith("* "), str(cp, 2, seps.get(0)).strip(), cells));
        }
        return out;
    }

    private static String str(int[] cp, int from, int to) {
        return from >= to ? "" : new String(cp, from, to - from);
    }

    private static Line row(List<Line> lines, String label, int occurrence) {
        return lines.stream().filter(l -> l.label().equals(label)).skip(occurrence).findFirst().orElseThrow(
                () -> new AssertionError("no row " + label));
    }

    @Test
    void starsExactlyTheDifferingRows() {
        Comparison c = Fixtures.two();
        List<Line> lines = table(TextReport.render(c));
        List<ComparisonTable.Row> rows = ComparisonTable.sections(c).stream().flatMap(s -> s.rows().stream()).toList();
        assertEquals(rows.size(), lines.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(rows.get(i).differs(), lines.get(i).starred(), "row " + lines.get(i));
        }
        assertTrue(row(lines, "IOMMUs", 0).starred(), "2 DARTs vs 1 SMMU");
        assertEquals(List.of("2", "1"), row(lines, "IOMMUs", 0).cells());
        assertFalse(row(lines, "ops", 0).starred(), "both did 1000 ops");
        assertFalse(row(lines, "data errors", 1).starred());
        assertTrue(row(lines, "MMIO writes/op", 0).starred());
        assertEquals(List.of("3.00", "7.00"), row(lines, "MMIO writes/op", 0).cells());
        assertEquals(List.of("n/a", "100.0%"), row(lines, "IOTLB hit rate", 1).cells());
        assertTrue(row(lines, "group of " + Fixtures.WIFI, 0).starred(), "aliased on DART, alone on SMMU");
        assertEquals(List.of("2 (with nic@0,0)", "3 (alone)"), row(lines, "group of " + Fixtures.WIFI, 0).cells());
        assertFalse(row(lines, "group of " + Fixtures.USB, 0).starred());
        assertTrue(row(lines, "ops/s", 0).starred(), "52000 vs 31000 ops/s: more than 1.5x");
        assertFalse(row(lines, "ops/s", 1).starred(), "1234 vs 999 ops/s: within 1.5x");
        assertEquals(List.of("1235", "999"), row(lines, "ops/s", 1).cells());
        assertEquals(List.of("DMA x2", "DMA x2, IDENTITY x1"), row(lines, "domain types", 0).cells());
    }

    @Test
    void columnsAlignAndLinesFit() {
        for (Comparison c : List.of(Fixtures.two(), Fixtures.three())) {
            String text = TextReport.render(c);
            for (String l : text.lines().toList()) {
                assertTrue(l.codePointCount(0, l.length()) <= TextReport.WIDTH, "too wide: " + l);
            }
            List<Line> lines = table(text); // asserts the separators line up
            lines.forEach(l -> assertEquals(c.backends().size(), l.cells().size()));
        }
    }

    @Test
    void thirdBackendIsThirdColumn() {
        String text = TextReport.render(Fixtures.three());
        List<String> all = text.lines().toList();
        String header = all.get(all.indexOf(all.stream().filter(l -> l.startsWith("----")).findFirst().orElseThrow()) - 1);
        assertTrue(header.contains("apple-dart") && header.contains("arm-smmu-v2") && header.contains("odd<&\">-ü🙂"));
        List<Line> lines = table(text);
        lines.forEach(l -> assertEquals(3, l.cells().size()));
        Line status = row(lines, "status", 0);
        assertTrue(status.starred());
        assertTrue(status.cells().get(2).startsWith("error: probe failed"));
        assertEquals("-", row(lines, "ops", 0).cells().get(2));
        assertTrue(row(lines, "ops", 0).starred(), "a missing pattern differs");
    }

    @Test
    void longCellsAreCutButFaultTextIsShownInFull() {
        String text = TextReport.render(Fixtures.two());
        Line decoded = row(table(text), "decoded", 0);
        assertTrue(decoded.cells().get(0).endsWith("…"), decoded.cells().get(0));
        String listing = text.substring(text.indexOf("Faults (decoded text per backend)"), text.indexOf("Differences ("));
        String joined = listing.replaceAll("\\s+", " ");
        assertTrue(joined.contains("apple-dart: " + Fixtures.LONG_REASON), joined);
        assertTrue(joined.contains("arm-smmu-v2: FSR 0x2 TF: translation fault at 0x1000"));
        assertTrue(joined.contains("apple-dart: (not reported)"));
        assertTrue(joined.contains("fault 2: nic@0,0 write @0xfffffffffffff000"));
    }

    @Test
    void listsEveryDifference() {
        Comparison c = Fixtures.three();
        String text = TextReport.render(c);
        String diffs = text.substring(text.indexOf("Differences (3)")).replaceAll("\\s+", " ");
        assertTrue(diffs.contains("- group [" + Fixtures.WIFI + "]: apple-dart=2; arm-smmu-v2=3; odd<&\">-ü🙂=-"), diffs);
        assertTrue(diffs.contains("- mmio writes/op [stream-16k]: apple-dart=3.00; arm-smmu-v2=7.00; odd<&\">-ü🙂=n/a"));
        assertTrue(diffs.contains("- capability <&\"'>"));
    }

    @Test
    void controlCharactersCannotBreakLines() {
        String text = TextReport.render(Fixtures.three());
        assertFalse(text.contains("\t"));
        assertFalse(text.contains("\u0001"));
        assertTrue(text.lines().anyMatch(l -> l.startsWith("workload: mix <&\"'> | *x* [l](u) \\ tab here new line")));
    }

    @Test
    void identicalRunsStarNothingAndSayNone() {
        BackendRun r = Fixtures.smmu();
        BackendRun quiet = new BackendRun(r.backend(), r.drivers(), null, r.iommus(), r.devices(), r.groups(),
                r.domains(), r.defaultDomainTypes(), r.capabilities(), r.patterns(), List.of(), 1, 1);
        String text = TextReport.render(new Comparison("b", "w", List.of(quiet, quiet), List.of()));
        assertFalse(text.contains("Faults ("));
        assertFalse(text.contains("DMA sanitizer findings"), "no findings, no section");
        assertEquals(List.of("not run", "not run"), row(table(text), "sanitizer findings", 0).cells());
        assertTrue(text.contains("Differences (0)\n  none\n"));
        table(text).forEach(l -> assertFalse(l.starred(), "identical runs: " + l));
    }

    /**
     * Row labels carry full paths; on a two-die board two PCI functions' paths share their first 40
     * characters, so the label column widens until no two labels are cut to the same text (cut after
     * the first character that tells them apart, where the line has no room for all of them).
     */
    @Test
    void labelsThatWouldBeCutToTheSameTextWidenTheLabelColumn() {
        String host = "/soc@2200000000/pcie@590000000/pci@0,0/";
        List<io.iommulab.api.dto.DeviceDTO> devices = List.of(
                new io.iommulab.api.dto.DeviceDTO(host + "wifi@0,0", List.of(), "probed", null, 1, 1, "DMA"),
                new io.iommulab.api.dto.DeviceDTO(host + "bluetooth@0,1", List.of(), "probed", null, 1, 1, "DMA"));
        BackendRun r = new BackendRun("a", List.of(), null, List.of(), devices, List.of(), List.of(), java.util.Map.of(),
                java.util.Map.of(), List.of(), List.of(), 0, 0);
        List<String> labels = table(TextReport.render(new Comparison("b", "w", List.of(r, r), List.of()))).stream()
                .map(Line::label).filter(l -> l.startsWith("group of ")).toList();
        assertEquals(2, labels.size());
        assertTrue(labels.get(0).startsWith("group of " + host + "w"), labels.toString());
        assertTrue(labels.get(1).startsWith("group of " + host + "b"), labels.toString());
    }

    @Test
    void sanitizerFindingsAreCountedPerBackendAndListedInFull() {
        Comparison c = Fixtures.two();
        String text = TextReport.render(c);
        Line findings = row(table(text), "sanitizer findings", 0);
        assertTrue(findings.starred());
        assertEquals(List.of("0 findings", "1 finding (stale-translation 1)"), findings.cells());
        assertEquals(List.of("123456", "98765"), row(table(text), "transactions checked", 0).cells());
        String section = text.substring(text.indexOf("DMA sanitizer findings (per backend)\n"), text.indexOf("Differences ("));
        assertTrue(section.contains("\n  arm-smmu-v2: 1 finding (stale-translation 1)\n"), section);
        assertTrue(section.contains("\n    #1 stale-translation: " + Fixtures.SMMU + " sid 18 ("), section);
        String words = section.replaceAll("\\s+", " "); // the line is wrapped at the report's width
        assertTrue(words.contains("(" + Fixtures.NIC + ") domain 2 read iova 0xfffffffffffff000: 0x800004000 rw, "
                + "now not mapped (TRANSLATION FAULT); PTE cleared; iommu_unmap 0x4000 @0x4000 by domain 2 at 1.000 ms, "
                + "no invalidation since; due: SMMU TLBIVAL ASID 2 VA 0x4000"), section);
        assertFalse(section.contains("apple-dart"), "a backend without findings has no lines: " + section);
        assertTrue(io.iommulab.compare.run.Differences.of(c.backends()).stream().anyMatch(d -> d.metric()
                .equals("sanitizer findings") && d.values().equals(java.util.Map.of("apple-dart", "0 findings",
                        "arm-smmu-v2", "1 finding (stale-translation 1)"))), "a backend with findings differs");
    }

    @Test
    void aBackendWithManyFindingsShowsTheFirstAndCountsTheRest() {
        BackendRun r = Fixtures.smmu();
        List<SanitizerFindingDTO> history = new ArrayList<>();
        for (int i = 1; i <= TextReport.FINDINGS_SHOWN + 3; i++) {
            history.add(new SanitizerFindingDTO(i + 2, "dma-after-unmap", Fixtures.SMMU, 1, Fixtures.USB, "write",
                    0x4000L * i, "0x800000000 rw", "released", null, i, 1, "iommu_unmap"));
        }
        SanitizerDTO many = new SanitizerDTO(true, 100, 0, java.util.Map.of("dma-after-unmap", 15L), 2, List.of(), history);
        BackendRun broken = new BackendRun(r.backend(), r.drivers(), null, r.iommus(), r.devices(), r.groups(),
                r.domains(), r.defaultDomainTypes(), r.capabilities(), r.patterns(), r.faults(), 1, 1, many);
        String text = TextReport.render(new Comparison("b", "w", List.of(Fixtures.dart(), broken), List.of()));
        assertTrue(text.contains("  arm-smmu-v2: 15 findings (dma-after-unmap 15)\n"), text);
        assertTrue(text.contains("    #12 dma-after-unmap: "), "the first " + TextReport.FINDINGS_SHOWN + " kept: " + text);
        assertFalse(text.contains("#13 "), text);
        assertTrue(text.contains("    ... 5 more (the JSON report lists the last 13)\n"), "2 dropped, 3 not shown: " + text);
    }
}
