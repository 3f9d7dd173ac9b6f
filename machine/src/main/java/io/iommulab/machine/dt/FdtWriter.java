package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link DeviceTree} as a flattened device tree: version 17, last compatible version 16,
 * header, memory reservation block (with its zero terminator), structure block, strings block
 * with each property name stored once (sharing tails as dtc does), in dtc's layout.
 */
public final class FdtWriter {
    private static final int VERSION = 17;
    private static final int LAST_COMP_VERSION = 16;

    private final ByteArrayOutputStream struct = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();

    private FdtWriter() {
    }

    /** @return the tree as a DTB (no {@code __symbols__} node is added) */
    public static byte[] write(DeviceTree tree) {
        List<MemReserve> rsv = tree instanceof Tree t ? t.memReserve() : List.of();
        FdtWriter w = new FdtWriter();
        w.node(tree.root());
        w.token(FdtReader.FDT_END);
        return w.assemble(rsv);
    }

    private void node(DtNode n) {
        token(FdtReader.FDT_BEGIN_NODE);
        byte[] name = n.name().getBytes(StandardCharsets.UTF_8);
        struct.writeBytes(name);
        struct.write(0);
        pad(struct);
        for (DtProperty p : n.properties().values()) {
            token(FdtReader.FDT_PROP);
            word(struct, p.value().length);
            word(struct, stringOffset(p.name()));
            struct.writeBytes(p.value());
            pad(struct);
        }
        for (DtNode c : n.children()) {
            node(c);
        }
        token(FdtReader.FDT_END_NODE);
    }

    /**
     * Like dtc's stringtable_insert: reuse any existing occurrence, including the tail of a longer
     * name ("phandle" inside "linux,phandle"), so the output matches dtc byte for byte.
     */
    private int stringOffset(String name) {
        Integer known = stringOffsets.get(name);
        if (known != null) {
            return known;
        }
        byte[] s = name.getBytes(StandardCharsets.UTF_8);
        byte[] table = strings.toByteArray();
        int off = findTerminated(table, s);
        if (off < 0) {
            off = table.length;
            strings.writeBytes(s);
            strings.write(0);
        }
        stringOffsets.put(name, off);
        return off;
    }

    /** @return the first offset where {@code s} followed by NUL occurs in {@code table}, or -1 */
    private static int findTerminated(byte[] table, byte[] s) {
        outer:
        for (int i = 0; i + s.length < table.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (table[i + j] != s[j]) {
                    continue outer;
                }
            }
            if (table[i + s.length] == 0) {
                return i;
            }
        }
        return -1;
    }

    private byte[] assemble(List<MemReserve> rsv) {
        int rsvOff = FdtReader.HEADER_V17;
        int structOff = rsvOff + 16 * (rsv.size() + 1);
        int stringsOff = structOff + struct.size();
        int total = stringsOff + strings.size();
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(FdtReader.FDT_MAGIC).putInt(total).putInt(structOff).putInt(stringsOff).putInt(rsvOff)
                .putInt(VERSION).putInt(LAST_COMP_VERSION).putInt(0).putInt(strings.size()).putInt(struct.size());
        for (MemReserve r : rsv) {
            b.putLong(r.address()).putLong(r.size());
        }
        b.putLong(0).putLong(0);
        b.put(struct.toByteArray()).put(strings.toByteArray());
        return b.array();
    }

    private void token(int t) {
        word(struct, t);
    }

    private static void word(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
