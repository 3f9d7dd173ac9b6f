package io.iommulab.launcher;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a run logs, on stderr. By default: our own one-line events ({@code io.iommulab} at INFO: a
 * DART's "initialized" line, a live update's outcome; lifecycle chatter is DEBUG in the bundles)
 * and every warning; the framework and its libraries (Felix, FileInstall, SCR) only their warnings.
 * {@code --verbose}: DEBUG and the framework's messages; {@code --quiet}: warnings and errors only.
 *
 * <p>A comparison or a campaign ({@code --compare}, {@code --campaign}) boots twins and provokes
 * faults on purpose: by default only its own warnings are logged (a problem shows in its result).
 * Long work's progress (the {@value #PROGRESS} loggers) shows on a terminal, or with
 * {@code --progress}; in a pipe it stays quiet.
 *
 * <p>SLF4J simple, on the launcher's class path, reads system properties when the first logger is
 * made; JUL carries FileInstall's messages. Values the user set with {@code -D} win.
 *
 * @param level    {@code info}, {@code debug} or {@code warn} ({@link LaunchOptions#logLevel()})
 * @param longWork the run compares or runs a campaign
 * @param progress long work's progress is shown
 */
record Logging(String level, boolean longWork, boolean progress) {

    /** The loggers of long work's progress lines ({@code io.iommulab.progress.compare}, {@code .campaign}). */
    static final String PROGRESS = "io.iommulab.progress";
    private static final String OURS = "io.iommulab";
    private static final String SIMPLE = "org.slf4j.simpleLogger.";
    private static final String LOG = SIMPLE + "log.";

    /** @param terminal the launcher runs on a terminal ({@link Main#isTerminal()}) */
    static Logging of(LaunchOptions opts, boolean terminal) {
        boolean quiet = opts.logLevel().equals("warn");
        return new Logging(opts.logLevel(), opts.compare() || opts.campaign(), opts.progress() || terminal && !quiet);
    }

    boolean verbose() {
        return level.equals("debug");
    }

    /** @return the SLF4J simple logger's system properties for this run */
    Map<String, String> slf4j() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(SIMPLE + "logFile", "System.err");
        p.put(SIMPLE + "showDateTime", "true");
        p.put(SIMPLE + "dateTimeFormat", "HH:mm:ss.SSS");
        p.put(SIMPLE + "showThreadName", "true");
        p.put(SIMPLE + "showShortLogName", "true");
        if (verbose()) {
            p.put(SIMPLE + "defaultLogLevel", "debug");
            return p;
        }
        p.put(SIMPLE + "defaultLogLevel", "warn");
        if (level.equals("info")) {
            if (longWork) {
                p.put(LOG + OURS, "off");
                p.put(LOG + OURS + ".compare", "warn");
                p.put(LOG + OURS + ".campaign", "warn");
            } else {
                p.put(LOG + OURS, "info");
            }
        }
        p.put(LOG + PROGRESS, progress ? "info" : "off");
        return p;
    }

    /** @return the framework properties that set the framework's and FileInstall's own log levels */
    Map<String, String> framework() {
        // Felix: 1 error, 2 warning, 3 info; FileInstall: 1 error ... 4 debug
        return Map.of("felix.log.level", verbose() ? "3" : "2", "felix.fileinstall.log.level", verbose() ? "4" : "2");
    }

    /** Sets the SLF4J properties (unless given with {@code -D}) and JUL's level. */
    void apply() {
        slf4j().forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tH:%1$tM:%1$tS.%1$tL [jul] %4$s %3$s - %5$s%6$s%n");
        }
        Logger.getLogger("").setLevel(verbose() ? Level.FINE : Level.WARNING);
    }
}
