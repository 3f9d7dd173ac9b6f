package io.iommulab.api.config;

import java.util.Objects;
import java.util.function.Function;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One setting of a PID: its key, its default, how its text is read and written back, and what a
 * change affects.
 *
 * @param key          the key in the configuration ({@code strict}); the framework property is {@code PID.KEY}
 * @param defaultValue the value when neither the configuration nor the property sets it
 * @param reader       reads a text; refuses a bad one with EINVAL naming the given name and the text
 * @param writer       the text of a value, in the form the reader reads back
 * @param applies      what a change affects: {@code live}, or what is created after it
 */
public record Setting<T>(String key, T defaultValue, Reader<T> reader, Function<? super T, String> writer, String applies) {

    /** What a change of the setting affects: at once. */
    public static final String LIVE = "live";

    /** Reads the text of a setting (components write them, as lambdas: a new method would break them). */
    @ConsumerType
    @FunctionalInterface
    public interface Reader<T> {
        /**
         * @param name what to call the setting in a message: the key, or the framework property
         * @param text the text, never blank
         * @throws io.iommulab.api.error.IommuException EINVAL "{@code NAME 'TEXT' is not ...}"
         */
        T read(String name, String text);
    }

    public Setting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(applies, "applies");
    }

    /** @return the value of {@code text} under {@code name} */
    public T read(String name, String text) {
        return reader.read(name, text);
    }

    /** @return the text of {@code value}, which must be of this setting's type */
    @SuppressWarnings("unchecked")
    public String text(Object value) {
        return writer.apply((T) value);
    }
}
