package io.iommulab.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded sample of what {@code fuzz/mutate-boards.sh} runs: mutants of every fixture board and
 * of the real trees in {@code ../shared/boards} (read there, never copied), and the mutants behind
 * the faults fixed here, each booted by the launcher jar with {@code --quiet} and commands that
 * read the result. Whatever the mutant, the launcher ends with 0 (booted), 1 (a command refused) or
 * 2 (board refused), neither stdout nor stderr shows a Java stack trace, and no u32 shows negative.
 */
class MutatedBoardsIT {

    /** Mutants per board: 12 boards and 3 named regressions, about 30 s on 2 cores. */
    static final int PER_BOARD = 1;
    /** The seed with which the script found the stack traces fixed here (fuzz/README.md). */
    static final long SEED = 14;
    static final Pattern STACK_TRACE = Pattern.compile("^\tat |Exception in thread|Caused by", Pattern.MULTILINE);
    /** a u32 cell shown as a signed int (4000000000 as -294967296) */
    static final Pattern NEGATIVE_U32 = Pattern.compile("(?<![\\w.:-])-[0-9]{7,}");

    @TempDir
    Path dir;

    @Test
    void noStackTraceWhateverTheBoard() throws Exception {
        assumeTrue(Files.isRegularFile(jar()), "no launcher jar at " + jar() + ": build the launcher first (mvn -B -o verify builds it)");
        List<String> boards = new ArrayList<>();
        Path shared = Path.of("..", "..", "shared", "boards");
        if (Files.isDirectory(shared)) {
            try (Stream<Path> s = Files.list(shared)) {
                s.filter(p -> p.toString().endsWith(".dtb")).sorted().forEach(p -> boards.add(p.toString()));
            }
        }
        boards.addAll(Seeds.BOARDS);
        List<Path> mutants = new ArrayList<>(BoardMutator.writeMutants(dir.resolve("boards"), PER_BOARD, SEED, boards));
        mutants.addAll(regressions());
        List<String> failures = new ArrayList<>();
        for (Path b : mutants) {
            Run r = launch(b);
            if (r.exit < 0 || r.exit > 2) {
                failures.add(b.getFileName() + ": exit " + r.exit + "\n" + r.output);
            } else if (STACK_TRACE.matcher(r.output).find()) {
                failures.add(b.getFileName() + ": a stack trace\n" + r.output);
            } else if (NEGATIVE_U32.matcher(r.output).find()) {
                failures.add(b.getFileName() + ": a u32 shown negative\n" + r.output);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + mutants.size() + " mutated boards (" + Files.readString(dir.resolve("boards/mutations.txt"))
                    + "):\n" + String.join("\n\n", failures));
        }
        assertTrue(mutants.size() >= Seeds.BOARDS.size() * PER_BOARD + 3);
    }

    /**
     * The mutants behind the stack traces and signed values this work fixed (fuzz/README.md), made
     * by name so that the sample always has them.
     */
    private List<Path> regressions() throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(edit("boards/default.dts", "/soc/iommu@382f00000", "iommulab,model-options", "smrs=0\0".getBytes(StandardCharsets.UTF_8),
                "model-options"));
        out.add(edit(TestBoards.T6022_DTS, "/soc@200000000/iommu@596000000", "reg", cells(0x3ff, 0x96000000, 0, 0x4000),
                "disabled-reg-outside-ranges"));
        out.add(edit(FuzzBoard.RESOURCE, "/soc/interrupt-controller@2d000000", "#interrupt-cells", cells((int) 4_000_000_000L),
                "interrupt-cells-4000000000"));
        return out;
    }

    private Path edit(String board, String node, String prop, byte[] value, String name) throws IOException {
        Path f = dir.resolve("boards").resolve("regression-" + name + ".dts");
        Files.writeString(f, BoardMutator.edit(DeviceTrees.parse(board, Seeds.resource(board)), node, prop, value));
        return f;
    }

    private static byte[] cells(int... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length);
        for (int c : v) {
            b.putInt(c);
        }
        return b.array();
    }

    private record Run(int exit, String output) {
    }

    private static Path jar() {
        return Path.of(System.getProperty("iommulab.jar", "../launcher/target/iommulab.jar")).toAbsolutePath();
    }

    private Run launch(Path board) throws IOException, InterruptedException {
        Path jar = jar();
        Path out = dir.resolve("out.txt");
        // the launcher's class-data-sharing archive beside the jar, not in the user's cache folder
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Diommulab.cache=" + jar.resolveSibling("cds-cache"), "-jar", jar.toString(), "--deploy",
                dir.resolve("deploy").toString(), "--board", board.toString(), "--quiet",
                "-c", "iommu:devices; machine:irqs; machine:power; dart:darts; smmu:smmus");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // the JVM the launcher relaunched itself in
            p.destroyForcibly();
            return new Run(-1, "no exit within 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }
}
