package io.iommulab.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Failures of the framework's own shell commands. Gogo's {@code felix:} lifecycle commands
 * (gogo.command 1.1) do not throw when they fail: {@code start 999} returns "Bundle ID '999' is
 * invalid.", a failed {@code update} returns the exception's text, and both succeed as commands.
 * Their result on success is known (nothing, or "Bundle ID: N" for {@code install}), so any other
 * text they return is the failure, which a scripted run must stop on.
 */
final class BuiltinFailures {

    /**
     * Commands whose result is empty (null or blank) when they succeed. Not {@code resolve}: it
     * returns "Not all bundles could be resolved." when all were (its test is the wrong way round)
     * and nothing when some were not, so its result tells nothing.
     */
    private static final Set<String> SILENT = Set.of("start", "stop", "update", "uninstall");
    private static final String INSTALL = "install";
    private static final Pattern INSTALLED = Pattern.compile("Bundle IDs?: [0-9, ]+");
    /** A Java exception's class name in front of its message, as Throwable.toString() writes it. */
    private static final Pattern EXCEPTION_NAME =
            Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): ");

    private BuiltinFailures() {
    }

    /**
     * @param command one command line as run (e.g. {@code update 9} or {@code felix:start -t 12})
     * @param result  what it returned
     * @return the failure the command reported as its result, on one line; null if it succeeded or
     *         is not one of those commands
     */
    static String failure(String command, Object result) {
        if (!(result instanceof CharSequence text)) {
            return null;
        }
        String name = name(command);
        List<String> problems = new ArrayList<>();
        for (String line : text.toString().split("\\R")) {
            String l = line.strip();
            if (l.isEmpty() || INSTALL.equals(name) && INSTALLED.matcher(l).matches()) {
                continue;
            }
            problems.add(l);
        }
        if (problems.isEmpty() || !(SILENT.contains(name) || INSTALL.equals(name))) {
            return null;
        }
        return EXCEPTION_NAME.matcher(String.join("; ", problems)).replaceAll("").replaceAll("\\s+", " ");
    }

    /** @return the function a command line calls, without a {@code felix:} scope, lower case */
    private static String name(String command) {
        String first = command.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        return first.startsWith("felix:") ? first.substring("felix:".length()) : first;
    }
}
