package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The log levels of a run, as SLF4J simple's and the framework's properties. */
class LoggingTest {

    private static final String LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final String OURS = "org.slf4j.simpleLogger.log.io.iommulab";
    private static final String PROGRESS = "org.slf4j.simpleLogger.log.io.iommulab.progress";

    private static Logging of(boolean terminal, String... args) throws Exception {
        return Logging.of(LaunchOptions.parse(args), terminal);
    }

    @Test
    void byDefaultOurEventsAtInfoAndEverythingElseAtWarn() throws Exception {
        Map<String, String> p = of(false).slf4j();
        assertEquals("warn", p.get(LEVEL));
        assertEquals("info", p.get(OURS));
        assertEquals("off", p.get(PROGRESS), "no progress in a pipe");
        assertEquals(Map.of("felix.log.level", "2", "felix.fileinstall.log.level", "2"), of(false).framework());
        assertFalse(of(false).verbose());
    }

    @Test
    void progressOnATerminalOrWhenAskedFor() throws Exception {
        assertEquals("info", of(true).slf4j().get(PROGRESS));
        assertEquals("info", of(false, "--progress").slf4j().get(PROGRESS));
        assertEquals("off", of(true, "--quiet").slf4j().get(PROGRESS), "--quiet: warnings only, on a terminal too");
        assertEquals("info", of(false, "--quiet", "--progress").slf4j().get(PROGRESS));
    }

    @Test
    void longWorkLogsOnlyItsOwnWarningsAndProgress() throws Exception {
        for (String[] args : new String[][] {{"--compare"}, {"--campaign", "1000"}}) {
            Map<String, String> p = of(true, args).slf4j();
            assertEquals("off", p.get(OURS), "the labs' drivers and the faults provoked on purpose");
            assertEquals("warn", p.get(OURS + ".compare"));
            assertEquals("warn", p.get(OURS + ".campaign"));
            assertEquals("info", p.get(PROGRESS));
        }
        assertEquals("warn", of(false, "--compare", "--quiet").slf4j().get(LEVEL));
        assertNull(of(false, "--compare", "--quiet").slf4j().get(OURS), "--quiet: every warning");
    }

    @Test
    void verboseLogsEverythingAndTheFramework() throws Exception {
        Logging v = of(false, "--verbose", "--compare");
        assertTrue(v.verbose());
        assertEquals("debug", v.slf4j().get(LEVEL));
        assertNull(v.slf4j().get(OURS));
        assertNull(v.slf4j().get(PROGRESS));
        assertEquals(Map.of("felix.log.level", "3", "felix.fileinstall.log.level", "4"), v.framework());
    }
}
