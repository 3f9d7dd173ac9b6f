package io.iommulab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    @Test
    void readsObjectsInOrderAndNumbersExactly() {
        Map<String, Object> o = StrictJson.object("{\"z\":1,\"a\":[4294967296,18446744073709551615,0.1],\"n\":null}");
        assertEquals(List.of("z", "a", "n"), List.copyOf(o.keySet()));
        assertEquals(1, o.get("z"));
        assertEquals(List.of(4294967296L, new BigInteger("18446744073709551615"), new BigDecimal("0.1")), o.get("a"));
        assertEquals(null, o.get("n"));
        assertEquals(List.of("\u00fc\n"), StrictJson.array("[\"\\u00FC\\n\"]"));
    }

    @Test
    void integersAsLongsExactly() {
        List<Object> a = StrictJson.array("[7,4294967296,9223372036854775807,9223372036854775808,1.5]");
        assertEquals(7, StrictJson.longValue(a.get(0)));
        assertEquals(4294967296L, StrictJson.longValue(a.get(1)));
        assertEquals(Long.MAX_VALUE, StrictJson.longValue(a.get(2)));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.longValue(a.get(3)));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.longValue(a.get(4)));
    }

    @Test
    void refusesWhatIsNotOneDocument() {
        for (String bad : List.of("{\"a\":}", "[1,2] 3", "\"a\nb\"", "{\"a\":1,\"a\":2}", "[NaN]", "{'a':1}",
                "[1,]", "// c\n1", "01")) {
            assertThrows(IllegalArgumentException.class, () -> StrictJson.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> StrictJson.object("[1]"));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.array("{}"));
    }
}
