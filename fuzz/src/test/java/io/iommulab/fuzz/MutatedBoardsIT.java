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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded sample of what {@code fuzz/mutate-boards.sh} runs: mutants of every fixture board and
 * of the real trees in {@code ../shared/boards} (read there, never copied), each booted by the
 * launcher jar with {@code --quiet} and commands that read the result. Whatever the mutant, the
 * launcher ends with 0 (booted), 1 (a command refused) or 2 (board refused), and neither stdout nor
 * stderr shows a Java stack trace.
 */
class MutatedBoardsIT {

    /** Mutants per board: 12 boards, about 25 s on 2 cores. */
    static final int PER_BOARD = 1;
    /** The seed with which the script found the stack traces fixed here (fuzz/README.md). */
    static final long SEED = 14;
    static final Pattern STACK_TRACE = Pattern.compile("^\tat |Exception in thread|Caused by", Pattern.MULTILINE);

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
        List<Path> mutants = BoardMutator.writeMutants(dir.resolve("boards"), PER_BOARD, SEED, boards);
        List<String> failures = new ArrayList<>();
        for (Path b : mutants) {
            Run r = launch(b);
            if (r.exit < 0 || r.exit > 2) {
                failures.add(b.getFileName() + ": exit " + r.exit + "\n" + r.output);
            } else if (STACK_TRACE.matcher(r.output).find()) {
                failures.add(b.getFileName() + ": a stack trace\n" + r.output);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + mutants.size() + " mutated boards (" + Files.readString(dir.resolve("boards/mutations.txt"))
                    + "):\n" + String.join("\n\n", failures));
        }
        assertTrue(mutants.size() >= Seeds.BOARDS.size() * PER_BOARD);
    }

    private record Run(int exit, String output) {
    }

    private static Path jar() {
        return Path.of(System.getProperty("iommulab.jar", "../launcher/target/iommulab.jar")).toAbsolutePath();
    }

    private Run launch(Path board) throws IOException, InterruptedException {
        Path jar = jar();
        Path out = dir.resolve("out.txt");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
                "--deploy", dir.resolve("deploy").toString(), "--board", board.toString(), "--quiet",
                "-c", "iommu:devices; machine:irqs; machine:power; dart:darts; smmu:smmus");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "no exit within 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }
}
