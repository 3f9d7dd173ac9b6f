package io.iommulab.compare.json;

import java.util.List;
import java.util.Map;

/**
 * A small JSON writer over a value tree of {@code null}, {@link String}, {@link Boolean},
 * {@link Number}, {@link Enum} (its name), {@link Map} (string keys, written in iteration order),
 * {@link List} and records (an object of their components, in declaration order, as the
 * launcher's {@code --json} writes them). The comparison's report and the campaign's
 * {@code --json} use it.
 *
 * <p>Why hand-written: the bundle must not pull a JSON library into the framework for one file.
 * Rules that matter for consumers: integral numbers are written with every digit (a {@code long}
 * is never routed through {@code double}); NaN and infinities, which JSON cannot represent, are
 * {@code null}; strings are pure ASCII, with control characters and everything above U+007E as
 * {@code \\uXXXX} (UTF-16 units, so supplementary characters become surrogate pairs), which keeps
 * the file valid whatever encoding a reader assumes.
 */
public final class Json {
    private final StringBuilder out = new StringBuilder(4096);

    private Json() {
    }

    /** The value tree as indented JSON text ending in a newline. */
    public static String write(Object value) {
        Json j = new Json();
        j.value(value, 0);
        return j.out.append('\n').toString();
    }

    private void value(Object v, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (v instanceof Double || v instanceof Float) {
            number(((Number) v).doubleValue());
        } else if (v instanceof Number n) {
            out.append(n.toString()); // Integer, Long, BigInteger, BigDecimal: exact digits
        } else if (v instanceof Map<?, ?> m) {
            object(m, depth);
        } else if (v instanceof List<?> l) {
            array(l, depth);
        } else if (v instanceof Enum<?> e) {
            string(e.name());
        } else if (v.getClass().isRecord()) {
            object(components(v), depth);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    /** A record's components by name, in declaration order. */
    private static Map<String, Object> components(Object record) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent c : record.getClass().getRecordComponents()) {
            try {
                java.lang.reflect.Method m = c.getAccessor();
                m.setAccessible(true);
                out.put(c.getName(), m.invoke(record));
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("cannot read " + record.getClass().getName() + "." + c.getName(), e);
            }
        }
        return out;
    }

    private void number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d); // 3.0 → 3: integral doubles read better and are the same number
        } else {
            out.append(Double.toString(d)); // shortest repr that round-trips; "1.0E-5" is valid JSON
        }
    }

    private void object(Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.append(first ? "\n" : ",\n");
            first = false;
            indent(depth + 1);
            string(String.valueOf(e.getKey()));
            out.append(": ");
            value(e.getValue(), depth + 1);
        }
        out.append('\n');
        indent(depth);
        out.append('}');
    }

    private void array(List<?> l, int depth) {
        if (l.stream().noneMatch(v -> v instanceof Map || v instanceof List)) {
            out.append('['); // scalars on one line: stream ids and device lists stay readable
            for (int i = 0; i < l.size(); i++) {
                out.append(i == 0 ? "" : ", ");
                value(l.get(i), depth + 1);
            }
            out.append(']');
            return;
        }
        out.append('[');
        for (int i = 0; i < l.size(); i++) {
            out.append(i == 0 ? "\n" : ",\n");
            indent(depth + 1);
            value(l.get(i), depth + 1);
        }
        out.append('\n');
        indent(depth);
        out.append(']');
    }

    private void indent(int depth) {
        out.append("  ".repeat(depth));
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7E) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
