package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Reports#write}: which files, where, and refusal of unknown formats. */
class ReportsTest {
    @TempDir
    Path tmp;

    @Test
    void htmlWritesJsonAndOneHtmlFile() throws IOException {
        Path dir = tmp.resolve("out/html");
        List<Path> written = Reports.write(Fixtures.three(), dir, "html");
        assertEquals(List.of(dir.resolve("comparison.json"), dir.resolve("report.html")), written);
        Object json = StrictJson.object(Files.readString(written.get(0), StandardCharsets.UTF_8));
        assertEquals("iommulab.compare/1", ((Map<?, ?>) json).get("schema"));
        XmlTestSupport.parse(Files.readString(written.get(1), StandardCharsets.UTF_8));
    }

    @Test
    void mdWritesJsonReportAndSvgs() throws IOException {
        List<Path> written = Reports.write(Fixtures.two(), tmp, "md");
        assertEquals(tmp.resolve("comparison.json"), written.get(0));
        assertEquals(tmp.resolve("report.md"), written.get(1));
        assertEquals(2 + 2 + 5, written.size());
        for (Path p : written) {
            assertTrue(Files.size(p) > 0, p.toString());
            assertEquals(tmp, p.getParent());
        }
        assertTrue(Files.exists(tmp.resolve("topology-arm-smmu-v2.svg")));
        assertEquals(MarkdownReport.render(Fixtures.two()).get("report.md"),
                Files.readString(tmp.resolve("report.md"), StandardCharsets.UTF_8));
    }

    @Test
    void unknownFormatIsRefusedAndWritesNothing() {
        Path dir = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Reports.write(Fixtures.two(), dir, "pdf"));
        assertTrue(e.getMessage().contains("\"pdf\""), e.getMessage());
        assertFalse(Files.exists(dir));
        assertThrows(IllegalArgumentException.class, () -> Reports.write(Fixtures.two(), dir, null));
    }
}
