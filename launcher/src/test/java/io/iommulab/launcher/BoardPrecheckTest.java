package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.dt.FdtWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --board} is read and checked before the container starts: a bad board ends the run with
 * exit status 2 and one line on stderr, in-process, without a framework ever being created.
 */
class BoardPrecheckTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, List<String> err) {
    }

    private Run run(Path board) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new Main(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(new String[] {"--board", board.toString(),
                        "--deploy", dir.resolve("deploy").toString()});
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private void refused(Path board, String message) {
        Run r = run(board);
        assertEquals(Main.EXIT_USAGE, r.exit(), String.join("\n", r.err()));
        assertEquals("", r.out());
        assertEquals(1, r.err().size(), String.join("\n", r.err()));
        assertTrue(r.err().get(0).startsWith("iommulab: board " + board + ": "), r.err().get(0));
        assertTrue(r.err().get(0).contains(message), r.err().get(0));
        assertTrue(Files.notExists(dir.resolve("deploy")), "nothing of the container was set up");
    }

    private static byte[] defaultDtb() {
        return FdtWriter.write(DeviceTrees.board("default"));
    }

    @Test
    void missingFile() {
        refused(dir.resolve("none.dtb"), "no such file");
    }

    @Test
    void truncatedDtb() throws Exception {
        byte[] dtb = defaultDtb();
        Path cut = Files.write(dir.resolve("cut.dtb"), Arrays.copyOf(dtb, dtb.length - 100));
        refused(cut, "EINVAL: " + cut + " (offset 0x4): expected totalsize <= data length");
    }

    @Test
    void malformedDts() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.dts"), "/dts-v1/;\n/ {\n\tmodel = \"x\"\n\tfoo;\n};\n");
        refused(bad, bad + " (line 4): expected ';' after the value of property model, found 'foo'");
    }

    @Test
    void deeplyNestedDts() throws Exception {
        Path deep = Files.writeString(dir.resolve("deep.dts"), "/ {\n" + "a {\n".repeat(30_000) + "};\n".repeat(30_001));
        refused(deep, "(line 64): expected nodes at most 62 deep (Linux FDT_MAX_DEPTH 64)");
    }

    @Test
    void boardTheCheckRefuses() throws Exception {
        String dts = defaultDts();
        String moved = dts.replace("reg = <0x3 0x82f00000 0x0 0x4000>;", "reg = <0x8 0x00001000 0x0 0x4000>;");
        assertTrue(!moved.equals(dts), "the fixture still has the first USB DART at 0x382f00000");
        Path board = Files.writeString(dir.resolve("in-ram.dts"), moved);
        refused(board, "(/soc/iommu@382f00000): reg entry 0: expected an MMIO window outside RAM, found 0x800001000 + 0x4000");
    }

    private static String defaultDts() throws Exception {
        return new String(DeviceTrees.class.getResourceAsStream("/boards/default.dts").readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The default board with one text replaced, which must be there. */
    private Path defaultWith(String name, String from, String to) throws Exception {
        String dts = defaultDts();
        String changed = dts.replace(from, to);
        assertTrue(!changed.equals(dts), "the default board no longer has: " + from);
        return Files.writeString(dir.resolve(name), changed);
    }

    /** The power domains are read before the container too: a cycle once started Felix and ended in its log. */
    @Test
    void cyclicPowerDomains() throws Exception {
        Path board = defaultWith("cycle.dts", "label = \"atc0_usb_aon\";", "label = \"atc0_usb_aon\"; power-domains = <&ps_atc0_usb>;");
        refused(board, "(/soc/power-management@23d280000/power-controller@88): power-domains: expected a hierarchy of domains, found a cycle");
    }

    /** genpd fails a device whose power-domains entry is empty (ENOENT); the machine ran it unpowered. */
    @Test
    void emptyPowerDomainsEntry() throws Exception {
        Path board = defaultWith("pd0.dts", "iommus = <&dwc3_0_dart_0 0>, <&dwc3_0_dart_1 1>;\n\t\t\tpower-domains = <&ps_atc0_usb>;",
                "iommus = <&dwc3_0_dart_0 0>, <&dwc3_0_dart_1 1>;\n\t\t\tpower-domains = <0>;");
        refused(board, "(/soc/usb@382280000): power-domains entry 0: expected a phandle, found 0 (an empty entry)");
    }

    /** Two DART models cannot share registers: the second failed to start, logged, and its master waited for ever. */
    @Test
    void anIommuInsideAnotherIommusWindow() throws Exception {
        Path board = defaultWith("nested.dts", "reg = <0x3 0x82f00000 0x0 0x4000>;", "reg = <0x3 0x82f00000 0x0 0x84000>;");
        refused(board, "(/soc/iommu@382f80000): reg entry 0: expected IOMMU registers that overlap no other IOMMU's,"
                + " found 0x382f80000 + 0x4000, which overlaps reg entry 0 of /soc/iommu@382f00000 (0x382f00000 + 0x84000)");
    }

    /** A DTB whose magic is wrong was read as DTS text, and the message named a character of its header. */
    @Test
    void dtbWithABadMagic() throws Exception {
        byte[] dtb = defaultDtb();
        dtb[0] = (byte) 0xde;
        dtb[1] = (byte) 0xad;
        Path bad = Files.write(dir.resolve("magic.dtb"), dtb);
        refused(bad, bad + " (offset 0x0): expected a DTB starting with the FDT magic 0xd00dfeed or DTS text, found binary data starting 0xdeadfeed");
    }

    @Test
    void aGoodBoardIsNotRefused() throws Exception {
        assertNull(Main.refused(Files.write(dir.resolve("good.dtb"), defaultDtb())));
    }
}
