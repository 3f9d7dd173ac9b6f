package io.iommulab.compare.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.DomainDTO;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.Difference;
import io.iommulab.compare.report.JsonReport;
import io.iommulab.compare.report.PatternResult;
import io.iommulab.compare.report.TextReport;
import io.iommulab.json.Json;
import io.iommulab.json.JsonDocument;
import io.iommulab.testkit.StrictJson;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

/** What {@code iommu:compare} returns: the table in the shell, the comparison document as JSON. */
class ComparisonResultTest {

    /** Two backends, an aperture ending at 2^64 - 1 and a NaN hit rate: what the document writes unsigned and null. */
    private final Comparison c = new Comparison("default: test board", "builtin", List.of(run("apple-dart", 0xFFFF_FFFFL),
            run("arm-smmu-v2", -1L)), List.of(new Difference("aperture", "", Map.of("apple-dart", "4G", "arm-smmu-v2", "16E"))),
            List.of("/soc/usb@382280000"));

    private static BackendRun run(String backend, long apertureEnd) {
        return new BackendRun(backend, List.of(backend), null, List.of(), List.of(), List.of(),
                List.of(new DomainDTO(1, "DMA", backend, List.of(1), 0x4000, 0, apertureEnd, 0)), Map.of(), Map.of(),
                List.of(new PatternResult("p", "stream", List.of("/soc/usb@382280000"), 1, 4096, 1, 1, 1, 0, Double.NaN, 1, 1,
                        4096, 0, 16384)), List.of(), 16384, 16384);
    }

    @Test
    void jsonIsTheReportsDocumentNotTheTable() {
        String line = Json.line(new ComparisonResult(c, List.of()));
        assertEquals(-1, line.indexOf('\n'), "one line");
        assertEquals(StrictJson.parse(JsonReport.render(c)), StrictJson.parse(line));
        Map<String, Object> doc0 = StrictJson.object(line);
        assertEquals(List.of("schema", "board", "workload", "backends", "differences"), List.copyOf(doc0.keySet()));
        assertEquals(JsonReport.SCHEMA, doc0.get("schema"));
        @SuppressWarnings("unchecked")
        Map<String, Object> smmu = (Map<String, Object>) ((List<Object>) doc0.get("backends")).get(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> domain = (Map<String, Object>) ((List<Object>) smmu.get("domains")).get(0);
        assertEquals(new BigInteger("18446744073709551615"), domain.get("apertureEnd"), "unsigned on this path too");
        @SuppressWarnings("unchecked")
        Map<String, Object> pattern = (Map<String, Object>) ((List<Object>) smmu.get("patterns")).get(0);
        assertTrue(pattern.containsKey("iotlbHitRate") && pattern.get("iotlbHitRate") == null, "NaN is null");
        // --json: the same document, which the shell prints indented
        JsonDocument doc = new JsonDocument(JsonReport.tree(c));
        assertEquals(line, Json.line(doc));
        assertEquals(JsonReport.render(c), doc + "\n");
    }

    @Test
    void theShellShowsTheTableAndTheFilesWritten() {
        ComparisonConverter conv = new ComparisonConverter();
        ComparisonResult plain = new ComparisonResult(c, List.of());
        assertEquals(TextReport.render(c), conv.format(plain, Converter.INSPECT, null));
        ComparisonResult written = new ComparisonResult(c, List.of(Path.of("out/comparison.json"), Path.of("out/report.html")));
        assertEquals(TextReport.render(c) + System.lineSeparator() + "report: out/comparison.json out/report.html ",
                conv.format(written, Converter.INSPECT, null));
        assertTrue(conv.format(written, Converter.LINE, null).toString()
                .equals("comparison on default: test board: 2 backends, 1 differences"), conv.format(written, Converter.LINE, null).toString());
        assertNull(conv.format("not ours", Converter.INSPECT, null));
    }
}
