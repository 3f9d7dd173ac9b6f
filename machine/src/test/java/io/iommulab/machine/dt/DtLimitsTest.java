package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.DeviceTreeException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * Both readers refuse input beyond {@link DtLimits} with an error naming the source and the offset
 * or line, instead of running out of stack or heap (30,000 nested nodes used to end in a bare
 * StackOverflowError after 17 s and 3.6 GB).
 */
class DtLimitsTest {
    private static final int DEEP = 30_000;

    /** A DTB of {@code depth} nested nodes named "a" below the root, each with {@code children} empty children at the bottom. */
    private static byte[] nestedDtb(int depth, int children, String name) {
        ByteArrayOutputStream struct = new ByteArrayOutputStream();
        ByteBuffer w = ByteBuffer.allocate(4);
        java.util.function.IntConsumer word = v -> struct.writeBytes(w.clear().putInt(v).array());
        java.util.function.Consumer<String> begin = n -> {
            word.accept(FdtReader.FDT_BEGIN_NODE);
            byte[] b = n.getBytes(StandardCharsets.UTF_8);
            struct.writeBytes(b);
            struct.writeBytes(new byte[4 - b.length % 4]);
        };
        begin.accept("");
        for (int i = 0; i < depth; i++) {
            begin.accept(name);
        }
        for (int i = 0; i < children; i++) {
            begin.accept("c" + i);
            word.accept(FdtReader.FDT_END_NODE);
        }
        for (int i = 0; i <= depth; i++) {
            word.accept(FdtReader.FDT_END_NODE);
        }
        word.accept(FdtReader.FDT_END);
        byte[] s = struct.toByteArray();
        int structOff = 40 + 16;
        int total = structOff + s.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(FdtReader.FDT_MAGIC).putInt(total).putInt(structOff).putInt(total).putInt(40).putInt(17).putInt(16)
                .putInt(0).putInt(0).putInt(s.length).putLong(0).putLong(0).put(s);
        return b.array();
    }

    private static String nestedDts(int depth, String name) {
        StringBuilder s = new StringBuilder("/dts-v1/;\n/ {\n");
        s.append((name + " {\n").repeat(depth));
        s.append("};\n".repeat(depth + 1));
        return s.toString();
    }

    private static DeviceTreeException refused(String source, byte[] data, String message) {
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> DeviceTrees.parse(source, data));
        assertEquals(source, e.source());
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
        return e;
    }

    private static DeviceTreeException refusedDts(String text, String message) {
        return refused("deep.dts", text.getBytes(StandardCharsets.UTF_8), message);
    }

    @Test
    void thirtyThousandNestedNodesAreRefusedInADtb() {
        DeviceTreeException e = refused("deep.dtb", nestedDtb(DEEP, 0, "a"),
                "expected nodes at most 62 deep (Linux FDT_MAX_DEPTH 64), found \"a\" at depth 63");
        // the 63rd "a" begins after the root's and 62 others' 8-byte FDT_BEGIN_NODE records
        assertEquals(String.format("offset 0x%x", 56 + 8 + 62 * 8), e.where());
    }

    @Test
    void thirtyThousandNestedNodesAreRefusedInDts() {
        DeviceTreeException e = refusedDts(nestedDts(DEEP, "a"), "expected nodes at most 62 deep (Linux FDT_MAX_DEPTH 64), found \"a\" at depth 63");
        assertEquals("line 65", e.where());
    }

    @Test
    void sixtyTwoLevelsBelowTheRootAreRead() {
        String deepest = "/a".repeat(62);
        DeviceTree dtb = DeviceTrees.parse("ok.dtb", nestedDtb(62, 0, "a"));
        DeviceTree dts = DeviceTrees.parse("ok.dts", nestedDts(62, "a").getBytes(StandardCharsets.UTF_8));
        assertTrue(dtb.node(deepest).isPresent());
        assertTrue(dts.node(deepest).isPresent());
        TreeAssert.assertSameTree(dtb, dts);
    }

    @Test
    void nodeCountIsBounded() {
        // the root and MAX_NODES - 1 children fit; one more does not
        assertEquals(DtLimits.MAX_NODES, DeviceTrees.parse("n.dtb", nestedDtb(0, DtLimits.MAX_NODES - 1, "a")).allNodes().size());
        refused("n.dtb", nestedDtb(0, DtLimits.MAX_NODES, "a"), "expected at most 16384 nodes, found more");
        StringBuilder s = new StringBuilder("/ {\n");
        for (int i = 0; i < DtLimits.MAX_NODES; i++) {
            s.append("c").append(i).append(" { };\n");
        }
        s.append("};\n");
        DeviceTreeException e = refusedDts(s.toString(), "expected at most 16384 nodes, found more");
        assertEquals("line " + (DtLimits.MAX_NODES + 1), e.where());
    }

    @Test
    void namesAndPathsAreBounded() {
        String longest = "n".repeat(DtLimits.MAX_NAME);
        DeviceTrees.parse("ok.dts", ("/ { " + longest + " { " + longest + " = <1>; }; };").getBytes(StandardCharsets.UTF_8));
        refusedDts("/ { " + longest + "x { }; };", "expected a node or property name of at most 255 bytes (NAME_MAX), found 256");
        refused("long.dtb", nestedDtb(1, 0, longest + "x"), "expected a node name of at most 255 bytes (NAME_MAX), found 256");
        // 17 levels of 255-character names: a 4352-character path, beyond PATH_MAX
        refusedDts(nestedDts(17, longest), "expected a node path of at most 4096 characters (PATH_MAX), found 4352");
        refused("long.dtb", nestedDtb(17, 0, longest), "expected a node path of at most 4096 characters (PATH_MAX), found 4352");
    }

    @Test
    void deepExpressionsAreRefused() {
        String parens = "(".repeat(DEEP) + "1" + ")".repeat(DEEP);
        refusedDts("/ { a = <" + parens + ">; };", "expected an expression nested at most 64 deep (parentheses, unary operators, ?:), found deeper");
        refusedDts("/ { a = <(" + "-".repeat(DEEP) + "1)>; };", "expected an expression nested at most 64 deep");
        refusedDts("/ { a = <(" + "1 ? ".repeat(DEEP) + "1" + " : 0".repeat(DEEP) + ")>; };", "expected an expression nested at most 64 deep");
        String ok = "(".repeat(60) + "-~0" + ")".repeat(60);
        assertEquals(1, DeviceTrees.parse("ok.dts", ("/ { a = <" + ok + ">; };").getBytes(StandardCharsets.UTF_8))
                .root().property("a").orElseThrow().u32());
    }

    @Test
    void oversizedInputIsRefused() {
        byte[] text = new byte[DtLimits.MAX_DTS_BYTES + 1];
        java.util.Arrays.fill(text, (byte) ' ');
        DeviceTreeException e = refused("big.dts", text, "expected DTS text of at most 4 MiB, found 4194305 bytes");
        assertEquals(null, e.where());
        byte[] blob = nestedDtb(1, 0, "a");
        byte[] big = java.util.Arrays.copyOf(blob, DtLimits.MAX_FDT_BYTES + 8);
        ByteBuffer.wrap(big).putInt(FdtReader.OFF_TOTALSIZE, big.length);
        e = refused("big.dtb", big, "expected totalsize <= 0x200000 (arm64 MAX_FDT_SIZE, 2 MiB), found 0x200008");
        assertEquals("offset 0x4", e.where());
    }

    @Test
    void labelsOfDeletedNodesAreGoneAndMayBeReused() {
        DeviceTree t = DeviceTrees.parse("l.dts", """
                / { a: first { }; };
                /delete-node/ &a;
                / { a: second { }; };
                &a { moved; };
                """.getBytes(StandardCharsets.UTF_8));
        assertTrue(t.node("/first").isEmpty());
        assertTrue(t.node("/second").orElseThrow().hasProperty("moved"));
        DeviceTreeException e = refusedDts("/ { a: first { }; };\n/delete-node/ &a;\n&a { x; };\n", "reference to undefined label &a");
        assertEquals("line 3", e.where());
    }
}
