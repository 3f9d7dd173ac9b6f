package io.iommulab.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shaded {@code iommulab.jar} run as users run it: its own JVM (it relaunches itself, as without
 * tests), no terminal, its deploy folder in the test's folder. Its class-data-sharing archive is
 * kept beside the jar, not in the user's cache folder.
 */
final class Launch {

    static final long TIMEOUT_S = 120;

    record Run(int exit, List<String> out, List<String> err) {
        String errText() {
            return String.join("\n", err);
        }

        String outText() {
            return String.join("\n", out);
        }
    }

    private Launch() {
    }

    /** @return the launcher jar under test */
    static Path jar() {
        return Path.of(System.getProperty("iommulab.jar", "target/iommulab.jar")).toAbsolutePath();
    }

    /** @return {@code java -jar iommulab.jar --deploy DIR/deploy ARGS} */
    static List<String> command(Path dir, String... args) {
        return command(dir, List.of(), args);
    }

    /** @return {@code java JVM_OPTIONS -jar iommulab.jar --deploy DIR/deploy ARGS} */
    static List<String> command(Path dir, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of("--deploy", dir.resolve("deploy").toString()));
        cmd.addAll(List.of(args));
        return bareCommand(jvmOptions, cmd);
    }

    /** @return {@code java JVM_OPTIONS -jar iommulab.jar ARGS}, without a deploy folder of its own */
    static List<String> bareCommand(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-D" + Relaunch.CACHE + "=" + jar().resolveSibling("cds-cache"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString()));
        cmd.addAll(args);
        return cmd;
    }

    /** Runs the launcher in {@code dir} to its end. */
    static Run run(Path dir, String... args) throws IOException, InterruptedException {
        return run(dir, List.of(), args);
    }

    /** Runs the launcher in {@code dir} to its end, its JVM started with {@code jvmOptions} (e.g. {@code -Dname=value}). */
    static Run run(Path dir, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return run(dir, TIMEOUT_S, jvmOptions, args);
    }

    /** As {@link #run(Path, List, String...)}, for a run that may take up to {@code timeoutS} (a campaign). */
    static Run run(Path dir, long timeoutS, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return run(dir, timeoutS, command(dir, jvmOptions, args));
    }

    /** Runs the launcher as {@code java -jar iommulab.jar ARGS} in {@code dir}, as a user does: no {@code --deploy} of the test's. */
    static Run bare(Path dir, String... args) throws IOException, InterruptedException {
        return bare(dir, List.of(), args);
    }

    /** As {@link #bare(Path, String...)}, its JVM started with {@code jvmOptions}. */
    static Run bare(Path dir, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return run(dir, TIMEOUT_S, bareCommand(jvmOptions, List.of(args)));
    }

    private static Run run(Path dir, long timeoutS, List<String> cmd) throws IOException, InterruptedException {
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            kill(p);
            throw new AssertionError("launcher did not exit within " + timeoutS + " s: " + cmd);
        }
        return new Run(p.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8),
                Files.readAllLines(err, StandardCharsets.UTF_8));
    }

    /** Kills the launcher and the JVM it relaunched itself in (killed, the first JVM cannot stop the second). */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    static File nullFile() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
