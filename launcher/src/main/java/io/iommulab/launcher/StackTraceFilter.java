package io.iommulab.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What the launcher puts between the framework's bundles and stderr (unless {@code --verbose}): a
 * Java stack trace that some library prints there (SCR logging a component that failed to
 * activate, a logger given a throwable) becomes one line naming its root cause, so that no stack
 * trace reaches the user. The line before the trace (the log message) is kept as it is:
 *
 * <pre>
 * ERROR : bundle io.iommulab.core ... : Error during instantiation of the implementation object
 *   cause: io.iommulab.api.error.DeviceTreeException: EINVAL: board.dts (/soc/iommu@...): reg ...
 * </pre>
 *
 * A trace is an exception line ({@code a.b.SomeException: message}) followed by {@code "\tat "}
 * frames, with {@code Caused by:}, {@code Suppressed:} and {@code "\t... n more"} lines; the root
 * cause is the last {@code Caused by:}. It ends at the next other line (the launcher's own
 * messages go through the same stream) or when the launcher ends. Not on a flush: a PrintStream
 * flushes after every 8 KiB of one long trace. Lines pass through unchanged otherwise.
 */
final class StackTraceFilter extends OutputStream {

    static final String CAUSE = "  cause: ";
    private static final Pattern EXCEPTION_LINE = Pattern.compile(
            "^([A-Za-z_$][\\w$]*\\.)+[\\w$]*(Exception|Error|Throwable)(: .*)?$");

    private final OutputStream out;
    private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    /** an exception line held back until the next line tells whether a trace follows */
    private String held;
    private boolean inTrace;
    private boolean passThrough;
    /** the previous line belonged to a trace (its summary may already be out) */
    private boolean traceTail;
    /** what the summary line of the current trace names */
    private String cause;

    StackTraceFilter(OutputStream out) {
        this.out = out;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (passThrough) {
            out.write(b);
            return;
        }
        if (b == '\n') {
            String l = bytes.toString(StandardCharsets.UTF_8);
            bytes.reset();
            line(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
        } else {
            bytes.write(b);
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    private void line(String l) throws IOException {
        if (l.startsWith("\tat ") || l.startsWith("\t... ") || l.startsWith("\t\tat ") || l.startsWith("\t\t... ")) {
            if (held != null) {
                inTrace = true;
                cause = held;
                held = null;
            }
            traceTail = true;
            return;
        }
        if (traceTail && (l.startsWith("Caused by: ") || l.startsWith("\tSuppressed: ") || l.isEmpty())) {
            // (SCR's message ends with the trace's own newline, then println's: an empty line)
            if (inTrace && l.startsWith("Caused by: ")) {
                cause = l.substring("Caused by: ".length());
            }
            return;
        }
        traceTail = false;
        endTrace();
        emitHeld();
        if (EXCEPTION_LINE.matcher(l).matches()) {
            held = l;
            return;
        }
        emit(l);
    }

    private void endTrace() throws IOException {
        if (inTrace) {
            emit(CAUSE + cause);
            inTrace = false;
            cause = null;
        }
    }

    private void emitHeld() throws IOException {
        if (held != null) {
            String h = held;
            held = null;
            emit(h);
        }
    }

    private void emit(String l) throws IOException {
        out.write((l + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
    }

    /** A partial line (a prompt) passes through on a flush, unless it may be part of a trace. */
    @Override
    public synchronized void flush() throws IOException {
        if (bytes.size() > 0 && held == null && !traceTail && bytes.toByteArray()[0] != '\t') {
            out.write(bytes.toByteArray());
            bytes.reset();
        }
        out.flush();
    }

    /** @param on true to pass everything through unchanged ({@code --verbose}) */
    synchronized void passThrough(boolean on) {
        if (on) {
            finish();
        }
        passThrough = on;
    }

    /** Writes out what is still held back (the launcher ends). */
    synchronized void finish() {
        try {
            finishOrThrow();
        } catch (IOException e) {
            // stderr is gone: nothing left to tell
        }
    }

    private void finishOrThrow() throws IOException {
        endTrace();
        emitHeld();
        if (bytes.size() > 0) {
            out.write(bytes.toByteArray());
            bytes.reset();
        }
        out.flush();
    }
}
