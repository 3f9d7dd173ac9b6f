package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.compare.run.Comparator;
import io.iommulab.compare.run.Stack;
import io.iommulab.compare.workload.WorkloadParser;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTML report's pictures laid out to fit a browser window, on every board we have: the built-in
 * one, our fixture trees (the two-die M1 and M2 Ultra ones with about 20 IOMMUs each) and the real
 * trees beside the project. In plain Java on the pictures' geometry always ({@link SvgLayout}); in
 * headless Chromium, as {@code compare/check-report.sh} does, when a chromium binary is found.
 */
class ReportLayoutTest {
    /** The window the report is checked in, as compare/check-report.sh uses. */
    private static final int WINDOW_W = 1280;
    private static final int WINDOW_H = 900;
    private static final Map<String, Comparison> COMPARISONS = new ConcurrentHashMap<>();

    static Stream<Arguments> boards() {
        List<Arguments> out = new ArrayList<>(List.of(
                Arguments.of("default"), Arguments.of("iommulab-t6000"), Arguments.of("iommulab-t8112"),
                Arguments.of("iommulab-t6020"), Arguments.of("iommulab-t6002"), Arguments.of("iommulab-t6022")));
        realBoards().forEach(p -> out.add(Arguments.of(p.getFileName().toString())));
        return out.stream();
    }

    /** The real Apple trees in ../shared/boards, when they are beside the project (never copied into it). */
    private static List<Path> realBoards() {
        Path dir = Path.of("..", "..", "shared", "boards");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".dtb")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** One small comparison per board, shared by the tests (the layout does not depend on the figures). */
    private static Comparison comparison(String board) {
        return COMPARISONS.computeIfAbsent(board, b -> {
            Stack s = Stack.dartAndSmmu();
            return new Comparator(s.machines(), s.labs).compare(tree(b), WorkloadParser.parse("layout", """
                    stream 16K count=1
                    fault
                    """), List.of());
        });
    }

    private static DeviceTree tree(String board) {
        return switch (board) {
            case "default" -> Stack.board("default");
            case "iommulab-t6000" -> DeviceTrees.parse(board + ".dts", TestBoards.t6000Dts());
            case "iommulab-t8112" -> DeviceTrees.parse(board + ".dts", TestBoards.t8112Dts());
            case "iommulab-t6020" -> DeviceTrees.parse(board + ".dts", TestBoards.t6020Dts());
            case "iommulab-t6002" -> DeviceTrees.parse(board + ".dts", TestBoards.t6002Dts());
            case "iommulab-t6022" -> DeviceTrees.parse(board + ".dts", TestBoards.t6022Dts());
            default -> {
                try {
                    Path p = Path.of("..", "..", "shared", "boards", board);
                    yield DeviceTrees.parse(board, Files.readAllBytes(p));
                } catch (IOException e) {
                    throw new AssertionError(board + ": " + e, e);
                }
            }
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boards")
    void everyPictureFitsAndNoTextOverlapsOrOverflows(String board) {
        Comparison c = comparison(board);
        c.backends().forEach(r -> assertNull(r.error(), board + " " + r.backend() + ": " + r.error()));
        List<String> problems = new ArrayList<>();
        List<String> svgs = XmlTestSupport.svgs(HtmlReport.render(c));
        assertEquals(c.backends().size() + Svg.charts(c).size(), svgs.size());
        for (int i = 0; i < svgs.size(); i++) {
            SvgLayout svg = new SvgLayout(svgs.get(i));
            String name = i < c.backends().size() ? "topology of " + c.backends().get(i).backend() : "chart " + (i - c.backends().size() + 1);
            List<String> found = new ArrayList<>();
            found.addAll(svg.viewBox());
            found.addAll(svg.everythingInside());
            found.addAll(svg.textsApart());
            found.addAll(svg.labelsInTheirBoxes());
            found.addAll(svg.streamsAroundBoxes());
            if (svg.width() > TopologySvg.MAX_WIDTH) {
                found.add(Fmt.coord(svg.width()) + " px wide, more than " + Fmt.coord(TopologySvg.MAX_WIDTH));
            }
            found.forEach(f -> problems.add(name + ": " + f));
        }
        assertEquals(List.of(), problems, board);
    }

    /**
     * The same checks as the browser makes them, with its fonts: compare/check-report.sh's
     * {@code layout-check.js} run in the page by headless Chromium in a 1280x900 window.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("boards")
    void inHeadlessChromium(String board, @TempDir Path dir) throws Exception {
        Optional<Path> chromium = chromium();
        assumeTrue(chromium.isPresent(), "no chromium binary on the PATH (nor CHROMIUM=...)");
        String html = HtmlReport.render(comparison(board));
        String js;
        try (InputStream in = getClass().getResourceAsStream("layout-check.js")) {
            js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path page = dir.resolve("check.html");
        Files.writeString(page, html.replace("</body>", "<script>\n" + js + "</script>\n</body>"));
        Process p = new ProcessBuilder(chromium.get().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--user-data-dir=" + dir.resolve("profile"),
                "--window-size=" + WINDOW_W + "," + WINDOW_H, "--dump-dom", page.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "chromium did not exit");
        int from = dom.lastIndexOf("<pre id=\"layout-check\">");
        int to = dom.indexOf("END</pre>");
        assertTrue(from >= 0 && to > from, "the check did not run in the page: " + dom.substring(0, Math.min(2000, dom.length())));
        List<String> lines = Arrays.asList(dom.substring(from + "<pre id=\"layout-check\">".length(), to)
                .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&").split("\n"));
        assertEquals(comparison(board).backends().size() + 5, lines.stream().filter(l -> l.startsWith("svg ")).count(),
                String.join("\n", lines));
        assertEquals(List.of(), lines.stream().filter(l -> l.startsWith("FAIL")).toList(), board);
    }

    /** chromium, chromium-browser or google-chrome on the PATH, or the file CHROMIUM names. */
    static Optional<Path> chromium() {
        String named = System.getenv("CHROMIUM");
        if (named != null && Files.isExecutable(Path.of(named))) {
            return Optional.of(Path.of(named));
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(java.io.File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void aBoardWithManyIommusWrapsIntoRowsNoWiderThanTheMaximum() {
        for (String board : List.of("default", "iommulab-t6002", "iommulab-t6022")) {
            Comparison c = comparison(board);
            BackendRun dart = c.backends().get(0);
            SvgLayout svg = new SvgLayout(Svg.topology(c, dart));
            List<SvgLayout.Box> iommus = svg.rects("iommu");
            assertEquals(dart.iommus().size(), iommus.size());
            double strip = iommus.stream().mapToDouble(b -> b.x1() - b.x0()).sum();
            assertTrue(strip > TopologySvg.MAX_WIDTH, board + ": the boxes alone would be a " + strip + " px strip");
            assertTrue(svg.width() <= TopologySvg.MAX_WIDTH, board + ": " + svg.width());
            assertTrue(iommus.stream().map(SvgLayout.Box::y0).distinct().count() > 1, board + ": several rows");
        }
    }

    /** A master's IOMMUs (a dwc3's DART pair, the t6000 audio DMA's two DARTs) share a row: no stream crosses rows. */
    @Test
    void iommusThatShareAMasterShareARow() {
        int pairs = 0;
        for (String board : List.of("default", "iommulab-t6000", "iommulab-t6002", "iommulab-t6022")) {
            Comparison c = comparison(board);
            for (BackendRun r : c.backends()) {
                SvgLayout svg = new SvgLayout(Svg.topology(c, r));
                List<SvgLayout.Box> boxes = svg.rects("iommu");
                for (DeviceDTO d : r.devices()) {
                    List<Double> rows = (d.iommus() == null ? List.<io.iommulab.api.dto.StreamRefDTO>of() : d.iommus()).stream().map(s -> boxes.get(index(r, s.iommu())).y0()).distinct().toList();
                    assertEquals(1, rows.size(), board + " " + r.backend() + " " + d.node() + ": " + rows);
                    pairs += d.iommus().stream().map(s -> s.iommu()).distinct().count() > 1 ? 1 : 0;
                }
            }
        }
        assertTrue(pairs >= 10, "dwc3 DART pairs checked: " + pairs);
    }

    /** A two-die tree draws each die's bus as a band of its own, headed by the bus's path. */
    @Test
    void eachDieGetsItsOwnBand() {
        for (String board : List.of("iommulab-t6002", "iommulab-t6022")) {
            Comparison c = comparison(board);
            for (BackendRun r : c.backends()) {
                SvgLayout svg = new SvgLayout(Svg.topology(c, r));
                List<SvgLayout.Box> labels = svg.texts("bus-label");
                assertEquals(List.of("text \"bus /soc@200000000\"", "text \"bus /soc@2200000000\""),
                        labels.stream().map(SvgLayout.Box::what).toList());
                double die1 = labels.get(1).y1();
                List<SvgLayout.Box> boxes = svg.rects("iommu");
                for (int i = 0; i < r.iommus().size(); i++) {
                    boolean onDie1 = r.iommus().get(i).node().startsWith("/soc@2200000000/");
                    assertEquals(onDie1, boxes.get(i).y0() > die1, board + " " + r.backend() + " " + r.iommus().get(i).node());
                    assertTrue(boxes.get(i).y0() > labels.get(0).y1());
                }
            }
        }
        Comparison single = comparison("iommulab-t6000");
        assertEquals(List.of(), new SvgLayout(Svg.topology(single, single.backends().get(0))).texts("bus-label"),
                "one bus: no heading");
    }

    private static int index(BackendRun r, String node) {
        List<String> nodes = r.iommus().stream().map(IommuNodeDTO::node).toList();
        assertTrue(nodes.contains(node), node);
        return nodes.indexOf(node);
    }
}
