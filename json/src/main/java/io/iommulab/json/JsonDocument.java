package io.iommulab.json;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A command result that is a JSON document ({@code iommu:compare --json}, {@code iommu:campaign
 * --json}). Jackson writes the document itself ({@link #value()}, so the launcher's {@code --json}
 * prints it as one JSON line, not as a string holding JSON), and it is the document's indented
 * text as a {@link CharSequence}, which is what the Gogo shell prints for it.
 */
public final class JsonDocument implements CharSequence {
    private final Object value;
    /** the indented text, made when first asked for: the launcher's --json never needs it */
    private String text;

    /** @param value what the document holds, written by {@link Json}'s rules */
    public JsonDocument(Object value) {
        this.value = value;
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
