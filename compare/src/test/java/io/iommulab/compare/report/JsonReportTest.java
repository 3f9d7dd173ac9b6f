package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.json.Json;
import io.iommulab.testkit.StrictJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link JsonReport}: valid, complete, exact JSON. */
class JsonReportTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> arr(Object o) {
        return (List<Object>) o;
    }

    private static Map<String, Object> parse(Comparison c) {
        return StrictJson.object(JsonReport.render(c));
    }

    @Test
    void parsesAndCarriesSchemaAndEveryBackend() {
        Map<String, Object> root = parse(Fixtures.three());
        assertEquals("iommulab.compare/1", root.get("schema"));
        assertEquals(List.of("schema", "board", "workload", "backends", "differences"), List.copyOf(root.keySet()));
        List<Object> backends = arr(root.get("backends"));
        assertEquals(List.of("apple-dart", "arm-smmu-v2", "odd<&\">-ü🙂"),
                backends.stream().map(b -> obj(b).get("backend")).toList());
        assertEquals(3, arr(root.get("differences")).size());
    }

    @Test
    void objectsHaveEveryRecordComponent() {
        Map<String, Object> dart = obj(arr(parse(Fixtures.two()).get("backends")).get(0));
        assertKeys(BackendRun.class, dart);
        assertKeys(IommuNodeDTO.class, obj(arr(dart.get("iommus")).get(0)));
        Map<String, Object> dev = obj(arr(dart.get("devices")).get(0));
        assertKeys(DeviceDTO.class, dev);
        assertKeys(StreamRefDTO.class, obj(arr(dev.get("iommus")).get(0)));
        assertKeys(GroupDTO.class, obj(arr(dart.get("groups")).get(0)));
        assertKeys(DomainDTO.class, obj(arr(dart.get("domains")).get(0)));
        assertKeys(PatternResult.class, obj(arr(dart.get("patterns")).get(0)));
        assertKeys(FaultResult.class, obj(arr(dart.get("faults")).get(0)));
        assertKeys(Difference.class, obj(arr(parse(Fixtures.two()).get("differences")).get(0)));
        Map<String, Object> smmu = obj(arr(parse(Fixtures.two()).get("backends")).get(1));
        Map<String, Object> san = obj(smmu.get("sanitizer"));
        assertKeys(SanitizerDTO.class, san);
        assertKeys(FlushQueueDTO.class, obj(arr(san.get("flushQueues")).get(0)));
        Map<String, Object> finding = obj(arr(san.get("history")).get(0));
        assertKeys(SanitizerFindingDTO.class, finding);
        assertEquals(new BigInteger("18446744073709547520"), finding.get("iova"), "unsigned");
        assertEquals(Map.of("stale-translation", 1), san.get("findings"));
        assertNull(obj(arr(parse(Fixtures.three()).get("backends")).get(2)).get("sanitizer"), "not run: null");
    }

    private static void assertKeys(Class<? extends Record> type, Map<String, Object> o) {
        Set<String> want = Arrays.stream(type.getRecordComponents()).map(c -> c.getName()).collect(Collectors.toSet());
        assertEquals(want, o.keySet(), type.getSimpleName());
    }

    @Test
    void numbersRoundTripExactly() {
        Map<String, Object> dart = obj(arr(parse(Fixtures.two()).get("backends")).get(0));
        assertEquals(Fixtures.HUGE, ((Number) dart.get("peakPageTableBytes")).longValue());
        assertEquals(32768, dart.get("pageTableBytes"));
        Map<String, Object> p0 = obj(arr(dart.get("patterns")).get(0));
        assertEquals(0, new BigDecimal("3").compareTo((BigDecimal) p0.get("mmioWritesPerOp")));
        assertEquals(52_000.4, ((BigDecimal) p0.get("opsPerSecond")).doubleValue());
        assertEquals(0.75, ((BigDecimal) p0.get("iotlbHitRate")).doubleValue());
        Map<String, Object> f1 = obj(arr(dart.get("faults")).get(1));
        assertEquals(new BigInteger("18446744073709547520"), f1.get("iova"));
        assertEquals(Boolean.TRUE, f1.get("write"));
        assertNull(f1.get("reason"));
        assertNull(f1.get("iommu"));
        assertEquals(-1, f1.get("sid"));
        Map<String, Object> dom2 = obj(arr(dart.get("domains")).get(1));
        assertEquals(new BigInteger("18446744073709551615"), dom2.get("apertureEnd"));
        assertEquals(0x4000, dom2.get("pgsizeBitmap"));
    }

    @Test
    void nonFiniteDoublesAreNull() {
        Map<String, Object> dart = obj(arr(parse(Fixtures.two()).get("backends")).get(0));
        Map<String, Object> sg = obj(arr(dart.get("patterns")).get(1));
        assertTrue(sg.containsKey("iotlbHitRate"));
        assertNull(sg.get("iotlbHitRate"));
        PatternResult inf = new PatternResult("p", "random", List.of(), 0, 0, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, 0, 0, 0, 0, 0, 0, 0);
        BackendRun r = new BackendRun("b", List.of(), null, List.of(), List.of(), List.of(), List.of(), Map.of(),
                Map.of(), List.of(inf), List.of(), 0, 0);
        Map<String, Object> p = obj(arr(obj(arr(parse(Fixtures.comparison(List.of(r))).get("backends")).get(0))
                .get("patterns")).get(0));
        assertNull(p.get("mmioReadsPerOp"));
        assertNull(p.get("mmioWritesPerOp"));
        assertNull(p.get("invalidationsPerOp"));
    }

    @Test
    void stringsAreEscapedAndRoundTrip() {
        String json = JsonReport.render(Fixtures.three());
        assertTrue(json.chars().allMatch(ch -> ch == '\n' || (ch >= 0x20 && ch < 0x7F)), "pure ASCII output");
        Map<String, Object> root = StrictJson.object(json);
        assertEquals(Fixtures.comparison(List.of()).workload(), root.get("workload"));
        Map<String, Object> dart = obj(arr(root.get("backends")).get(0));
        assertEquals(Fixtures.HOSTILE, obj(dart.get("capabilities")).get("quirk"));
        Map<String, Object> failed = obj(arr(root.get("backends")).get(2));
        assertEquals("probe failed: " + Fixtures.HOSTILE, failed.get("error"));
        assertEquals(List.of(), failed.get("iommus"));
        assertEquals(Map.of(), failed.get("capabilities"));
        Map<String, Object> diff = obj(arr(root.get("differences")).get(2));
        assertEquals("capability " + Fixtures.HOSTILE, diff.get("metric"));
        assertEquals(Fixtures.HOSTILE, obj(diff.get("values")).get("apple-dart"));
    }

    @Test
    void theTreeIsTheSameDocumentWrittenByAnyMapper() {
        // the launcher's --json writes iommu:compare's result, this tree, with the rules alone (no mix-ins)
        String line = Json.line(JsonReport.tree(Fixtures.two()));
        assertEquals(-1, line.indexOf('\n'), "one line");
        assertEquals(StrictJson.parse(JsonReport.render(Fixtures.two())), StrictJson.parse(line));
        Map<String, Object> dart = obj(arr(StrictJson.object(line).get("backends")).get(0));
        assertEquals(new BigInteger("18446744073709551615"), obj(arr(dart.get("domains")).get(1)).get("apertureEnd"));
        assertNull(obj(arr(dart.get("patterns")).get(1)).get("iotlbHitRate"));
        assertTrue(obj(arr(dart.get("patterns")).get(1)).containsKey("iotlbHitRate"));
    }

    @Test
    void mapsKeepDeviceOrder() {
        Map<String, Object> smmu = obj(arr(parse(Fixtures.two()).get("backends")).get(1));
        assertEquals(List.of(Fixtures.USB, Fixtures.NIC, Fixtures.WIFI), List.copyOf(obj(smmu.get("defaultDomainTypes")).keySet()));
        assertEquals("IDENTITY", obj(smmu.get("defaultDomainTypes")).get(Fixtures.WIFI));
    }
}
