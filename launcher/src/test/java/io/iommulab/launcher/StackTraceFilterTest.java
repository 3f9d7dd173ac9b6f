package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stack trace printed on the launcher's stderr becomes one line naming its root cause. */
class StackTraceFilterTest {

    private final ByteArrayOutputStream sink = new ByteArrayOutputStream();
    private final StackTraceFilter filter = new StackTraceFilter(sink);
    private final PrintStream err = new PrintStream(filter, true, StandardCharsets.UTF_8);

    private List<String> lines() {
        filter.finish();
        return sink.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** As SCR 2.2 logs a component whose constructor threw: message and trace in one println, then a flush. */
    @Test
    void scrActivationFailureIsTheMessageAndItsRootCause() {
        Exception root = new IllegalStateException("EINVAL: board.dts (/soc/iommu@596000000): reg entry 0: expected an address");
        StringWriter sw = new StringWriter();
        PrintWriter pw = new PrintWriter(sw);
        pw.print("ERROR : bundle io.iommulab.core (8) : Error during instantiation of the implementation object");
        pw.println();
        new InvocationTargetException(new RuntimeException("wrapper", root)).printStackTrace(pw);
        pw.close();
        err.println(sw);
        err.println("board x: probed");
        assertEquals(List.of("ERROR : bundle io.iommulab.core (8) : Error during instantiation of the implementation object",
                StackTraceFilter.CAUSE + "java.lang.IllegalStateException: " + root.getMessage(), "board x: probed"), lines());
    }

    /** As a logger prints a throwable: line by line, each line flushed. */
    @Test
    void traceLineByLineIsOneLine() {
        err.println("12:00:00.000 [main] ERROR X - it broke");
        new NullPointerException("Cannot invoke \"Object.getClass()\"").printStackTrace(err);
        err.println("next");
        assertEquals(List.of("12:00:00.000 [main] ERROR X - it broke",
                StackTraceFilter.CAUSE + "java.lang.NullPointerException: Cannot invoke \"Object.getClass()\"", "next"), lines());
    }

    /** --verbose: the trace is what the user asked for. */
    @Test
    void verbosePassesTheTrace() {
        filter.passThrough(true);
        new IllegalStateException("x").printStackTrace(err);
        assertEquals("java.lang.IllegalStateException: x", lines().get(0));
        assertEquals(true, lines().get(1).startsWith("\tat "));
    }

    @Test
    void everythingElsePassesUnchanged() {
        err.println("iommulab: board b.dts: EINVAL: b.dts (line 4): expected ';'");
        err.println("java.lang.IllegalStateException: a message that looks like an exception, without a trace");
        err.print("prompt> ");
        err.flush();
        assertEquals(List.of("iommulab: board b.dts: EINVAL: b.dts (line 4): expected ';'",
                "java.lang.IllegalStateException: a message that looks like an exception, without a trace", "prompt> "), lines());
    }
}
