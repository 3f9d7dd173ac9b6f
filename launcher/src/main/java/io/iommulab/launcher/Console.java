package io.iommulab.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The interactive shell: gogo.shell's console loop (a prompt, one command a line, its result as
 * Gogo formats it, {@code $_} and {@code $exception} set, Ctrl-D or EOF to leave) run by the
 * launcher, so that a command given the wrong arguments shows its usage ({@link UsageErrors}) as
 * in a scripted run, where gogo.shell's console prints Gogo's coercion error. Other failures are
 * shown as that console shows them ({@code gogo: IommuException: EINVAL: ...}). Its login profile
 * (the prompt, the banner) is gogo.shell's, read as {@code gosh --login} reads it.
 *
 * @param session the session the commands run in
 * @param in      where the lines come from (the session's keyboard)
 * @param out     the console: prompts, results, errors
 */
record Console(GogoSession session, InputStream in, PrintStream out) {

    static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    private static final String PROFILE = "gosh_profile";
    private static final String PROFILE_VARIABLE = "iommulab_profile";
    /** CommandSessionImpl.SESSION_CLOSED */
    private static final String SESSION_CLOSED = "session is closed";
    private static final int EOT = 4;

    /**
     * @return the login profile gosh would read: {@code etc/gosh_profile} under {@code gosh.home}
     *         (default: the working directory) if there is one, else gogo.shell's own; null without gogo.shell
     */
    static String profile(BundleContext context) {
        String home = context.getProperty("gosh.home");
        Path own = Path.of(home != null ? home : System.getProperty("user.dir"), "etc", PROFILE);
        if (Files.isRegularFile(own)) {
            return own.toUri().toString();
        }
        for (Bundle b : context.getBundles()) {
            if (GOGO_SHELL.equals(b.getSymbolicName())) {
                URL u = b.getEntry(PROFILE);
                return u == null ? null : u.toString();
            }
        }
        return null;
    }

    /**
     * Reads and runs commands until EOF, Ctrl-D or the session's end.
     *
     * @param profile the login profile to source first ({@link #profile}), or null
     */
    void run(String profile) throws IOException {
        if (profile != null) {
            try {
                // as a variable, so that no path needs quoting for the Gogo parser
                session.put(PROFILE_VARIABLE, profile);
            } catch (Exception e) {
                return;
            }
            execute("source $" + PROFILE_VARIABLE);
        }
        while (!Thread.currentThread().isInterrupted()) {
            out.print(prompt());
            out.flush();
            String line = readLine();
            if (line == null) {
                return;
            }
            if (!line.isBlank() && !execute(line)) {
                return;
            }
        }
    }

    /** @return false when the session is closed */
    private boolean execute(String line) {
        try {
            Object result = session.execute(line);
            session.put("_", result);
            if (result != null && !Boolean.FALSE.equals(session.get(".Gogo.format"))) {
                out.println(session.format(result));
            }
        } catch (Exception e) {
            if (e instanceof IllegalStateException && SESSION_CLOSED.equals(e.getMessage())) {
                return false;
            }
            try {
                session.put("exception", e);
            } catch (Exception closed) {
                return false;
            }
            String usage = UsageErrors.explain(session, line, e);
            out.println(usage != null ? usage : "gogo: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return true;
    }

    /** @return the profile's prompt (a text, or a closure that makes one), else Gogo's */
    private String prompt() {
        try {
            Object p = session.get("prompt");
            if (p != null && !(p instanceof CharSequence)) {
                p = session.execute("prompt");
            }
            return p != null ? p.toString() : "g! ";
        } catch (Exception e) {
            return "g! ";
        }
    }

    /** @return the next line without its end, or null at EOF or Ctrl-D; one byte at a time, so that commands find the rest of the input */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0 || c == EOT) {
                return null;
            }
            if (c == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (c != '\r') {
                line.write(c);
            }
        }
    }
}
