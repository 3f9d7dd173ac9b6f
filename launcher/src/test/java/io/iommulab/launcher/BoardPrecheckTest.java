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
        String dts = new String(DeviceTrees.class.getResourceAsStream("/boards/default.dts").readAllBytes(), StandardCharsets.UTF_8);
        String moved = dts.replace("reg = <0x3 0x82f00000 0x0 0x4000>;", "reg = <0x8 0x00001000 0x0 0x4000>;");
        assertTrue(!moved.equals(dts), "the fixture still has the first USB DART at 0x382f00000");
        Path board = Files.writeString(dir.resolve("in-ram.dts"), moved);
        refused(board, "(/soc/iommu@382f00000): reg entry 0: expected an MMIO window outside RAM, found 0x800001000 + 0x4000");
    }

    @Test
    void aGoodBoardIsNotRefused() throws Exception {
        assertNull(Main.refused(Files.write(dir.resolve("good.dtb"), defaultDtb())));
    }
}
