package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The texts are what gogo.command 1.1.2 returns (seen running the launcher). */
class BuiltinFailuresTest {

    @Test
    void aLifecycleCommandThatReturnsTextFailed() {
        assertEquals("Bundle ID '999' is invalid.", BuiltinFailures.failure("start 999", "Bundle ID '999'  is invalid.\n"));
        assertEquals("Bundle ID '999' is invalid.", BuiltinFailures.failure("felix:start -t 999", "Bundle ID '999'  is invalid.\n"));
        assertEquals("Unknown protocol: iommulab",
                BuiltinFailures.failure("update 9", "java.net.MalformedURLException: Unknown protocol: iommulab"));
        assertEquals("Unable to open input stream: /nope.jar (No such file or directory)", BuiltinFailures.failure(
                "update 13 file:/nope.jar", "Unable to open input stream: java.io.FileNotFoundException: /nope.jar (No such file or directory)"));
    }

    @Test
    void installSucceedsWithTheIdsAndFailsWithAnythingElse() {
        assertNull(BuiltinFailures.failure("install file:a.jar", "Bundle ID: 29"));
        assertNull(BuiltinFailures.failure("install file:a.jar file:b.jar", "Bundle IDs: 29, 30\n"));
        assertEquals("/nonexistent.jar (No such file or directory)", BuiltinFailures.failure("install file:/nonexistent.jar",
                "java.io.FileNotFoundException: /nonexistent.jar (No such file or directory)\n"));
    }

    @Test
    void successAndOtherCommandsAreNotFailures() {
        assertNull(BuiltinFailures.failure("start 13", ""));
        assertNull(BuiltinFailures.failure("update 9", null));
        assertNull(BuiltinFailures.failure("stop 13", "\n"));
        // results of other commands are their output, whatever the text
        assertNull(BuiltinFailures.failure("lb", "START LEVEL 3\n   ID|State"));
        assertNull(BuiltinFailures.failure("echo Bundle ID '999' is invalid.", "Bundle ID '999' is invalid."));
        assertNull(BuiltinFailures.failure("mine:start", "anything"));
        assertNull(BuiltinFailures.failure("resolve", "Not all bundles could be resolved."), "said when all were resolved");
        assertNull(BuiltinFailures.failure("start 13", java.util.List.of("x")));
    }
}
