package io.iommulab.compare.report;

import static io.iommulab.compare.report.XmlTestSupport.elements;
import static io.iommulab.compare.report.XmlTestSupport.num;
import static io.iommulab.compare.report.XmlTestSupport.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@link Svg}: well-formed pictures whose shapes match the data. */
class SvgTest {
    private static long finite(Map<String, double[]> series) {
        return series.values().stream().flatMapToDouble(java.util.Arrays::stream)
                .filter(v -> !Double.isNaN(v) && !Double.isInfinite(v)).count();
    }

    private static List<String> texts(Document d, String cls) {
        return elements(d, "text", cls).stream().map(Element::getTextContent).toList();
    }

    @Test
    void barsDrawOneRectPerMeasurableValue() {
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("apple-dart", new double[] {3, 0, Double.NaN});
        series.put("arm-smmu-v2", new double[] {7.5, 1234567, 2});
        series.put("third", new double[] {Double.POSITIVE_INFINITY, 4}); // short array: last is n/a
        Document d = parse(Svg.bars("MMIO writes", "writes/op", List.of("stream", "sg", "random"), series));
        List<Element> bars = elements(d, "rect", null);
        assertEquals(finite(series), bars.size());
        assertEquals(6, bars.size());
        assertEquals(3, texts(d, "value").stream().filter("n/a"::equals).count());
        assertTrue(texts(d, "value").containsAll(List.of("3", "0", "7.5", "1.23M", "2", "4")), texts(d, "value").toString());
        assertEquals(1, bars.stream().filter(b -> num(b, "height") == 0).count(), "zero is a zero-height bar");
        assertEquals(3, elements(d, "circle", "swatch").size());
        assertEquals(List.of("apple-dart", "arm-smmu-v2", "third"), texts(d, "legend"));
        assertEquals(List.of("stream", "sg", "random"), texts(d, "category"));
    }

    @Test
    void barHeightsAreProportionalAndFitTheAxis() {
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("a", new double[] {2, 8});
        series.put("b", new double[] {4, 6.5});
        Document d = parse(Svg.bars("t", "u", List.of("x", "y"), series));
        List<Element> bars = elements(d, "rect", "bar");
        double unit = num(bars.get(0), "height") / 2;
        assertEquals(8 * unit, num(bars.get(2), "height"), 0.2);
        assertEquals(4 * unit, num(bars.get(1), "height"), 0.2);
        List<Double> ticks = texts(d, "tick").stream().map(Double::parseDouble).toList();
        assertEquals(List.of(0.0, 2.0, 4.0, 6.0, 8.0), ticks, "nice ticks 0..8");
        double bottom = bars.stream().mapToDouble(b -> num(b, "y") + num(b, "height")).max().orElseThrow();
        bars.forEach(b -> assertEquals(bottom, num(b, "y") + num(b, "height"), 0.11, "bars stand on the zero line"));
        assertInside(d, bars);
    }

    @Test
    void ticksAreNiceForAwkwardRanges() {
        for (double hi : new double[] {0.013, 1, 7.3, 99, 1234, 52_000.4}) {
            double[] t = BarChartSvg.ticks(0, hi);
            assertTrue(t.length >= 4 && t.length <= 7, hi + " → " + t.length + " ticks");
            assertEquals(0, t[0]);
            assertTrue(t[t.length - 1] >= hi);
            double step = t[1] - t[0];
            double mant = step / Math.pow(10, Math.floor(Math.log10(step)));
            assertTrue(List.of(1L, 2L, 5L).contains(Math.round(mant)) && Math.abs(mant - Math.round(mant)) < 1e-9, "step " + step);
        }
        double[] neg = BarChartSvg.ticks(-3, 5);
        assertTrue(neg[0] <= -3 && neg[neg.length - 1] >= 5);
    }

    @Test
    void allNaNOrNoCategoriesStillDrawsAnAxis() {
        Map<String, double[]> series = Map.of("a", new double[] {Double.NaN});
        Document d = parse(Svg.bars("t", "u", List.of("only"), series));
        assertEquals(0, elements(d, "rect", null).size());
        assertEquals(List.of("n/a"), texts(d, "value"));
        Document empty = parse(Svg.bars("t", "u", List.of(), Map.of()));
        assertFalse(texts(empty, "tick").isEmpty());
    }

    @Test
    void topologyHasABoxPerIommuAndMasterAndALinePerStream() {
        for (BackendRun r : List.of(Fixtures.dart(), Fixtures.smmu())) {
            Document d = parse(Svg.topology(r));
            assertEquals(r.iommus().size(), elements(d, "rect", "iommu").size());
            assertEquals(r.devices().size(), elements(d, "rect", "master").size());
            assertEquals(r.groups().size(), elements(d, "rect", "group").size());
            long streams = r.devices().stream().mapToLong(x -> x.iommus().size()).sum();
            assertEquals(streams, elements(d, "polyline", "stream").size());
            List<String> sids = new ArrayList<>(texts(d, "sid"));
            List<String> want = new ArrayList<>(r.devices().stream().flatMap(x -> x.iommus().stream())
                    .map(s -> "sid " + s.sid()).toList());
            java.util.Collections.sort(sids);
            java.util.Collections.sort(want);
            assertEquals(want, sids);
            assertTrue(texts(d, "iommu-label").contains("dart@382f80000") || texts(d, "iommu-label").contains("iommu@5000000"));
            assertTrue(texts(d, "iommu-driver").contains(r.iommus().get(0).driver()));
            assertInside(d, elements(d, "rect", null));
        }
    }

    @Test
    void topologyBoxesDoNotOverlapAndGroupsEncloseTheirMasters() {
        BackendRun r = Fixtures.dart();
        Document d = parse(Svg.topology(r));
        List<Element> boxes = new ArrayList<>(elements(d, "rect", "iommu"));
        boxes.addAll(elements(d, "rect", "master"));
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                assertFalse(overlap(boxes.get(i), boxes.get(j)), "overlap " + i + "/" + j);
            }
        }
        List<Element> groups = elements(d, "rect", "group");
        assertFalse(overlap(groups.get(0), groups.get(1)));
        List<Element> masters = elements(d, "rect", "master");
        assertTrue(encloses(groups.get(0), masters.get(0)), "group 1 holds usb");
        assertTrue(encloses(groups.get(1), masters.get(1)) && encloses(groups.get(1), masters.get(2)), "group 2 holds nic+wifi");
        assertFalse(encloses(groups.get(0), masters.get(1)));
        assertEquals(List.of("group 1: DMA", "group 2: DMA"), texts(d, "group-label"));
        // each stream ends on the edge of its master's box
        for (Element line : elements(d, "polyline", "stream")) {
            String[] pts = line.getAttribute("points").split(" ");
            String[] end = pts[pts.length - 1].split(",");
            double x = Double.parseDouble(end[0]);
            double y = Double.parseDouble(end[1]);
            assertTrue(masters.stream().anyMatch(m -> (Math.abs(x - num(m, "x")) < 0.11
                    || Math.abs(x - num(m, "x") - num(m, "width")) < 0.11)
                    && y > num(m, "y") && y < num(m, "y") + num(m, "height")), "stream ends at a master: " + line.getAttribute("points"));
        }
        assertEquals(Svg.topology(r), Svg.topology(Fixtures.dart()), "deterministic");
    }

    @Test
    void failedRunDrawsTitleAndErrorOnly() {
        Document d = parse(Svg.topology(Fixtures.failed()));
        assertEquals(0, elements(d, "rect", null).size());
        assertEquals(List.of("topology: odd<&\">-ü🙂"), texts(d, "title"));
        assertTrue(texts(d, "error").get(0).startsWith("error: probe failed: <&\"'> | *x*"));
        assertTrue(num(d.getDocumentElement(), "width") > 0 && num(d.getDocumentElement(), "height") > 0);
    }

    @Test
    void comparisonChartsHaveASeriesPerBackend() {
        Comparison c = Fixtures.three();
        Map<String, String> charts = Svg.charts(c);
        assertEquals(List.of("mmio-writes", "mmio-reads", "invalidations", "ops-per-second", "page-table-bytes"),
                List.copyOf(charts.keySet()));
        for (String svg : charts.values()) {
            Document d = parse(svg);
            assertEquals(List.of("apple-dart", "arm-smmu-v2", "odd<&\">-ü🙂"), texts(d, "legend"));
        }
        Document writes = parse(charts.get("mmio-writes"));
        assertEquals(4, elements(writes, "rect", null).size(), "2 patterns x 2 backends; the failed one is n/a");
        assertEquals(2, texts(writes, "value").stream().filter("n/a"::equals).count());
        assertEquals(List.of("stream-16k", "sg-nic"), texts(writes, "category"));
        Document pt = parse(charts.get("page-table-bytes"));
        assertEquals(6, elements(pt, "rect", null).size(), "the failed run measured 0 bytes: zero bars");
        assertTrue(texts(pt, "value").containsAll(List.of("32.8k", "9.01P", "24.6k", "49.2k", "0")), texts(pt, "value").toString());
    }

    @Test
    void duplicateBackendNamesStaySeparateSeries() {
        Comparison c = Fixtures.comparison(List.of(Fixtures.smmu(), Fixtures.smmu()));
        Document d = parse(Svg.charts(c).get("mmio-reads"));
        assertEquals(List.of("arm-smmu-v2", "arm-smmu-v2 (2)"), texts(d, "legend"));
        assertEquals(4, elements(d, "rect", null).size());
    }

    private static boolean overlap(Element a, Element b) {
        return num(a, "x") < num(b, "x") + num(b, "width") && num(b, "x") < num(a, "x") + num(a, "width")
                && num(a, "y") < num(b, "y") + num(b, "height") && num(b, "y") < num(a, "y") + num(a, "height");
    }

    private static boolean encloses(Element outer, Element inner) {
        return num(outer, "x") <= num(inner, "x") && num(outer, "y") <= num(inner, "y")
                && num(outer, "x") + num(outer, "width") >= num(inner, "x") + num(inner, "width")
                && num(outer, "y") + num(outer, "height") >= num(inner, "y") + num(inner, "height");
    }

    private static void assertInside(Document d, List<Element> rects) {
        double w = num(d.getDocumentElement(), "width");
        double h = num(d.getDocumentElement(), "height");
        for (Element r : rects) {
            assertTrue(num(r, "x") >= 0 && num(r, "x") + num(r, "width") <= w, "x inside");
            assertTrue(num(r, "y") >= 0 && num(r, "y") + num(r, "height") <= h, "y inside");
        }
    }
}
