package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The interactive shell's loop on a real Gogo session: results, the command's own errors, usage errors. */
class ConsoleTest {

    private static String run(String input) throws Exception {
        try (GogoShell shell = new GogoShell(input)) {
            new Console(shell.gogo, shell.session.getKeyboard(), new PrintStream(shell.out, true, StandardCharsets.UTF_8))
                    .run(null);
            return shell.output();
        }
    }

    @Test
    void eachLineRunsAndShowsItsResultOrItsErrorWithoutEndingTheShell() throws Exception {
        String out = run("machine:poke 0x800000000 0x11223344\r\n\nmachine:mem zz\nmachine:mem 0x800000000 1 2\n"
                + "machine:mem 0x800000000 4\n");
        assertEquals("g! 0x800000000 <- 0x11223344\n"
                + "g! g! gogo: IommuException: EINVAL: PADDR 'zz' is not a number (decimal or 0x hex, optional K, M, G, T, P or"
                + " E suffix)\n"
                + "g! wrong arguments for machine:mem; usage:\n" + UsageErrorsTest.MEM_USAGE + "\n"
                + "g! 00800000000  44 33 22 11" + " ".repeat(3 * 12 + 1) + "  |D3\".|\n"
                + "g! ", out);
    }

    @Test
    void ctrlDEndsIt() throws Exception {
        assertEquals("g! ", run("\u0004machine:mem 0\n"));
    }

    @Test
    void aPromptTheProfileSetIsShown() throws Exception {
        assertEquals("g! lab> \nlab> 0x800000000 <- 0x00000001\nlab> ", run("prompt = 'lab> '\nmachine:poke 0x800000000 1\n"),
                "the assignment shows its value, as in gogo.shell");
    }
}
