package io.iommulab.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JsonTest {

    /** Plain Jackson, strict, with none of our rules: what a consumer reads the documents with. */
    private static final ObjectMapper READER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static Object read(String json) throws Exception {
        return READER.readValue(json, Object.class);
    }

    record StreamRef(String iommu, int sid) {
    }

    record Device(String node, List<StreamRef> iommus, String state, String reason, Integer group) {
    }

    record Dma(boolean ok, long bytes, byte[] data, TimeUnit unit, double ratio) {
    }

    /** Not public: the records of a bundle's private packages are read all the same. */
    private record Hidden(int a) {
    }

    /** As SanitizerDTO: methods beside the components, getter-like ones too. */
    record WithHelpers(long transactions, Map<String, Long> findings) {
        public long total() {
            return findings.values().stream().mapToLong(Long::longValue).sum();
        }

        public String getTally() {
            return total() + " findings";
        }

        public boolean isClean() {
            return findings.isEmpty();
        }
    }

    /** Declared in an order Jackson's own sorting (alphabetical, creator first) would not keep. */
    record Unsorted(int zeta, String alpha, boolean mid) {
    }

    record Empty() {
    }

    @Test
    void recordFieldNamesAreComponentNamesInDeclarationOrder() {
        Device d = new Device("/soc/usb@382280000", List.of(new StreamRef("/soc/iommu@382f00000", 0)), "deferred",
                "waiting for driver", null);
        assertEquals("{\"node\":\"/soc/usb@382280000\",\"iommus\":[{\"iommu\":\"/soc/iommu@382f00000\",\"sid\":0}],"
                + "\"state\":\"deferred\",\"reason\":\"waiting for driver\",\"group\":null}", Json.line(d));
        assertEquals("{\"zeta\":1,\"alpha\":\"a\",\"mid\":true}", Json.line(new Unsorted(1, "a", true)));
        assertEquals("{}", Json.line(new Empty()));
    }

    @Test
    void aRecordsHelperMethodsAreNotFields() {
        assertEquals("{\"transactions\":3,\"findings\":{\"stale-translation\":1}}",
                Json.line(new WithHelpers(3, Map.of("stale-translation", 1L))));
    }

    @Test
    void scalarsBytesEnumsAndOptionals() {
        assertEquals("{\"ok\":true,\"bytes\":4096,\"data\":\"0fa000\",\"unit\":\"SECONDS\",\"ratio\":0.5}",
                Json.line(new Dma(true, 4096L, new byte[] {0x0f, (byte) 0xa0, 0}, TimeUnit.SECONDS, 0.5)));
        assertEquals("-9223372036854775808", Json.line(Long.MIN_VALUE));
        assertEquals("18446744073709551615", Json.line(new BigInteger("18446744073709551615")));
        assertEquals("null", Json.line(null));
        assertEquals("\"x\"", Json.line('x'));
        assertEquals("3", Json.line(Optional.of(3)));
        assertEquals("null", Json.line(Optional.empty()));
        assertEquals("{\"o\":{\"sid\":7}}", Json.line(Map.of("o", Optional.of(Map.of("sid", 7)))));
    }

    @Test
    void nanAndInfinitiesAreNullEverywhere() throws Exception {
        assertEquals("null", Json.line(Double.NaN));
        assertEquals("null", Json.line(Float.POSITIVE_INFINITY));
        assertEquals("{\"ok\":true,\"bytes\":0,\"data\":\"\",\"unit\":null,\"ratio\":null}",
                Json.line(new Dma(true, 0, new byte[0], null, Double.NEGATIVE_INFINITY)));
        assertEquals("[1.5,null,null,-0.0]", Json.line(new double[] {1.5, Double.NaN, Double.POSITIVE_INFINITY, -0.0}));
        assertEquals("[null,2.0]", Json.line(new float[] {Float.NaN, 2f}));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rate", Double.NaN);
        m.put("list", List.of(Double.NEGATIVE_INFINITY, 1e-5));
        assertEquals("{\"rate\":null,\"list\":[null,1.0E-5]}", Json.line(m));
        ObjectNode tree = JsonNodeFactory.instance.objectNode().put("hitRate", Double.NaN);
        assertEquals("{\"hitRate\":null}", Json.line(tree), "a tree built elsewhere, written here");
        assertNull(((Map<?, ?>) read(Json.indented(m))).get("rate"));
    }

    @Test
    void controlCharactersAndNonAsciiAreEscaped() throws Exception {
        String hostile = "a\"b\\c\nd\te\u0001f\u007f\u00fc\u2028\ud83d\ude42/<&>";
        String s = Json.line(hostile);
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007F\\u00FC\\u2028\\uD83D\\uDE42/<&>\"", s);
        assertTrue(s.chars().allMatch(c -> c >= 0x20 && c < 0x7f), "printable ASCII: " + s);
        assertEquals(hostile, read(s), "read back as written");
        Map<String, String> keyed = Map.of("k\u00e9y\n", "v");
        String k = Json.line(keyed);
        assertEquals("{\"k\\u00E9y\\n\":\"v\"}", k);
        assertEquals(keyed, read(k));
        assertTrue(Json.indented(List.of(hostile)).chars().allMatch(c -> c == '\n' || c >= 0x20 && c < 0x7f));
    }

    @Test
    void mapsCollectionsAndArrays() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("pages", 12L);
        m.put(7, List.of());
        m.put("arr", new int[] {1, 2});
        m.put("objs", new Object[] {"a", null});
        m.put(null, "x");
        assertEquals("{\"pages\":12,\"7\":[],\"arr\":[1,2],\"objs\":[\"a\",null],\"null\":\"x\"}", Json.line(m));
    }

    @Test
    void otherObjectsAreWrittenAsTheirText() {
        Object o = new Object() {
            @Override
            public String toString() {
                return "bundle 7";
            }
        };
        assertEquals("\"bundle 7\"", Json.line(o));
        assertEquals("[\"bundle 7\"]", Json.line(List.of(o)));
        // a bean's getters are not read: here one would throw
        Object bean = new Object() {
            public String getName() {
                throw new IllegalStateException("read");
            }

            @Override
            public String toString() {
                return "bean";
            }
        };
        assertEquals("\"bean\"", Json.line(bean));
    }

    @Test
    void nonPublicRecordIsRead() {
        assertEquals("{\"a\":5}", Json.line(new Hidden(5)));
    }

    @Test
    void cycleIsAnErrorNotAStackOverflow() {
        List<Object> l = new ArrayList<>();
        l.add(l);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.line(l));
        assertTrue(e.getMessage().startsWith("cannot write a java.util.ArrayList as JSON: "), e.getMessage());
        Map<String, Object> m = new HashMap<>();
        m.put("self", m);
        assertThrows(IllegalArgumentException.class, () -> Json.indented(m));
    }

    @Test
    void sharedButAcyclicValuesAreWrittenTwice() {
        List<Integer> shared = Arrays.asList(1, 2);
        assertEquals("[[1,2],[1,2]]", Json.line(List.of(shared, shared)));
    }

    @Test
    void lineIsOneLineOfValidJson() throws Exception {
        Device d = new Device("a\nb", List.of(), "probed", null, 3);
        String s = Json.line(List.of(d, Map.of("k", "v\r\n")));
        assertFalse(s.contains("\n") || s.contains("\r"), s);
        Map<String, Object> device = new LinkedHashMap<>();
        device.put("node", "a\nb");
        device.put("iommus", List.of());
        device.put("state", "probed");
        device.put("reason", null);
        device.put("group", 3);
        assertEquals(List.of(device, Map.of("k", "v\r\n")), read(s));
    }

    @Test
    void indentedHasFieldsOnTheirLinesAndNoTrailingNewline() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", "x/1");
        m.put("ids", List.of(1, 2));
        m.put("none", List.of());
        m.put("empty", Map.of());
        m.put("rows", List.of(new StreamRef("/soc/iommu@0", 3)));
        String s = Json.indented(m);
        assertEquals("""
                {
                  "schema": "x/1",
                  "ids": [ 1, 2 ],
                  "none": [],
                  "empty": {},
                  "rows": [ {
                    "iommu": "/soc/iommu@0",
                    "sid": 3
                  } ]
                }""", s);
        assertEquals(read(Json.line(m)), read(s), "the same document as the line");
    }

    /** What a document record reads back as, for the round trip of each shape the project writes. */
    record Finding(long seq, String kind, double rate, Map<String, Long> byKind, List<StreamRef> streams, byte[] data) {
    }

    @Test
    void aDocumentRoundTripsThroughJackson() throws Exception {
        Finding f = new Finding(Long.MAX_VALUE, "stale-translation", 0.75, Map.of("a", 1L, "b", 2L),
                List.of(new StreamRef("/soc/iommu@382f00000", 15)), new byte[] {1, 2});
        Finding back = READER.readValue(Json.line(f), Finding.class);
        assertEquals(f.seq(), back.seq());
        assertEquals(f.kind(), back.kind());
        assertEquals(f.rate(), back.rate());
        assertEquals(f.byKind(), back.byKind());
        assertEquals(f.streams(), back.streams());
        assertEquals(READER.readTree(Json.line(f)), READER.readTree(Json.indented(f)));
    }

    /** A result that says how it is written. */
    record Wrapped(String text) {
        @JsonValue
        Map<String, String> document() {
            return Map.of("doc", text);
        }
    }

    @Test
    void aDocumentResultIsWrittenAsItsDocument() throws Exception {
        JsonDocument doc = new JsonDocument(Map.of("schema", "x/1"));
        assertEquals("{\"schema\":\"x/1\"}", Json.line(doc), "the document, not a string holding it");
        assertEquals("{\n  \"schema\": \"x/1\"\n}", doc.toString(), "the shell prints the indented text");
        assertEquals(doc.toString().length(), doc.length());
        assertEquals('{', doc.charAt(0));
        assertEquals("[{\"schema\":\"x/1\"}]", Json.line(List.of(doc)));
        JsonDocument table = new JsonDocument(Map.of("schema", "x/1"), "SCHEMA  x/1");
        assertEquals("SCHEMA  x/1", table.toString(), "the text the command gave");
        assertEquals("{\"schema\":\"x/1\"}", Json.line(table), "the same document");
        assertEquals("{\"doc\":\"t\"}", Json.line(new Wrapped("t")));
    }

    @Test
    void aCopyOfTheMapperKeepsTheRules() throws Exception {
        ObjectMapper copy = Json.mapper();
        assertEquals("{\"transactions\":1,\"findings\":{}}", copy.writeValueAsString(new WithHelpers(1, Map.of())));
        assertEquals("[null,\"\\u00FC\",\"0a\"]", copy.writeValueAsString(List.of(Double.NaN, "\u00fc", new byte[] {10})));
        copy.addMixIn(StreamRef.class, Object.class);
        assertEquals("{\"iommu\":\"i\",\"sid\":1}", Json.line(new StreamRef("i", 1)), "the shared mapper is untouched");
    }
}
