package io.iommulab.launcher;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command given arguments that none of its forms takes. Gogo says so with its own coercion error
 * ({@code Cannot coerce map(Token, Token) to any of [(String, String, String, String), ...]}),
 * thrown by its dispatcher (Reflective) when no overload takes the arguments: words for Gogo's
 * authors, not for the user. The launcher shows the command's usage instead, as {@code help NAME}
 * writes it from the command's descriptions, in a scripted run and in the interactive shell alike.
 * The command's own errors (an argument it refuses, with the project's one-line message) are not
 * usage errors.
 */
final class UsageErrors {

    /** the class that throws the coercion error: Gogo's dispatcher, not a command */
    static final String GOGO_DISPATCH = "org.apache.felix.gogo.runtime.Reflective";
    private static final Pattern COERCE = Pattern.compile("^Cannot coerce (\\S+?)\\(");
    /** the session variable the name goes to {@code help} in, so that no name needs quoting */
    private static final String NAME_VARIABLE = "iommulab_usage_of";

    private UsageErrors() {
    }

    /**
     * @param session the session the command ran in, where {@code help} runs
     * @param line    the command line that failed
     * @param e       what it threw
     * @return what to tell the user: which command took the wrong arguments, then its usage; null if
     *         {@code e} is not Gogo's coercion error
     */
    static String explain(GogoSession session, String line, Throwable e) {
        String function = function(e);
        if (function == null) {
            return null;
        }
        String command = command(line, function);
        String usage = usage(session, command);
        return usage == null ? "wrong arguments for " + command + " (help " + command + " shows its usage)"
                : "wrong arguments for " + command + "; usage:" + System.lineSeparator() + usage;
    }

    /** @return the function (lower case, unscoped) Gogo could not call with the arguments, or null if {@code e} is something else */
    static String function(Throwable e) {
        if (!(e instanceof IllegalArgumentException) || e.getStackTrace().length == 0
                || !GOGO_DISPATCH.equals(e.getStackTrace()[0].getClassName())) {
            return null;
        }
        Matcher m = COERCE.matcher(String.valueOf(e.getMessage()));
        return m.find() ? m.group(1) : null;
    }

    /**
     * @return the command whose usage to show: the line's first word when it calls {@code function}
     *         (a hyphenated name calls the function without its hyphens, e.g. {@code dma:map-sg}; Gogo
     *         names a Java keyword's function {@code _new}), else the function alone, whose usage
     *         {@code help} shows for every scope (it failed inside a closure or a pipe)
     */
    static String command(String line, String function) {
        String word = line.strip().split("\\s+", 2)[0];
        String called = word.substring(word.indexOf(':') + 1).toLowerCase(Locale.ROOT);
        String name = function.startsWith("_") ? function.substring(1) : function;
        return called.equals(name) || called.replace("-", "").equals(name) ? word : name;
    }

    /** @return the command's usage as {@code help NAME} prints it, or null if help cannot tell it */
    static String usage(GogoSession session, String command) {
        try {
            session.put(NAME_VARIABLE, command);
            Object text = session.execute("help $" + NAME_VARIABLE);
            return text instanceof CharSequence s && !s.toString().isBlank() ? s.toString().stripTrailing() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
