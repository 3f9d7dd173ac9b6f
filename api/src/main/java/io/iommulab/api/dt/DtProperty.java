package io.iommulab.api.dt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One device-tree property: a name and its raw big-endian value, exactly as in the flattened tree.
 *
 * @param name  property name, e.g. {@code "iommus"}
 * @param value raw bytes (empty for a boolean property)
 */
public record DtProperty(String name, byte[] value) {

    /** @return the value as big-endian 32-bit cells; the length must be a multiple of 4 */
    public int[] cells() {
        if (value.length % 4 != 0) {
            throw new IllegalArgumentException("property " + name + ": " + value.length + " bytes is not a whole number of cells");
        }
        int[] c = new int[value.length / 4];
        for (int i = 0; i < c.length; i++) {
            c[i] = ((value[4 * i] & 0xff) << 24) | ((value[4 * i + 1] & 0xff) << 16)
                    | ((value[4 * i + 2] & 0xff) << 8) | (value[4 * i + 3] & 0xff);
        }
        return c;
    }

    /** @return the single cell of a one-cell property */
    public int u32() {
        int[] c = cells();
        if (c.length != 1) {
            throw new IllegalArgumentException("property " + name + ": expected 1 cell, found " + c.length);
        }
        return c[0];
    }

    /** @return the NUL-separated strings of a string-list property (compatible, status, ...) */
    public List<String> strings() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < value.length; i++) {
            if (value[i] == 0) {
                out.add(new String(value, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < value.length) {
            out.add(new String(value, start, value.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** @return the first string of the value */
    public String string() {
        List<String> s = strings();
        return s.isEmpty() ? "" : s.get(0);
    }

    /** Joins {@code count} cells starting at {@code index} into one number (address or size). */
    public static long join(int[] cells, int index, int count) {
        long v = 0;
        for (int i = 0; i < count; i++) {
            v = (v << 32) | (cells[index + i] & 0xffffffffL);
        }
        return v;
    }

    /** Compares the array by content (a record's default equals compares array references). */
    @Override
    public boolean equals(Object o) {
        return o instanceof DtProperty r && java.util.Objects.equals(name, r.name) && java.util.Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Objects.hash(name) + java.util.Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "DtProperty[" + "name=" + name + ", " + "value=" + java.util.Arrays.toString(value) + "]";
    }
}
