package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.testkit.MiniJson;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JsonTest {

    record StreamRef(String iommu, int sid) {
    }

    record Device(String node, List<StreamRef> iommus, String state, String reason, Integer group) {
    }

    record Dma(boolean ok, long bytes, byte[] data, TimeUnit unit, double ratio) {
    }

    /** Not public: the serializer must still read it, as it reads records of private bundle packages. */
    private record Hidden(int a) {
    }

    @Test
    void recordFieldNamesAreComponentNamesInDeclarationOrder() {
        Device d = new Device("/soc/usb@382280000", List.of(new StreamRef("/soc/iommu@382f00000", 0)), "deferred",
                "waiting for driver", null);
        assertEquals("{\"node\":\"/soc/usb@382280000\",\"iommus\":[{\"iommu\":\"/soc/iommu@382f00000\",\"sid\":0}],"
                + "\"state\":\"deferred\",\"reason\":\"waiting for driver\",\"group\":null}", Json.write(d));
    }

    @Test
    void scalarsBytesEnumsAndNonFiniteNumbers() {
        String s = Json.write(new Dma(true, 4096L, new byte[] {0x0f, (byte) 0xa0, 0}, TimeUnit.SECONDS, 0.5));
        assertEquals("{\"ok\":true,\"bytes\":4096,\"data\":\"0fa000\",\"unit\":\"SECONDS\",\"ratio\":0.5}", s);
        assertEquals("\"NaN\"", Json.write(Double.NaN));
        assertEquals("-9223372036854775808", Json.write(Long.MIN_VALUE));
        assertEquals("null", Json.write(null));
        assertEquals("\"x\"", Json.write('x'));
        assertEquals("3", Json.write(Optional.of(3)));
        assertEquals("null", Json.write(Optional.empty()));
    }

    @Test
    void stringsAreEscaped() {
        String s = Json.write("a\"b\\c\nd\te\u0001f\u2028");
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f\\u2028\"", s);
        MiniJson.parse(s);
    }

    @Test
    void mapsCollectionsAndArrays() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("pages", 12L);
        m.put(7, List.of());
        m.put("arr", new int[] {1, 2});
        m.put("objs", new Object[] {"a", null});
        assertEquals("{\"pages\":12,\"7\":[],\"arr\":[1,2],\"objs\":[\"a\",null]}", Json.write(m));
    }

    @Test
    void otherObjectsAreWrittenAsTheirText() {
        Object o = new Object() {
            @Override
            public String toString() {
                return "bundle 7";
            }
        };
        assertEquals("\"bundle 7\"", Json.write(o));
    }

    @Test
    void nonPublicRecordIsRead() {
        assertEquals("{\"a\":5}", Json.write(new Hidden(5)));
        assertEquals(5, Json.component(new Hidden(5), "a"));
    }

    @Test
    void cycleIsAnErrorNotAStackOverflow() {
        List<Object> l = new ArrayList<>();
        l.add(l);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(l));
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void sharedButAcyclicValuesAreWrittenTwice() {
        List<Integer> shared = Arrays.asList(1, 2);
        assertEquals("[[1,2],[1,2]]", Json.write(List.of(shared, shared)));
    }

    @Test
    void outputIsOneLineOfValidJson() {
        Device d = new Device("a\nb", List.of(), "probed", null, 3);
        String s = Json.write(List.of(d, Map.of("k", "v\r\n")));
        assertFalse(s.contains("\n") || s.contains("\r"));
        MiniJson.parse(s);
    }

    @Test
    void componentLookupNamesWhatIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.component(new StreamRef("x", 1), "state"));
        assertEquals(true, e.getMessage().contains("'state'"));
        assertThrows(IllegalArgumentException.class, () -> Json.component("not a record", "x"));
    }

    @Test
    void checkerRejectsBrokenJson() {
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\":}"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("[1,2] 3"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("\"a\nb\""));
    }
}
