package io.iommulab.json;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A command result that is a JSON document ({@code iommu:compare}, {@code iommu:campaign --json}).
 * Jackson writes the document itself ({@link #value()}): the launcher's {@code --json} prints it
 * as one JSON line, not as a string holding JSON. In the shell it is its text, a
 * {@link CharSequence}, which Gogo prints as it is: the document indented, or the text the command
 * gives for it (the comparison's table).
 */
public final class JsonDocument implements CharSequence {
    private final Object value;
    /** the text, made when first asked for when it is the document's: the launcher's --json never needs it */
    private String text;

    /** @param value what the document holds, written by {@link Json}'s rules; its text is the document indented */
    public JsonDocument(Object value) {
        this(value, null);
    }

    /**
     * @param value what the document holds, written by {@link Json}'s rules
     * @param text  what the shell shows for it, or null for the document indented
     */
    public JsonDocument(Object value, String text) {
        this.value = value;
        this.text = text;
    }

    /** @return what the document holds */
    @JsonValue
    public Object value() {
        return value;
    }

    @Override
    public String toString() {
        String t = text;
        if (t == null) {
            t = Json.indented(value);
            text = t;
        }
        return t;
    }

    @Override
    public int length() {
        return toString().length();
    }

    @Override
    public char charAt(int index) {
        return toString().charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }
}
