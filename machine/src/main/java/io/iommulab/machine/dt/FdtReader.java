package io.iommulab.machine.dt;

import io.iommulab.api.error.DeviceTreeException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a flattened device tree (DTB), Devicetree Specification v0.4 chapter 5, validating it the
 * way libfdt's fdt_check_header/fdt_check_full do. Every failure names the byte offset and what was
 * expected there; no input, truncated or corrupted, escapes as another exception type. The blob is
 * held to {@link DtLimits} (size, depth, node count, path and name length), so that reading it takes
 * time linear in its size and memory bounded by the limits.
 */
final class FdtReader {
    static final int FDT_MAGIC = 0xd00dfeed;
    static final int FDT_BEGIN_NODE = 0x1;
    static final int FDT_END_NODE = 0x2;
    static final int FDT_PROP = 0x3;
    static final int FDT_NOP = 0x4;
    static final int FDT_END = 0x9;
    /** Oldest format whose header and alignment rules we read (v16: no size_dt_struct field). */
    static final int FIRST_VERSION = 16;
    static final int LAST_COMP_VERSION = 17;
    static final int HEADER_V16 = 36;
    static final int HEADER_V17 = 40;

    static final int OFF_TOTALSIZE = 0x04;
    static final int OFF_DT_STRUCT = 0x08;
    static final int OFF_DT_STRINGS = 0x0c;
    static final int OFF_MEM_RSVMAP = 0x10;
    static final int OFF_VERSION = 0x14;
    static final int OFF_LAST_COMP = 0x18;
    static final int OFF_SIZE_STRINGS = 0x20;
    static final int OFF_SIZE_STRUCT = 0x24;

    private final String source;
    private final byte[] data;
    private int limit;
    private int stringsOff;
    private int stringsSize;

    private FdtReader(String source, byte[] data) {
        this.source = source;
        this.data = data;
        this.limit = data.length;
    }

    /** @return true if {@code data} begins with the FDT magic (or is a non-empty prefix of it) */
    static boolean looksLikeFdt(byte[] data) {
        byte[] magic = {(byte) 0xd0, 0x0d, (byte) 0xfe, (byte) 0xed};
        if (data.length == 0) {
            return false;
        }
        for (int i = 0; i < Math.min(4, data.length); i++) {
            if (data[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    static Tree read(String source, byte[] data) {
        return new FdtReader(source, data).read();
    }

    private Tree read() {
        if (data.length < 4) {
            throw err(0, "expected the 4-byte magic 0xd00dfeed, found only %d byte(s)", data.length);
        }
        int magic = u32(0, "magic");
        if (magic != FDT_MAGIC) {
            throw err(0, "expected magic 0xd00dfeed, found 0x%08x", magic);
        }
        int version = u32(OFF_VERSION, "version");
        if (version < FIRST_VERSION) {
            throw err(OFF_VERSION, "expected version >= %d, found %d", FIRST_VERSION, version);
        }
        int lastComp = u32(OFF_LAST_COMP, "last_comp_version");
        if (Integer.compareUnsigned(lastComp, LAST_COMP_VERSION) > 0) {
            throw err(OFF_LAST_COMP, "expected last_comp_version <= %d, found %d", LAST_COMP_VERSION,
                    Integer.toUnsignedLong(lastComp));
        }
        int headerSize = version >= 17 ? HEADER_V17 : HEADER_V16;
        if (data.length < headerSize) {
            throw err(data.length, "expected a %d-byte header for version %d, found end of data after %d bytes",
                    headerSize, version, data.length);
        }
        long total = uword(OFF_TOTALSIZE);
        if (total < headerSize) {
            throw err(OFF_TOTALSIZE, "expected totalsize >= header size %d, found 0x%x", headerSize, total);
        }
        if (total > data.length) {
            throw err(OFF_TOTALSIZE, "expected totalsize <= data length 0x%x, found 0x%x", data.length, total);
        }
        if (total > DtLimits.MAX_FDT_BYTES) {
            throw err(OFF_TOTALSIZE, "expected totalsize <= 0x%x (arm64 MAX_FDT_SIZE, 2 MiB), found 0x%x",
                    DtLimits.MAX_FDT_BYTES, total);
        }
        limit = (int) total;

        long rsvOff = block(OFF_MEM_RSVMAP, "off_mem_rsvmap", headerSize, 8);
        long structOff = block(OFF_DT_STRUCT, "off_dt_struct", headerSize, 4);
        long strOff = block(OFF_DT_STRINGS, "off_dt_strings", headerSize, 1);
        long strSize = uword(OFF_SIZE_STRINGS);
        if (strOff + strSize > limit) {
            throw err(OFF_SIZE_STRINGS, "expected off_dt_strings 0x%x + size_dt_strings <= totalsize 0x%x, found size 0x%x",
                    strOff, limit, strSize);
        }
        long structSize = version >= 17 ? uword(OFF_SIZE_STRUCT) : limit - structOff;
        if (structOff + structSize > limit) {
            throw err(OFF_SIZE_STRUCT, "expected off_dt_struct 0x%x + size_dt_struct <= totalsize 0x%x, found size 0x%x",
                    structOff, limit, structSize);
        }
        stringsOff = (int) strOff;
        stringsSize = (int) strSize;

        List<MemReserve> rsv = readReservations((int) rsvOff);
        NodeBuilder root = readStructure((int) structOff, (int) (structOff + structSize));
        applySymbols(root);
        return new Tree(source, root, rsv);
    }

    /** Validates a block offset field: inside the blob, after the header, aligned. */
    private long block(int field, String name, int headerSize, int align) {
        long off = uword(field);
        if (off < headerSize || off > limit) {
            throw err(field, "expected %s between the header end 0x%x and totalsize 0x%x, found 0x%x",
                    name, headerSize, limit, off);
        }
        if (off % align != 0) {
            throw err(field, "expected %s aligned to %d bytes, found 0x%x", name, align, off);
        }
        return off;
    }

    private List<MemReserve> readReservations(int off) {
        List<MemReserve> out = new ArrayList<>();
        for (int p = off; ; p += 16) {
            if (p + 16L > limit) {
                throw err(p, "expected a 16-byte memory reservation entry (or the zero terminator) before totalsize 0x%x, found end of blob",
                        limit);
            }
            long address = u64(p);
            long size = u64(p + 8);
            if (address == 0 && size == 0) {
                return out;
            }
            out.add(new MemReserve(address, size));
        }
    }

    private NodeBuilder readStructure(int start, int end) {
        Deque<NodeBuilder> stack = new ArrayDeque<>();
        Deque<String> paths = new ArrayDeque<>();
        // names of the children of each open node: a duplicate check in constant time per node
        Deque<Set<String>> childNames = new ArrayDeque<>();
        NodeBuilder root = null;
        int nodes = 0;
        int p = start;
        while (true) {
            if (p + 4L > end) {
                String what = stack.isEmpty() ? (root == null ? "the root FDT_BEGIN_NODE" : "FDT_END")
                        : "FDT_END_NODE for " + paths.peek();
                throw err(p, "expected %s before the end of the structure block at 0x%x, found end of block", what, end);
            }
            int tokOff = p;
            int tok = u32(p, "token");
            p += 4;
            switch (tok) {
                case FDT_BEGIN_NODE -> {
                    if (root != null && stack.isEmpty()) {
                        throw err(tokOff, "expected FDT_END after the root node, found FDT_BEGIN_NODE (a second root)");
                    }
                    int nul = indexOfNul(p, end);
                    if (nul < 0) {
                        throw err(p, "expected a NUL-terminated node name before the end of the structure block at 0x%x, found none", end);
                    }
                    refuse(p, DtLimits.name("node", nul - p));
                    String name = new String(data, p, nul - p, StandardCharsets.UTF_8);
                    p = align4(nul + 1);
                    refuse(tokOff, DtLimits.nodes(++nodes));
                    NodeBuilder parent = stack.peek();
                    NodeBuilder n = new NodeBuilder(parent == null ? "" : name);
                    if (parent == null) {
                        if (!name.isEmpty() && !name.equals("/")) {
                            throw err(tokOff + 4, "expected an empty root node name, found \"%s\"", name);
                        }
                        root = n;
                        paths.push("/");
                    } else {
                        if (name.isEmpty() || name.indexOf('/') >= 0) {
                            throw err(tokOff + 4, "expected a node name without '/' under %s, found \"%s\"", paths.peek(), name);
                        }
                        refuse(tokOff, DtLimits.depth(name, stack.size()));
                        if (!childNames.peek().add(name)) {
                            throw err(tokOff, "expected a unique node name under %s, found a second \"%s\"", paths.peek(), name);
                        }
                        String path = paths.peek().equals("/") ? "/" + name : paths.peek() + "/" + name;
                        refuse(tokOff, DtLimits.path(name, path.length()));
                        parent.children.add(n);
                        paths.push(path);
                    }
                    stack.push(n);
                    childNames.push(new HashSet<>());
                }
                case FDT_END_NODE -> {
                    if (stack.isEmpty()) {
                        throw err(tokOff, "expected FDT_BEGIN_NODE or FDT_END (no node is open), found FDT_END_NODE");
                    }
                    stack.pop();
                    paths.pop();
                    childNames.pop();
                }
                case FDT_PROP -> {
                    if (stack.isEmpty()) {
                        throw err(tokOff, "expected FDT_BEGIN_NODE before a property (no node is open), found FDT_PROP");
                    }
                    p = readProperty(tokOff, p, end, stack.peek(), paths.peek());
                }
                case FDT_NOP -> { }
                case FDT_END -> {
                    if (!stack.isEmpty()) {
                        throw err(tokOff, "expected FDT_END_NODE for %s, found FDT_END", paths.peek());
                    }
                    if (root == null) {
                        throw err(tokOff, "expected the root FDT_BEGIN_NODE, found FDT_END");
                    }
                    return root;
                }
                default -> throw err(tokOff,
                        "expected a structure token (FDT_BEGIN_NODE 0x1, FDT_END_NODE 0x2, FDT_PROP 0x3, FDT_NOP 0x4, FDT_END 0x9), found 0x%08x",
                        tok);
            }
        }
    }

    private int readProperty(int tokOff, int p, int end, NodeBuilder node, String path) {
        if (p + 8L > end) {
            throw err(p, "expected the property length and name offset (8 bytes) before the end of the structure block at 0x%x, found %d bytes",
                    end, end - p);
        }
        long len = uword(p);
        long nameOff = uword(p + 4);
        int value = p + 8;
        if (len > end - value) {
            throw err(p, "expected a property length <= 0x%x (to the end of the structure block), found 0x%x", end - value, len);
        }
        if (nameOff >= stringsSize) {
            throw err(p + 4, "expected a string offset < size_dt_strings 0x%x, found 0x%x", stringsSize, nameOff);
        }
        int nameStart = stringsOff + (int) nameOff;
        // Bounded scan: many properties may name the same long string, which must not cost its length each time.
        int nul = indexOfNul(nameStart, (int) Math.min(stringsOff + stringsSize, nameStart + DtLimits.MAX_NAME + 1L));
        if (nul < 0) {
            throw err(p + 4, "expected a NUL-terminated property name of at most %d bytes at string offset 0x%x inside the strings block, found none",
                    DtLimits.MAX_NAME, nameOff);
        }
        if (nul == nameStart) {
            throw err(p + 4, "expected a property name at string offset 0x%x, found an empty string", nameOff);
        }
        String name = new String(data, nameStart, nul - nameStart, StandardCharsets.UTF_8);
        if (node.properties.containsKey(name)) {
            throw err(tokOff, "expected a unique property name in %s, found a second \"%s\"", path, name);
        }
        node.properties.put(name, Arrays.copyOfRange(data, value, value + (int) len));
        return align4(value + (int) len);
    }

    /** DTBs built with {@code dtc -@} carry a {@code /__symbols__} node mapping label -> path. */
    private void applySymbols(NodeBuilder root) {
        NodeBuilder symbols = root.child("__symbols__");
        if (symbols == null) {
            return;
        }
        Map<String, NodeBuilder> byPath = new HashMap<>();
        index(root, "/", byPath);
        for (Map.Entry<String, byte[]> e : symbols.properties.entrySet()) {
            byte[] v = e.getValue();
            int n = v.length > 0 && v[v.length - 1] == 0 ? v.length - 1 : v.length;
            String target = new String(v, 0, n, StandardCharsets.UTF_8);
            NodeBuilder node = byPath.get(target);
            if (node == null) {
                throw new DeviceTreeException(source, "/__symbols__",
                        "label " + e.getKey() + ": expected the path of an existing node, found \"" + target + "\"");
            }
            node.labels.add(e.getKey());
        }
    }

    /** Paths as Node spells them; the recursion is as deep as the tree, which readStructure bounded. */
    private static void index(NodeBuilder n, String path, Map<String, NodeBuilder> out) {
        out.put(path, n);
        for (NodeBuilder c : n.children) {
            index(c, path.equals("/") ? "/" + c.name : path + "/" + c.name, out);
        }
    }

    private int indexOfNul(int from, int end) {
        for (int i = from; i < end; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int align4(int v) {
        return (v + 3) & ~3;
    }

    private int u32(int off, String what) {
        if (off + 4L > limit) {
            throw err(off, "expected %s (4 bytes), found end of data at 0x%x", what, limit);
        }
        return ((data[off] & 0xff) << 24) | ((data[off + 1] & 0xff) << 16) | ((data[off + 2] & 0xff) << 8)
                | (data[off + 3] & 0xff);
    }

    private long uword(int off) {
        return Integer.toUnsignedLong(u32(off, "a 32-bit field"));
    }

    private long u64(int off) {
        return (uword(off) << 32) | uword(off + 4);
    }

    /** Throws a limit's refusal at this offset; nothing if {@code problem} is null. */
    private void refuse(long offset, String problem) {
        if (problem != null) {
            throw new DeviceTreeException(source, String.format("offset 0x%x", offset), problem);
        }
    }

    private DeviceTreeException err(long offset, String fmt, Object... args) {
        return new DeviceTreeException(source, String.format("offset 0x%x", offset), String.format(fmt, args));
    }
}
