package io.iommulab.campaign.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iommulab.json.Json;
import io.iommulab.json.JsonDocument;
import io.iommulab.testkit.StrictJson;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The campaign's document ({@code iommulab.campaign/1}) as {@code --json} writes it. */
class CampaignReportJsonTest {

    private static BackendResult result(double opsPerSecond, BackendResult.MismatchReport mismatch) {
        return new BackendResult("iommulab-t8112.dts", "apple-dart", 7, Map.of("/soc/iommu@382f00000", "apple,t8110-dart"),
                200_000, 3, opsPerSecond, 1200, 300, Map.of("map", 90_000L, "unmap", 80_000L), Map.of("EEXIST", 12L), 40, 40,
                2, 1L << 40, 100, 100, 8, 5000, 12, 12, 0, mismatch, mismatch == null ? null : "campaign-7-apple-dart.replay",
                mismatch == null ? 0 : 3, mismatch == null ? 0 : 279);
    }

    private static List<String> components(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    @Test
    void documentedFieldsInOrderAndRoundTrip() throws Exception {
        CampaignReport report = new CampaignReport(CampaignReport.SCHEMA, 7, 200_000, null, List.of(result(166_666.5,
                new BackendResult.MismatchReport(8302, "attach slot=5 dev=/soc/usb@502280000", "errno",
                        "expected EINVAL, got success", List.of("alloc slot=5", "attach slot=5")))), 1);
        String line = Json.line(new JsonDocument(report));
        assertEquals(Json.line(report), line, "--json and the launcher's --json write the same line");
        Map<String, Object> doc = StrictJson.object(line);
        assertEquals(List.of("schema", "seed", "opsPerRun", "replayOf", "runs", "mismatches"), List.copyOf(doc.keySet()));
        assertEquals("iommulab.campaign/1", doc.get("schema"));
        @SuppressWarnings("unchecked")
        Map<String, Object> run = (Map<String, Object>) ((List<Object>) doc.get("runs")).get(0);
        assertEquals(components(BackendResult.class), List.copyOf(run.keySet()));
        assertEquals(1L << 40, run.get("dmaBytes"));
        @SuppressWarnings("unchecked")
        Map<String, Object> mismatch = (Map<String, Object>) run.get("mismatch");
        assertEquals(components(BackendResult.MismatchReport.class), List.copyOf(mismatch.keySet()));
        // Jackson reads the document back into the records it was written from
        assertEquals(report, new ObjectMapper().readValue(line, CampaignReport.class));
        assertEquals(report, new ObjectMapper().readValue(new JsonDocument(report).toString(), CampaignReport.class));
    }

    @Test
    void aRateOfNoTimeIsNull() {
        BackendResult r = result(Double.NaN, null);
        Map<String, Object> run = StrictJson.object(Json.line(r));
        assertEquals(true, run.containsKey("opsPerSecond"));
        assertNull(run.get("opsPerSecond"));
        assertNull(run.get("mismatch"));
    }
}
