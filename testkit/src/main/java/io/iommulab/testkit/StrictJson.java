package io.iommulab.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON reader the tests of every JSON writer (the launcher's {@code --json}, the comparison's
 * and the campaign's reports) check output with: plain Jackson, strict, with none of the writers'
 * configuration. A duplicate key, a second value after the first, a raw control character in a
 * string, NaN, a comment: anything that is not one JSON document throws. Objects become
 * {@link LinkedHashMap}s in document order, arrays {@link List}s, integers {@link Integer},
 * {@link Long} or {@link BigInteger} (the smallest that holds them), other numbers
 * {@link java.math.BigDecimal} (exact), JSON null Java null.
 */
public final class StrictJson {

    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private StrictJson() {
    }

    /**
     * @return the one JSON value {@code text} holds
     * @throws IllegalArgumentException naming where {@code text} stops being JSON
     */
    public static Object parse(String text) {
        try {
            return READER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not one JSON document: " + e.getMessage(), e);
        }
    }

    /** @return the object {@code text} holds; throws as {@link #parse} does, and if it holds another value */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        return cast(parse(text), Map.class, text);
    }

    /** @return the array {@code text} holds; throws as {@link #parse} does, and if it holds another value */
    @SuppressWarnings("unchecked")
    public static List<Object> array(String text) {
        return cast(parse(text), List.class, text);
    }

    /** @return {@code value}, a JSON object {@link #parse} returned (inside a document) */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object value) {
        return cast(value, Map.class, String.valueOf(value));
    }

    /** @return {@code value}, a JSON array {@link #parse} returned (inside a document) */
    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object value) {
        return cast(value, List.class, String.valueOf(value));
    }

    /**
     * @return {@code number}, a JSON integer as {@link #parse} returns it, as a long
     * @throws IllegalArgumentException if it is not an integer or does not fit
     */
    public static long longValue(Object number) {
        if (number instanceof Integer || number instanceof Long) {
            return ((Number) number).longValue();
        }
        if (number instanceof BigInteger b && b.bitLength() < Long.SIZE) {
            return b.longValue();
        }
        throw new IllegalArgumentException("expected a JSON integer that fits a long, found " + number);
    }

    private static <T> T cast(Object value, Class<T> type, String text) {
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("expected a JSON " + (type == Map.class ? "object" : "array") + ", found: "
                    + (text.length() > 80 ? text.substring(0, 80) + "..." : text));
        }
        return type.cast(value);
    }
}
