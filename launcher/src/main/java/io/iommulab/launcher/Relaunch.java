package io.iommulab.launcher;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * {@code java -jar iommulab.jar} runs the launcher once more, in a JVM started with options that a
 * jar's manifest cannot give (and no script or environment variable may be assumed), for a shorter
 * time to "board probed" on 2 cores (bench/README.md, "Start-up", has the figures):
 * <ul>
 * <li>an application class-data-sharing archive: the classes a run loads (the JDK's beyond its own
 * archive, the framework's, and the bundles' as their class loaders define them), parsed and
 * verified once. The first run of a jar writes it at its exit ({@code -XX:ArchiveClassesAtExit},
 * JDK 13 and later), the next ones map it ({@code -XX:SharedArchiveFile}). It is kept in the user's
 * cache folder ({@code $XDG_CACHE_HOME/iommulab} or {@code ~/.cache/iommulab}, or
 * {@code -Diommulab.cache=DIR}), one file of about 11 MB per launcher jar, named after the jar, its
 * size and time, the JVM and the JDK's own archive; a new build of the jar replaces it. Only a run
 * that booted a board keeps its archive (a {@code --help} run loads too few classes);</li>
 * <li>C2 compiles later (ten times its invocation and loop thresholds): while the launcher starts,
 * C2 compiles code that runs only then, on one of the two cores the start-up needs. Long work
 * (a campaign, a comparison) gets its C2 code a little later, at no cost measured.</li>
 * </ul>
 * The first JVM (about 0.1 s of CPU) only waits: the second inherits stdin, stdout and stderr, so a
 * terminal stays a terminal, its exit status is the launcher's, and stopping the first stops it.
 * Not done with {@code -Diommulab.relaunch=false}, when the JVM options choose their own CDS archive
 * ({@code -Xshare}, {@code -XX:SharedArchiveFile}, {@code -XX:ArchiveClassesAtExit}), when the
 * launcher does not run as {@code java -jar} (tests, an IDE) or the JVM's command line cannot be
 * read, and when there is no cache folder to write.
 */
final class Relaunch {

    /** Set in the second JVM: the first one's process id. */
    static final String RELAUNCHED = "iommulab.relaunched";
    /** {@code -Diommulab.relaunch=false} keeps the launcher in its first JVM. */
    static final String ENABLED = "iommulab.relaunch";
    /** The folder of the class-data-sharing archives. */
    static final String CACHE = "iommulab.cache";
    /** Set in the second JVM while it writes the archive: where (see {@link #booted()}). */
    static final String DUMP = "iommulab.cds.dump";
    /** What a run that writes an archive leaves beside it once the board probed: the archive is worth keeping. */
    private static final String BOOTED = ".booted";
    /** C2 thresholds, ten times the JDK's (Tier4InvocationThreshold 5000 ...); the JVM ignores them if it has none. */
    private static final List<String> LATER_C2 = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=6000",
            "-XX:Tier4CompileThreshold=150000", "-XX:Tier4BackEdgeThreshold=400000");

    private Relaunch() {
    }

    /**
     * Runs the launcher in a second JVM and waits for it, unless it is not to be (see the class).
     *
     * @return the second JVM's exit status, or empty: run the launcher in this JVM
     */
    static OptionalInt run(String[] args) {
        if (System.getProperty(RELAUNCHED) != null || "false".equals(System.getProperty(ENABLED))) {
            return OptionalInt.empty();
        }
        List<String> jvmOptions = jvmOptions();
        Path jar = jar();
        Path cache = cache();
        if (jvmOptions == null || jar == null || cache == null) {
            return OptionalInt.empty();
        }
        Path archive;
        try {
            archive = cache.resolve(archiveName(jar));
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        Path dump = Files.isRegularFile(archive) ? null
                : archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(LATER_C2);
        cmd.add("-Xlog:cds*=off"); // an archive that does not fit is not used, silently (-Xshare:auto)
        if (dump == null) {
            cmd.add("-XX:SharedArchiveFile=" + archive);
        } else {
            cmd.add("-XX:ArchiveClassesAtExit=" + dump);
            cmd.add("-D" + DUMP + "=" + dump);
        }
        cmd.addAll(jvmOptions); // after ours: the user's options win
        cmd.add("-D" + RELAUNCHED + "=" + ProcessHandle.current().pid());
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(List.of(args));
        Process child;
        try {
            child = new ProcessBuilder(cmd).inheritIO().start();
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        // SIGTERM to this JVM stops the launcher (a terminal's Ctrl-C reaches both)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            child.destroy();
            waitFor(child);
        }, "iommulab-relaunched"));
        int code = waitFor(child);
        if (dump != null) {
            keep(dump, archive);
        }
        return OptionalInt.of(code);
    }

    /**
     * In the second JVM, once the board probed: if it writes an archive at its exit, that archive
     * holds what a run loads and is kept.
     */
    static void booted() {
        String dump = System.getProperty(DUMP);
        if (dump != null) {
            try {
                Files.createFile(Path.of(dump + BOOTED));
            } catch (IOException e) {
                // no archive kept: the next run writes one
            }
        }
    }

    /**
     * @return in the second JVM, how much earlier the first one started (what "after JVM start"
     *         counts from), 0 otherwise. The processes' start times as the OS gives them, both with
     *         the same boot-time offset, so their difference is exact to a clock tick.
     */
    static long firstJvmEarlierMs() {
        String pid = System.getProperty(RELAUNCHED);
        if (pid == null) {
            return 0;
        }
        try {
            Instant first = ProcessHandle.of(Long.parseLong(pid)).flatMap(p -> p.info().startInstant()).orElse(null);
            Instant self = ProcessHandle.current().info().startInstant().orElse(null);
            return first == null || self == null ? 0 : Math.max(0, self.toEpochMilli() - first.toEpochMilli());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** @return the JVM options before {@code -jar}, or null if this JVM was not started as {@code java ... -jar} */
    private static List<String> jvmOptions() {
        List<String> argv = arguments();
        int at = argv == null ? -1 : argv.indexOf("-jar");
        if (at < 0) {
            return null;
        }
        List<String> options = argv.subList(0, at);
        for (String o : options) {
            if (o.startsWith("-Xshare") || o.startsWith("-XX:SharedArchiveFile") || o.startsWith("-XX:ArchiveClassesAtExit")) {
                return null; // the user's own class-data-sharing choice
            }
        }
        return options;
    }

    /**
     * @return this JVM's command line after the executable: Linux's {@code /proc/self/cmdline} (what
     *         the first JVM does before the second starts is on the start-up's path, and
     *         {@code ProcessHandle.info()} costs 30-50 ms there), else the process handle's, or null
     */
    private static List<String> arguments() {
        File cmdline = new File("/proc/self/cmdline");
        if (cmdline.isFile()) {
            try (FileInputStream in = new FileInputStream(cmdline)) {
                String[] argv = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\0");
                return argv.length < 1 ? null : List.of(argv).subList(1, argv.length);
            } catch (IOException e) {
                return null;
            }
        }
        return ProcessHandle.current().info().arguments().map(List::of).orElse(null);
    }

    /** @return the launcher jar this class was loaded from, or null (a class folder) */
    private static Path jar() {
        try {
            Path p = Path.of(Relaunch.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** @return the archives' folder, made if absent, or null if there is none to write */
    private static Path cache() {
        String given = System.getProperty(CACHE);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path dir;
        if (given != null) {
            dir = Path.of(given);
        } else if (xdg != null && !xdg.isEmpty()) {
            dir = Path.of(xdg, "iommulab");
        } else {
            dir = Path.of(System.getProperty("user.home"), ".cache", "iommulab");
        }
        try {
            Files.createDirectories(dir);
            return Files.isWritable(dir) ? dir : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @return {@code iommulab-JAR-BUILD.jsa}: JAR names the jar's path, BUILD its size and time, the
     *         JVM, and the JDK's own archive (which a JDK update or {@code -Xshare:dump} rewrites;
     *         a dynamic archive holds only on the base archive it was made on)
     */
    static String archiveName(Path jar) throws IOException {
        File j = jar.toFile();
        File base = new File(System.getProperty("java.home"), "lib/server/classes.jsa");
        if (!j.isFile()) {
            throw new IOException(jar + ": no such file");
        }
        String build = j.length() + "@" + j.lastModified() + "|" + System.getProperty("java.home") + "|"
                + System.getProperty("java.vm.version") + "|" + base.length() + "@" + base.lastModified();
        return "iommulab-" + hex(j.getAbsolutePath()) + "-" + hex(build) + ".jsa";
    }

    /** @return the string's hash as 8 hex digits (java.io.File and no Formatter: this runs before the second JVM starts) */
    private static String hex(String s) {
        String h = Integer.toHexString(s.hashCode());
        return "0".repeat(8 - h.length()) + h;
    }

    /** Keeps the archive the second JVM wrote if its run booted a board, in place of this jar's older ones. */
    private static void keep(Path dump, Path archive) {
        Path booted = Path.of(dump + BOOTED);
        try {
            if (Files.isRegularFile(booted) && Files.isRegularFile(dump)) {
                String name = archive.getFileName().toString();
                // this jar's earlier archives, and what runs killed while writing one left
                try (DirectoryStream<Path> older = Files.newDirectoryStream(archive.getParent(),
                        name.substring(0, name.lastIndexOf('-') + 1) + "*")) {
                    for (Path p : older) {
                        if (!p.equals(dump) && !p.equals(booted)) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
                Files.move(dump, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // kept nothing: the next run writes one
        } finally {
            try {
                Files.deleteIfExists(booted);
                Files.deleteIfExists(dump);
            } catch (IOException e) {
                // a leftover temporary file: the next archive kept removes it
            }
        }
    }

    private static int waitFor(Process p) {
        while (true) {
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                // the launcher's status is the second JVM's: wait on
            }
        }
    }
}
