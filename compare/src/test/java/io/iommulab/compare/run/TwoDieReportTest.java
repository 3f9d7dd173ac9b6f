package io.iommulab.compare.run;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.ComparisonTable;
import io.iommulab.compare.report.HtmlReport;
import io.iommulab.compare.report.JsonReport;
import io.iommulab.compare.report.MarkdownReport;
import io.iommulab.compare.report.Svg;
import io.iommulab.compare.report.TextReport;
import io.iommulab.compare.workload.Workload;
import io.iommulab.compare.workload.WorkloadParser;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.StrictJson;
import io.iommulab.testkit.TestBoards;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The comparison of the two-die t6002 board, whose dies both have {@code usb@702280000} behind
 * {@code iommu@702f00000}: every rendering tells the dies apart (short names keep the die's bus
 * where the name repeats), the JSON has full paths, and the text table never cuts two row labels
 * to the same text.
 */
class TwoDieReportTest {
    static final String USB0 = "soc@200000000/usb@702280000";
    static final String USB1 = "soc@2200000000/usb@702280000";
    private static final Workload WORKLOAD = WorkloadParser.parse("two-die", """
            devices soc@200000000/usb@702280000 soc@2200000000/usb@702280000
            stream 16K count=2
            fault device=soc@2200000000/usb@702280000
            """);

    private final DeviceTree board = DeviceTrees.parse("iommulab-t6002.dts", TestBoards.t6002Dts());
    private final Comparison c = Stack.dartAndSmmu().comparator().compare(board, WORKLOAD, List.of());

    @Test
    void tableCellsAndFaultsNameTheDie() {
        for (BackendRun r : c.backends()) {
            assertNull(r.error(), r.backend() + ": " + r.error());
        }
        List<ComparisonTable.Row> rows = ComparisonTable.sections(c).stream().flatMap(s -> s.rows().stream()).toList();
        ComparisonTable.Row masters = rows.stream().filter(r -> r.label().equals("masters")).findFirst().orElseThrow();
        assertEquals(List.of(USB0 + ", " + USB1, USB0 + ", " + USB1), masters.cells());
        ComparisonTable.Row transaction = rows.stream().filter(r -> r.label().equals("transaction")).findFirst().orElseThrow();
        assertTrue(transaction.cells().stream().allMatch(t -> t.startsWith(USB1 + " ")), transaction.cells().toString());
        ComparisonTable.Row reporter = rows.stream().filter(r -> r.label().equals("reported by")).findFirst().orElseThrow();
        assertTrue(reporter.cells().stream().allMatch(t -> t.startsWith("soc@2200000000/iommu@702f00000 sid ")),
                reporter.cells().toString());
        assertTrue(TextReport.render(c).contains("fault 1: " + USB1 + " read"), TextReport.render(c));
        assertTrue(rows.stream().anyMatch(r -> r.label().equals("group of /" + USB1)), "row labels keep full paths");
    }

    @Test
    void textRowLabelsAreNeverCutToTheSameText() {
        List<String> labels = new ArrayList<>();
        for (String line : TextReport.render(c).lines().toList()) {
            if (line.startsWith("  ") || line.startsWith("* ")) {
                int sep = line.indexOf(" | ");
                if (sep > 0) {
                    labels.add(line.substring(2, sep).strip());
                }
            }
        }
        List<String> devices = labels.stream().filter(l -> l.startsWith("group of ") || l.startsWith("default domain of "))
                .toList();
        assertTrue(devices.size() >= 6, labels.toString());
        assertEquals(devices.size(), devices.stream().distinct().count(), devices.toString());
    }

    @Test
    void pictureLabelsAreUniqueOverTheWholeTree() {
        for (BackendRun r : c.backends()) {
            String svg = Svg.topology(c, r);
            List<String> masters = texts(svg, "master-label");
            assertTrue(masters.containsAll(List.of("dma-controller@39b400000", USB0, USB1)), r.backend() + ": " + masters);
            assertEquals(masters.size(), masters.stream().distinct().count(), masters.toString());
            List<String> iommus = texts(svg, "iommu-label");
            assertEquals(iommus.size(), iommus.stream().distinct().count(), iommus.toString());
            assertTrue(iommus.contains("soc@200000000/iommu@702f00000") && iommus.contains("soc@2200000000/iommu@702f00000"),
                    iommus.toString());
            assertTrue(HtmlReport.render(c).contains(">" + USB1 + "</text>"));
        }
        assertTrue(MarkdownReport.render(c).values().stream().anyMatch(f -> f.contains(">" + USB1 + "</text>")));
    }

    @Test
    void aDieOneTwinNoRunListsStillKeepsTheDieInTheName() {
        // die 1's dwc3 disabled: no run lists it, but the board's tree has it, so die 0's keeps its bus
        String dts = new String(TestBoards.t6002Dts(), StandardCharsets.UTF_8).replace("dwc3_0_die1: usb@702280000 {",
                "dwc3_0_die1: usb@702280000 {\n\t\t\tstatus = \"disabled\";");
        DeviceTree oneDwc3 = DeviceTrees.parse("t6002-one-dwc3.dts", dts.getBytes(StandardCharsets.UTF_8));
        Comparison dieZero = Stack.dartAndSmmu().comparator().compare(oneDwc3, WorkloadParser.parse("die0", """
                devices soc@200000000/usb@702280000
                stream 16K count=1
                """), List.of());
        assertTrue(dieZero.backends().stream().allMatch(r -> r.devices().stream().noneMatch(d -> d.node().equals("/" + USB1))));
        assertTrue(dieZero.nodes().contains("/" + USB1));
        ComparisonTable.Row masters = ComparisonTable.sections(dieZero).stream().flatMap(s -> s.rows().stream())
                .filter(r -> r.label().equals("masters")).findFirst().orElseThrow();
        assertEquals(List.of(USB0, USB0), masters.cells());
        assertTrue(texts(Svg.topology(dieZero, dieZero.backends().get(0)), "master-label").contains(USB0));
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonHasFullPaths() {
        Map<String, Object> json = StrictJson.object(JsonReport.render(c));
        for (Object b : (List<Object>) json.get("backends")) {
            List<Object> devices = (List<Object>) ((Map<String, Object>) b).get("devices");
            assertEquals(List.of("/" + USB0, "/" + USB1), devices.stream().map(d -> ((Map<String, Object>) d).get("node"))
                    .filter(n -> n.toString().endsWith("/usb@702280000")).toList());
        }
        assertFalse(json.containsKey("nodes"), "the board's node list is not a result");
    }

    private static List<String> texts(String svg, String cls) {
        Matcher m = Pattern.compile("<text class=\"" + cls + "\"[^>]*>([^<]*)</text>").matcher(svg);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
