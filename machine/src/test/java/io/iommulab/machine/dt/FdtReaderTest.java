package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.DeviceTreeException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class FdtReaderTest {
    private static final DeviceTree SMALL = Fixtures.load("small.dts");
    private static final byte[] DTB = FdtWriter.write(SMALL);

    private static int word(byte[] b, int off) {
        return ByteBuffer.wrap(b).getInt(off);
    }

    private static byte[] patch(byte[] b, int off, int value) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putInt(off, value);
        return c;
    }

    private static DeviceTreeException fails(byte[] blob) {
        return assertThrows(DeviceTreeException.class, () -> FdtReader.read("t.dtb", blob));
    }

    private static void assertError(byte[] blob, int offset, String message) {
        DeviceTreeException e = fails(blob);
        assertEquals(String.format("offset 0x%x", offset), e.where(), e.getMessage());
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
        assertEquals("t.dtb", e.source());
    }

    /** @return the offset of the {@code n}th (0-based) structure token of this kind, walking the tokens */
    private static int tokenOffset(byte[] b, int token, int n) {
        int p = word(b, FdtReader.OFF_DT_STRUCT);
        while (true) {
            int t = word(b, p);
            if (t == token && n-- == 0) {
                return p;
            }
            p += 4;
            if (t == FdtReader.FDT_BEGIN_NODE) {
                while (b[p] != 0) {
                    p++;
                }
                p = (p + 4) & ~3;
            } else if (t == FdtReader.FDT_PROP) {
                p = (p + 8 + word(b, p) + 3) & ~3;
            } else if (t == FdtReader.FDT_END) {
                throw new AssertionError("token " + token + " not found");
            }
        }
    }

    @Test
    void writerOutputReadsBackEqual() {
        DeviceTree back = DeviceTrees.parse("small.dtb", DTB);
        TreeAssert.assertSameTree(SMALL, back);
        assertEquals(List.of(new MemReserve(0x80000000L, 0x1000)), ((Tree) back).memReserve());
        assertEquals("small.dtb", back.source());
        assertEquals(back.byPhandle(1), back.node("/intc@1000"));
        assertTrue(back.byLabel("ic").isEmpty(), "a DTB without __symbols__ has no labels");
    }

    @Test
    void headerLayout() {
        assertEquals(0xd00dfeed, word(DTB, 0));
        assertEquals(DTB.length, word(DTB, FdtReader.OFF_TOTALSIZE));
        assertEquals(17, word(DTB, FdtReader.OFF_VERSION));
        assertEquals(16, word(DTB, FdtReader.OFF_LAST_COMP));
        assertEquals(40, word(DTB, FdtReader.OFF_MEM_RSVMAP));
        int structOff = word(DTB, FdtReader.OFF_DT_STRUCT);
        assertEquals(40 + 32, structOff, "one reservation plus the zero terminator");
        assertEquals(0, structOff % 4);
        assertEquals(structOff + word(DTB, FdtReader.OFF_SIZE_STRUCT), word(DTB, FdtReader.OFF_DT_STRINGS));
        String strings = new String(DTB, word(DTB, FdtReader.OFF_DT_STRINGS), word(DTB, FdtReader.OFF_SIZE_STRINGS),
                StandardCharsets.UTF_8);
        assertEquals(1, strings.split("\0reg\0", -1).length - 1 + (strings.startsWith("reg\0") ? 1 : 0),
                "each name is stored once");
    }

    @Test
    void everyDtsFixtureRoundTrips() {
        for (String f : new String[] {"small.dts", "constructs.dts"}) {
            DeviceTree t = Fixtures.load(f);
            byte[] dtb = FdtWriter.write(t);
            DeviceTree back = DeviceTrees.parse(f + ".dtb", dtb);
            TreeAssert.assertSameTree(t, back);
            assertArrayEquals(dtb, FdtWriter.write(back));
        }
    }

    @Test
    void symbolsNodeGivesLabels() {
        DeviceTree t = Fixtures.dts("""
                / {
                	a: node@1 { };
                	__symbols__ { a = "/node@1"; other = "/"; };
                };
                """);
        DeviceTree back = DeviceTrees.parse("s.dtb", FdtWriter.write(t));
        assertEquals(back.node("/node@1"), back.byLabel("a"));
        assertEquals(List.of("other"), back.root().labels());
        DeviceTree broken = Fixtures.dts("/ { __symbols__ { a = \"/missing\"; }; };");
        DeviceTreeException e = assertThrows(DeviceTreeException.class,
                () -> DeviceTrees.parse("s.dtb", FdtWriter.write(broken)));
        assertEquals("/__symbols__", e.where());
        assertTrue(e.getMessage().contains("label a: expected the path of an existing node, found \"/missing\""));
    }

    @Test
    void everyTruncatedPrefixIsADeviceTreeError() {
        for (int len = 0; len < DTB.length; len++) {
            byte[] prefix = Arrays.copyOf(DTB, len);
            int n = len;
            DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> DeviceTrees.parse("t.dtb", prefix),
                    () -> "prefix of " + n + " bytes");
            if (len > 0) {
                assertTrue(e.where() != null && e.where().startsWith("offset 0x"), e.getMessage());
            }
        }
    }

    @Test
    void everyTruncatedPrefixWithMatchingTotalsizeIsADeviceTreeError() {
        // the blob claims exactly what is there, so the block and token checks must catch the cut
        for (int len = FdtReader.HEADER_V17; len < DTB.length; len++) {
            byte[] prefix = patch(Arrays.copyOf(DTB, len), FdtReader.OFF_TOTALSIZE, len);
            int n = len;
            DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> FdtReader.read("t.dtb", prefix),
                    () -> "prefix of " + n + " bytes");
            assertTrue(e.where().startsWith("offset 0x"), e.getMessage());
        }
    }

    @Test
    void corruptedBytesNeverEscapeAsOtherExceptions() {
        int[] values = {0x00, 0xff, 0x80, 0x01, 0x7f};
        for (int i = 0; i < DTB.length; i++) {
            for (int v : values) {
                byte[] c = DTB.clone();
                c[i] = (byte) v;
                try {
                    DeviceTree t = DeviceTrees.parse("fuzz.dtb", c);
                    t.allNodes().forEach(node -> {
                        try {
                            node.reg();
                        } catch (DeviceTreeException expected) {
                            // a corrupted reg is reported as such
                        }
                    });
                } catch (DeviceTreeException expected) {
                    // the only acceptable failure
                }
            }
        }
    }

    @Test
    void badMagic() {
        assertError(patch(DTB, 0, 0xd00dfeee), 0x0, "expected magic 0xd00dfeed, found 0xd00dfeee");
        assertError(new byte[] {(byte) 0xd0, 0x0d}, 0x0, "expected the 4-byte magic 0xd00dfeed, found only 2 byte(s)");
    }

    @Test
    void badVersion() {
        assertError(patch(DTB, FdtReader.OFF_VERSION, 15), 0x14, "expected version >= 16, found 15");
        assertError(patch(DTB, FdtReader.OFF_LAST_COMP, 18), 0x18, "expected last_comp_version <= 17, found 18");
    }

    @Test
    void totalsize() {
        assertError(patch(DTB, FdtReader.OFF_TOTALSIZE, DTB.length + 1), 0x4,
                String.format("expected totalsize <= data length 0x%x, found 0x%x", DTB.length, DTB.length + 1));
        assertError(patch(DTB, FdtReader.OFF_TOTALSIZE, 8), 0x4, "expected totalsize >= header size 40, found 0x8");
        // trailing bytes after totalsize are allowed (padding by a bootloader)
        byte[] padded = Arrays.copyOf(DTB, DTB.length + 64);
        TreeAssert.assertSameTree(SMALL, DeviceTrees.parse("padded.dtb", padded));
    }

    @Test
    void blockOffsets() {
        assertError(patch(DTB, FdtReader.OFF_DT_STRUCT, DTB.length + 4), 0x8,
                String.format("expected off_dt_struct between the header end 0x28 and totalsize 0x%x, found 0x%x",
                        DTB.length, DTB.length + 4));
        assertError(patch(DTB, FdtReader.OFF_DT_STRUCT, word(DTB, FdtReader.OFF_DT_STRUCT) + 2), 0x8,
                "expected off_dt_struct aligned to 4 bytes");
        assertError(patch(DTB, FdtReader.OFF_SIZE_STRUCT, DTB.length), 0x24, "expected off_dt_struct 0x48 + size_dt_struct <= totalsize");
        assertError(patch(DTB, FdtReader.OFF_SIZE_STRINGS, DTB.length), 0x20, "+ size_dt_strings <= totalsize");
        assertError(patch(DTB, FdtReader.OFF_MEM_RSVMAP, 4), 0x10, "expected off_mem_rsvmap between the header end");
        assertError(patch(DTB, FdtReader.OFF_MEM_RSVMAP, 44), 0x10, "expected off_mem_rsvmap aligned to 8 bytes, found 0x2c");
    }

    @Test
    void reservationBlockWithoutTerminator() {
        // point the reservation map at the strings block end: no room for a 16-byte entry
        int off = (DTB.length - 8) & ~7;
        assertError(patch(DTB, FdtReader.OFF_MEM_RSVMAP, off), off,
                "expected a 16-byte memory reservation entry (or the zero terminator) before totalsize");
    }

    @Test
    void stringOffsetOutOfRange() {
        int prop = tokenOffset(DTB, FdtReader.FDT_PROP, 0);
        assertError(patch(DTB, prop + 8, 0xfff), prop + 8,
                String.format("expected a string offset < size_dt_strings 0x%x, found 0xfff", word(DTB, FdtReader.OFF_SIZE_STRINGS)));
    }

    @Test
    void propertyNameNotTerminatedInsideStringsBlock() {
        int size = word(DTB, FdtReader.OFF_SIZE_STRINGS);
        byte[] cut = patch(DTB, FdtReader.OFF_SIZE_STRINGS, size - 1);
        DeviceTreeException e = fails(cut);
        assertTrue(e.getMessage().contains("expected a NUL-terminated property name of at most 255 bytes at string offset"), e.getMessage());
    }

    @Test
    void propertyLengthBeyondBlock() {
        int prop = tokenOffset(DTB, FdtReader.FDT_PROP, 0);
        assertError(patch(DTB, prop + 4, 0x10000), prop + 4, "expected a property length <= ");
    }

    @Test
    void unknownToken() {
        int end = tokenOffset(DTB, FdtReader.FDT_END_NODE, 0);
        assertError(patch(DTB, end, 7), end,
                "expected a structure token (FDT_BEGIN_NODE 0x1, FDT_END_NODE 0x2, FDT_PROP 0x3, FDT_NOP 0x4, FDT_END 0x9), found 0x00000007");
    }

    @Test
    void unbalancedNodes() {
        int fdtEnd = tokenOffset(DTB, FdtReader.FDT_END, 0);
        int lastEndNode = fdtEnd - 4;
        assertEquals(FdtReader.FDT_END_NODE, word(DTB, lastEndNode));
        // root never closed
        assertError(patch(DTB, lastEndNode, FdtReader.FDT_NOP), fdtEnd, "expected FDT_END_NODE for /, found FDT_END");
        // one END_NODE too many
        assertError(patch(DTB, fdtEnd, FdtReader.FDT_END_NODE), fdtEnd,
                "expected FDT_BEGIN_NODE or FDT_END (no node is open), found FDT_END_NODE");
        // a second root after the first
        assertError(patch(DTB, fdtEnd, FdtReader.FDT_BEGIN_NODE), fdtEnd,
                "expected FDT_END after the root node, found FDT_BEGIN_NODE (a second root)");
    }

    @Test
    void missingFdtEnd() {
        int fdtEnd = tokenOffset(DTB, FdtReader.FDT_END, 0);
        assertError(patch(DTB, fdtEnd, FdtReader.FDT_NOP), fdtEnd + 4,
                "expected FDT_END before the end of the structure block at 0x" + Integer.toHexString(fdtEnd + 4));
    }

    /** Hand-built blobs for cases a valid writer cannot produce. */
    private static byte[] blob(int[] struct, String strings) {
        byte[] s = strings.getBytes(StandardCharsets.UTF_8);
        int structOff = 40 + 16;
        int stringsOff = structOff + struct.length * 4;
        int total = stringsOff + s.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(0xd00dfeed).putInt(total).putInt(structOff).putInt(stringsOff).putInt(40).putInt(17).putInt(16)
                .putInt(0).putInt(s.length).putInt(struct.length * 4).putLong(0).putLong(0);
        for (int w : struct) {
            b.putInt(w);
        }
        b.put(s);
        return b.array();
    }

    private static int chars(String four) {
        byte[] b = four.getBytes(StandardCharsets.ISO_8859_1);
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    @Test
    void nodeNameWithoutNul() {
        byte[] b = blob(new int[] {1, 0, 1, chars("abcd")}, "");
        assertError(b, 56 + 12, "expected a NUL-terminated node name before the end of the structure block at 0x48, found none");
    }

    @Test
    void propertyHeaderCutByBlockEnd() {
        byte[] b = blob(new int[] {1, 0, 3, 4}, "x\0");
        assertError(b, 56 + 12, "expected the property length and name offset (8 bytes) before the end of the structure block");
    }

    @Test
    void propertyOutsideAnyNode() {
        assertError(blob(new int[] {3, 0, 0, 9}, "x\0"), 56, "expected FDT_BEGIN_NODE before a property (no node is open), found FDT_PROP");
    }

    @Test
    void duplicateNamesAndBadNames() {
        int a = chars("a\0\0\0");
        assertError(blob(new int[] {1, 0, 1, a, 2, 1, a, 2, 2, 9}, ""), 56 + 20,
                "expected a unique node name under /, found a second \"a\"");
        assertError(blob(new int[] {1, 0, 3, 0, 0, 3, 0, 0, 2, 9}, "x\0"), 56 + 20,
                "expected a unique property name in /, found a second \"x\"");
        assertError(blob(new int[] {1, 0, 3, 0, 0, 2, 9}, "\0"), 56 + 16,
                "expected a property name at string offset 0x0, found an empty string");
        assertError(blob(new int[] {1, chars("r\0\0\0"), 2, 9}, ""), 56 + 4, "expected an empty root node name, found \"r\"");
        assertError(blob(new int[] {9}, ""), 56, "expected the root FDT_BEGIN_NODE, found FDT_END");
    }

    @Test
    void nopTokensAndPropertyPaddingAreAccepted() {
        // NOPs anywhere, a 1-byte property padded to 4
        byte[] b = blob(new int[] {4, 1, 0, 4, 3, 1, 0, 0x61000000, 4, 2, 4, 9}, "p\0");
        DeviceTree t = FdtReader.read("nop.dtb", b);
        assertArrayEquals(new byte[] {'a'}, t.root().property("p").orElseThrow().value());
    }

    @Test
    void version16HeaderWithoutStructSize() {
        byte[] v16 = patch(patch(DTB, FdtReader.OFF_VERSION, 16), FdtReader.OFF_SIZE_STRUCT, 0);
        // v16 has no size_dt_struct: the reader bounds the structure block by totalsize instead
        TreeAssert.assertSameTree(SMALL, FdtReader.read("v16.dtb", v16));
    }
}
