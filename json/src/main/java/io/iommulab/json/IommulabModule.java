package io.iommulab.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanPropertyWriter;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import com.fasterxml.jackson.databind.ser.std.BeanSerializerBase;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The rules of {@link Json} that Jackson's defaults do not have: records, other objects, bytes,
 * Optional (and null map keys, which the mapper's provider takes).
 */
final class IommulabModule extends SimpleModule {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings({"rawtypes", "unchecked"}) // Optional's serializer is for every Optional<T>
    IommulabModule() {
        super("iommulab");
        // byte[] as lowercase hex digits, as the shell shows memory (Jackson's default is base64)
        addSerializer(byte[].class, serializer(byte[].class, (v, gen, p) -> gen.writeString(HexFormat.of().formatHex(v))));
        addSerializer(Optional.class, serializer(Optional.class,
                (v, gen, p) -> p.defaultSerializeValue(v.orElse(null), gen)));
        setSerializerModifier(new RecordsAndText());
    }

    /** A null map key as the text {@code "null"}, as {@code String.valueOf} has it. */
    static final JsonSerializer<Object> NULL_KEY = serializer(Object.class, (v, gen, p) -> gen.writeFieldName("null"));

    /** What a serializer does, as a lambda. */
    @FunctionalInterface
    interface Write<T> {
        void write(T value, JsonGenerator gen, SerializerProvider provider) throws IOException;
    }

    /** @return a serializer of {@code type} that does {@code write} */
    static <T> JsonSerializer<T> serializer(Class<T> type, Write<T> write) {
        return new StdSerializer<>(type) {
            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                write.write(value, gen, provider);
            }
        };
    }

    /**
     * A record is written as its components in declaration order (Jackson would also take getter-like
     * methods, and orders by its own rules); any other class Jackson would write as a bean, reading
     * its getters, is written as its text: a command may return a framework object, whose getters
     * reach the whole framework.
     */
    static final class RecordsAndText extends BeanSerializerModifier {
        private static final long serialVersionUID = 1L;

        @Override
        public List<BeanPropertyWriter> changeProperties(SerializationConfig config, BeanDescription desc,
                List<BeanPropertyWriter> properties) {
            Class<?> type = desc.getBeanClass();
            if (!type.isRecord()) {
                return properties;
            }
            List<String> components = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
            List<BeanPropertyWriter> out = new ArrayList<>(properties);
            out.removeIf(p -> !components.contains(p.getName()));
            out.sort(Comparator.comparingInt(p -> components.indexOf(p.getName())));
            return out;
        }

        @Override
        public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription desc,
                JsonSerializer<?> serializer) {
            boolean bean = serializer instanceof BeanSerializerBase || serializer instanceof UnknownSerializer;
            return bean && !desc.getBeanClass().isRecord() ? ToStringSerializer.instance : serializer;
        }
    }
}
