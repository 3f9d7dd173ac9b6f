package io.iommulab.machine.dt;

import static io.iommulab.machine.dt.Fixtures.dts;
import static io.iommulab.machine.dt.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DtsReaderTest {
    private static DeviceTree t;

    @BeforeAll
    static void load() {
        t = Fixtures.load("constructs.dts");
    }

    private static byte[] value(String path, String prop) {
        return node(t, path).property(prop).orElseThrow(() -> new AssertionError(path + " has no " + prop)).value();
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void stringsAndEscapes() {
        assertEquals("constructs", t.model());
        assertEquals(List.of("a", "b\tc", "AA"), t.root().property("strs").orElseThrow().strings());
    }

    @Test
    void cellsWithLiteralsCharsAndExpressions() {
        assertArrayEquals(new int[] {1, 0x10, 8, 'a', '\n', 7, 0x10, -1, 7, 10},
                t.root().property("cells").orElseThrow().cells());
    }

    @Test
    void byteStringsBitsAndMixedValues() {
        assertArrayEquals(bytes(0x00, 0x01, 0xab, 0xcd, 0xef), value("/", "bytes"));
        assertArrayEquals(bytes(1, 2, 0xff), value("/", "bits8"));
        assertArrayEquals(bytes(0x12, 0x34, 0, 7), value("/", "bits16"));
        assertArrayEquals(bytes(0, 0, 0, 1, 0x23, 0x45, 0x67, 0x89, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe),
                value("/", "bits64"));
        assertArrayEquals(bytes('s', 0, 0, 0, 0, 1, 2), value("/", "mixed"));
        assertArrayEquals(new byte[0], value("/", "empty"));
    }

    @Test
    void pathAndPhandleReferences() {
        DtNode dev = node(t, "/bus/device@10");
        assertEquals("/bus/device@10", t.root().property("path").orElseThrow().string());
        // explicit phandle 1 is taken, so dtc-style numbering gives dev 2 and other@20 3
        assertEquals(1, node(t, "/bus/explicit@40").phandle());
        assertEquals(2, dev.phandle());
        assertEquals(3, node(t, "/bus/other@20").phandle());
        assertArrayEquals(new int[] {2, 5, 3}, t.root().property("ref").orElseThrow().cells());
        assertArrayEquals(new int[] {2}, dev.property("phandle").orElseThrow().cells());
        assertEquals(Optional.of(dev), t.byPhandle(2));
        assertEquals(Optional.of(dev), t.byLabel("dev"));
        assertEquals(Optional.of(dev), t.byLabel("alias_dev"));
        assertEquals(List.of("dev", "alias_dev"), dev.labels());
    }

    @Test
    void overlaysMergeIntoLabelledAndPathNodes() {
        DtNode dev = node(t, "/bus/device@10");
        assertEquals("overlay", dev.property("extra").orElseThrow().string());
        assertFalse(dev.isAvailable());
        assertTrue(t.node("/bus/device@10/sub").isPresent());
        assertTrue(node(t, "/bus/other@20").hasProperty("added"));
        assertEquals("second definition of /bus merges", node(t, "/bus").property("merged").orElseThrow().string());
        // a merged property keeps its first position; new ones append; phandle is added last, as dtc does
        assertEquals(List.of("reg", "status", "extra", "phandle"), List.copyOf(dev.properties().keySet()));
    }

    @Test
    void deletionsAndOmitIfNoRef() {
        assertFalse(t.root().hasProperty("to-delete"));
        assertTrue(t.node("/bus/gone@30").isEmpty());
        assertTrue(t.node("/bus/helper@50").isEmpty());
        assertTrue(t.byLabel("unused").isEmpty());
        assertTrue(t.node("/bus/spare@60").isEmpty());
        assertEquals(List.of("/", "/bus", "/bus/device@10", "/bus/device@10/sub", "/bus/other@20", "/bus/explicit@40"),
                t.allNodes().stream().map(DtNode::path).toList());
    }

    @Test
    void memReserveIsKept() {
        assertEquals(List.of(new MemReserve(0x10000000L, 0x4000)), ((Tree) t).memReserve());
    }

    @Test
    void cppLineMarkersRenumberErrors() {
        String src = "# 1 \"top.dts\"\n/dts-v1/;\n# 40 \"soc.dtsi\" 1\n/ {\n\tx = <&dart9>;\n};\n";
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> dts(src));
        assertEquals("line 41 of soc.dtsi", e.where());
        assertTrue(e.getMessage().endsWith("reference to undefined label &dart9"), e.getMessage());
    }

    @Test
    void preprocessedSourceWithLineMarkersParses() {
        DeviceTree p = dts("# 1 \"x.dts\"\n# 1 \"<built-in>\"\n/dts-v1/;\n# 5 \"x.dts\"\n/ {\n#address-cells = <1>;\n a = <(1 << 4)>;\n};\n");
        assertArrayEquals(new int[] {16}, p.root().property("a").orElseThrow().cells());
        assertEquals(1, p.root().u32("#address-cells", 0));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "include           | #include <dt-bindings/irq.h>\\n/ { };                   | line 1 | #include needs the C preprocessor; preprocess with cpp first",
        "define            | /dts-v1/;\\n\\n\\n#define X 1\\n/ { };                       | line 4 | #define needs the C preprocessor; preprocess with cpp first",
        "undefined label   | /dts-v1/;\\n/ {\\n\\tx = <&dart9 1>;\\n};                 | line 3 | reference to undefined label &dart9",
        "undefined path    | / {\\n\\tx = <&{/soc/none}>;\\n};                        | line 2 | reference to undefined path &{/soc/none}",
        "undefined overlay | / { };\\n&nope { };                                      | line 2 | reference to undefined label &nope",
        "missing ;         | / {\\n\\ta = <1>\\n};                                     | line 3 | expected ';' after the value of property a, found '}'",
        "string            | / {\\n\\ta = \"abc\\n};                                   | line 2 | expected '\"' closing the string, found end of line",
        "macro in cells    | / {\\n\\ta = <1 AIC_IRQ>;\\n};                            | line 2 | expected a number, found 'AIC_IRQ'",
        "cell range        | / { a = <0x100000000>; };                                 | line 1 | expected a value that fits in 32 bits, found 0x100000000",
        "bits size         | / { a = /bits/ 7 <1>; };                                  | line 1 | expected /bits/ 8, 16, 32 or 64, found /bits/ 7",
        "bits phandle      | / { n: n { }; a = /bits/ 64 <&n>; };                      | line 1 | only 32-bit cells hold phandles",
        "unclosed node     | / {\\n\\ta;\\n                                            | line 3 | expected '}' closing node /, found end of input",
        "unclosed child    | / {\\n\\tsoc {\\n\\t\\tx;\\n\\n                           | line 5 | expected '}' closing node /soc, found end of input",
        "empty             | `  `                                                      | line 1 | expected a root node '/ { ... };', found end of input",
        "top garbage       | / { };\\nfoo;                                             | line 2 | expected '/ {', '&label {', /memreserve/ or /delete-node/, found 'foo'",
        "bad item          | / {\\n\\ta ! b;\\n};                                      | line 2 | expected '{', '=' or ';' after \"a\", found '!'",
        "bad bytes         | / { a = [0g]; };                                          | line 1 | expected two hex digits or ']' in a byte string, found '0g'",
        "div by zero       | / { a = <(1 / 0)>; };                                     | line 1 | expected a non-zero divisor, found 0",
        "comment           | / { };\\n/* never closed                                  | line 2 | expected '*/' closing the comment, found end of input",
        "overlay first     | &x { };                                                   | line 1 | expected the root node '/ { ... };' before overlays, found '&'",
        "delete root       | / { };\\n/delete-node/ &{/};                              | line 2 | expected a node other than the root for /delete-node/, found the root",
        "bad value         | / { a = b; };                                             | line 1 | expected a property value (\"string\", <cells>, [bytes] or &label), found 'b'",
        "huge literal      | / { a = <99999999999999999999>; };                        | line 1 | expected an integer literal that fits in 64 bits, found '99999999999999999999'",
        "incbin            | / { a = /incbin/(\"x\"); };                              | line 1 | expected an inline property value, found /incbin/ (not supported)",
        "no ref name       | / { a = <&>; };                                           | line 1 | expected a label or {/path} after '&', found '>'",
    })
    void errorsNameTheLineAndWhatWasExpected(String name, String src, String where, String message) {
        String text = src.strip().replace("\\n", "\n").replace("\\t", "\t");
        DeviceTreeException e = assertThrows(DeviceTreeException.class, () -> dts(text));
        assertEquals("test.dts", e.source());
        assertEquals(where, e.where(), e.getMessage());
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
        assertTrue(e.getMessage().contains("test.dts (" + where + "): "), e.getMessage());
    }

    @Test
    void duplicateLabelIsRejected() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class,
                () -> dts("/ { a: n1 { }; a: n2 { }; };"));
        assertEquals("/n2", e.where());
        assertTrue(e.getMessage().contains("expected a unique label, found 'a' which /n1 has too"), e.getMessage());
    }

    @Test
    void duplicateExplicitPhandleIsRejected() {
        DeviceTreeException e = assertThrows(DeviceTreeException.class,
                () -> dts("/ { n1 { phandle = <5>; }; n2 { phandle = <5>; }; };"));
        assertTrue(e.getMessage().contains("expected a unique phandle, found 0x5 which /n1 has too"), e.getMessage());
    }

    @Test
    void binaryGarbageIsADeviceTreeError() {
        byte[] junk = {(byte) 0xd0, 0x0d};
        assertThrows(DeviceTreeException.class, () -> DeviceTrees.parse("junk", junk));
        assertThrows(DeviceTreeException.class,
                () -> DeviceTrees.parse("junk", new byte[] {0, 1, 2, 3, 4, (byte) 0xff}));
        assertThrows(DeviceTreeException.class, () -> DeviceTrees.parse("junk", "\u00e9".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void labelsPropertiesAndSiblingsWithSameBaseName() {
        DeviceTree d = dts("""
                /dts-v1/;
                / {
                	cpus {
                		#address-cells = <2>;
                		#size-cells = <0>;
                		cpu_e0: cpu@0 { reg = <0x0 0x0>; };
                		cpu_p0: cpu@10100 { reg = <0x0 0x10100>; };
                	};
                	lbl: prop-with-label = <1>;
                	affinity = <&cpu_e0 &cpu_p0>;
                };
                """);
        assertArrayEquals(new int[] {1, 2}, d.root().property("affinity").orElseThrow().cells());
        assertEquals(2, d.byLabel("cpu_p0").orElseThrow().phandle());
        assertTrue(d.root().hasProperty("prop-with-label"));
    }
}
