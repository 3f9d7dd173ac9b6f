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

/** The rules of {@link Json} that Jackson's defaults do not have: records, other objects, bytes, Optional (and null map keys, set apart). */
final class IommulabModule extends SimpleModule {
    private static final long serialVersionUID = 1L;

    IommulabModule() {
        super("iommulab");
        addSerializer(byte[].class, new HexBytes());
        addSerializer(new OptionalValue());
        setSerializerModifier(new RecordsAndText());
    }

    /** {@code byte[]} as lowercase hex digits, as the shell shows memory, not Jackson's base64. */
    static final class HexBytes extends StdSerializer<byte[]> {
        private static final long serialVersionUID = 1L;

        HexBytes() {
            super(byte[].class);
        }

        @Override
        public void serialize(byte[] value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(HexFormat.of().formatHex(value));
        }
    }

    /** {@code Optional}: its value, or null. */
    @SuppressWarnings("rawtypes")
    static final class OptionalValue extends StdSerializer<Optional> {
        private static final long serialVersionUID = 1L;

        OptionalValue() {
            super(Optional.class);
        }

        @Override
        public void serialize(Optional value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            provider.defaultSerializeValue(value.orElse(null), gen);
        }
    }

    /** A null map key as the text {@code "null"}, as {@code String.valueOf} has it. */
    static final class NullKey extends StdSerializer<Object> {
        private static final long serialVersionUID = 1L;

        NullKey() {
            super(Object.class);
        }

        @Override
        public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeFieldName("null");
        }
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
