package io.iommulab.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The project's JSON, written with Jackson. Every document the project writes (the launcher's
 * {@code --json} lines, the comparison's and the campaign's reports) goes through this one
 * configuration, so that they all follow the same rules:
 * <ul>
 * <li>a record is an object of its components, named and ordered as declared, and nothing else
 * (a DTO's helper methods, {@code tally()}, {@code line()}, are not fields);</li>
 * <li>a map is an object in its iteration order, keys as their text ({@code "null"} for a null
 * key); collections and arrays are arrays; an enum is its name; {@code Optional} is its value or
 * null; {@code byte[]} is a hex string;</li>
 * <li>integral numbers keep every digit; NaN and the infinities, which JSON cannot represent, are
 * {@code null};</li>
 * <li>any other object (a framework's {@code Bundle}, ...) is the string of its {@code toString()};
 * a class that says how it is written ({@code @JsonValue}, {@code JsonSerializable}, a
 * {@code JsonNode}) is written so;</li>
 * <li>the text is printable ASCII: control characters, DEL and everything above U+007E are
 * escaped ({@code \n}, {@code \t}, ... or {@code \}{@code uXXXX}; a character beyond the BMP as
 * its surrogate pair), so it reads the same whatever encoding its reader assumes;</li>
 * <li>values nest at most {@value #MAX_DEPTH} deep, which stops a cyclic object graph with an
 * error instead of a stack overflow.</li>
 * </ul>
 */
public final class Json {

    /** Deeper than any document nests. */
    static final int MAX_DEPTH = 64;

    private static final ObjectMapper MAPPER = build();

    private static final ObjectWriter INDENTED = MAPPER.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("")
                    .withArrayEmptySeparator(""))
            // arrays stay on their line (stream ids, device lists), an object in one opens its own lines
            .withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private Json() {
    }

    private static ObjectMapper build() {
        ObjectMapper m = JsonMapper.builder(JsonFactory.builder()
                        .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                        .addDecorator(new PrintableAscii())
                        .addDecorator(new FiniteNumbers())
                        .build())
                .addModule(new IommulabModule())
                // a record without components is {}: it has nothing to say
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        m.getSerializerProvider().setNullKeySerializer(IommulabModule.NULL_KEY);
        return m;
    }

    /**
     * @return a mapper with these rules, of the caller's own: a document that needs more (mix-ins for
     *         its fields) configures its copy
     */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    /**
     * @return {@code value} as one line of JSON (no line break in it, none at its end)
     * @throws IllegalArgumentException if it cannot be written (it nests too deep, a getter throws)
     */
    public static String line(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw failure(value, e);
        }
    }

    /**
     * @return {@code value} as indented JSON (an object's fields on lines of their own, two spaces a
     *         level, {@code "name": value}; arrays on the line they start), without a line break at its end
     * @throws IllegalArgumentException if it cannot be written
     */
    public static String indented(Object value) {
        try {
            return INDENTED.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw failure(value, e);
        }
    }

    private static IllegalArgumentException failure(Object value, JsonProcessingException e) {
        String what = value == null ? "null" : "a " + value.getClass().getName();
        return new IllegalArgumentException("cannot write " + what + " as JSON: " + e.getOriginalMessage(), e);
    }
}
