package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.error.IommuException;
import org.junit.jupiter.api.Test;

/** Gogo's coercion error told apart from a command's own, and turned into the command's usage. */
class UsageErrorsTest {

    static final String MEM_USAGE = """
            machine:mem PADDR
              hex dump of physical memory (64 bytes)
                PADDR  physical address (decimal or 0x hex, K/M/G/T suffix)
            machine:mem PADDR LEN
              hex dump of physical memory
                LEN    bytes to dump, at most 64K""";

    @Test
    void noFormTakingTheArgumentsIsAUsageErrorShowingTheCommandsUsage() throws Exception {
        try (GogoShell shell = new GogoShell("")) {
            Exception e = assertThrows(IllegalArgumentException.class, () -> shell.gogo.execute("machine:mem 1 2 3"));
            assertEquals("mem", UsageErrors.function(e));
            assertEquals("wrong arguments for machine:mem; usage:" + System.lineSeparator() + MEM_USAGE,
                    UsageErrors.explain(shell.gogo, "machine:mem 1 2 3", e));
            Exception none = assertThrows(IllegalArgumentException.class, () -> shell.gogo.execute("mem"));
            assertEquals("wrong arguments for mem; usage:" + System.lineSeparator() + MEM_USAGE,
                    UsageErrors.explain(shell.gogo, "mem", none), "unscoped, as typed");
        }
    }

    @Test
    void aCommandsOwnErrorsAndOtherIllegalArgumentsAreNotUsageErrors() throws Exception {
        try (GogoShell shell = new GogoShell("")) {
            Exception own = assertThrows(IommuException.class, () -> shell.gogo.execute("machine:mem zz"));
            assertNull(UsageErrors.explain(shell.gogo, "machine:mem zz", own));
            assertNull(UsageErrors.function(new IllegalArgumentException("Cannot coerce mem(Token) to any of []")),
                    "the same words from anyone but Gogo's dispatcher");
        }
    }

    @Test
    void theUsageShownIsOfTheCommandTheLineCallsOrOfTheFunctionInEveryScope() {
        assertEquals("iommu:map", UsageErrors.command("  iommu:map usb 0x1000", "map"));
        assertEquals("MAP", UsageErrors.command("MAP usb", "map"), "Gogo ignores case");
        assertEquals("dma:map-sg", UsageErrors.command("dma:map-sg usb", "mapsg"), "a hyphenated name");
        assertEquals("map", UsageErrors.command("each [1 2] { iommu:map $it }", "map"), "inside a closure");
        assertEquals("gogo:new", UsageErrors.command("gogo:new", "_new"), "a Java keyword's function");
    }

    @Test
    void helpCannotTellTheUsageOfANameNoCommandHas() throws Exception {
        try (GogoShell shell = new GogoShell("")) {
            assertNull(UsageErrors.usage(shell.gogo, "machine:nosuch"));
            assertEquals(UsageErrorsTest.MEM_USAGE, UsageErrors.usage(shell.gogo, "machine:mem"));
        }
    }
}
