package io.iommulab.launcher;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a command result as one line of JSON (RFC 8259). The shell's results are objects of
 * classes loaded by bundles, which the launcher cannot link against, so this works by reflection:
 * records become objects named by their component names, collections and arrays become arrays,
 * maps become objects (keys as strings), enums their name, {@code byte[]} a hex string; anything
 * else is written as its {@code toString()}.
 */
public final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** Deeper than any DTO nests; stops a cyclic object graph from overflowing the stack. */
    private static final int MAX_DEPTH = 64;

    private Json() {
    }

    /** @return {@code value} as a single-line JSON document */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder(128);
        new Writer(sb).value(value, 0);
        return sb.toString();
    }

    private static final class Writer {
        private final StringBuilder sb;
        /** objects on the current path, to turn a cycle into an error instead of a stack overflow */
        private final Map<Object, Boolean> path = new IdentityHashMap<>();

        Writer(StringBuilder sb) {
            this.sb = sb;
        }

        void value(Object v, int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("result nests deeper than " + MAX_DEPTH + " levels");
            }
            if (v == null) {
                sb.append("null");
            } else if (v instanceof CharSequence || v instanceof Character) {
                string(v.toString());
            } else if (v instanceof Boolean) {
                sb.append(v);
            } else if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                // JSON has no NaN or infinity.
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    string(v.toString());
                } else {
                    sb.append(v);
                }
            } else if (v instanceof Number) {
                sb.append(v);
            } else if (v instanceof Enum<?> e) {
                string(e.name());
            } else if (v instanceof byte[] bytes) {
                hex(bytes);
            } else if (v instanceof Optional<?> o) {
                value(o.orElse(null), depth + 1);
            } else {
                composite(v, depth);
            }
        }

        private void composite(Object v, int depth) {
            if (path.put(v, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("result contains a cycle through a " + v.getClass().getName());
            }
            try {
                if (v.getClass().isRecord()) {
                    record(v, depth);
                } else if (v instanceof Map<?, ?> m) {
                    map(m, depth);
                } else if (v instanceof Iterable<?> it) {
                    iterable(it, depth);
                } else if (v.getClass().isArray()) {
                    array(v, depth);
                } else {
                    string(v.toString());
                }
            } finally {
                path.remove(v);
            }
        }

        private void record(Object r, int depth) {
            sb.append('{');
            boolean first = true;
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(c.getName());
                sb.append(':');
                value(component(r, c), depth + 1);
            }
            sb.append('}');
        }

        private void map(Map<?, ?> m, int depth) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(String.valueOf(e.getKey()));
                sb.append(':');
                value(e.getValue(), depth + 1);
            }
            sb.append('}');
        }

        private void iterable(Iterable<?> it, int depth) {
            sb.append('[');
            Iterator<?> i = it.iterator();
            while (i.hasNext()) {
                value(i.next(), depth + 1);
                if (i.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append(']');
        }

        private void array(Object a, int depth) {
            sb.append('[');
            int n = Array.getLength(a);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                value(Array.get(a, i), depth + 1);
            }
            sb.append(']');
        }

        private void hex(byte[] bytes) {
            sb.append('"');
            for (byte b : bytes) {
                sb.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            sb.append('"');
        }

        private void string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                            // control characters must be escaped; the two separators break JavaScript readers
                            sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                                    .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    /** Reads one record component; records of non-exported bundle packages need the accessor opened. */
    static Object component(Object record, RecordComponent c) {
        Method m = c.getAccessor();
        try {
            if (!m.canAccess(record)) {
                m.setAccessible(true);
            }
            return m.invoke(record);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + record.getClass().getName() + "." + c.getName(), e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("reading " + record.getClass().getName() + "." + c.getName()
                    + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * @return the record component {@code name} of {@code record}
     * @throws IllegalArgumentException if {@code record} is not a record with that component
     */
    public static Object component(Object record, String name) {
        if (record == null || !record.getClass().isRecord()) {
            throw new IllegalArgumentException("expected a record with component '" + name + "', found "
                    + (record == null ? "null" : record.getClass().getName()));
        }
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            if (c.getName().equals(name)) {
                return component(record, c);
            }
        }
        throw new IllegalArgumentException("record " + record.getClass().getName() + " has no component '" + name + "'");
    }
}
