package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLinesTest {

    @Test
    void splitsAtTopLevelSemicolonsAndNewlines() throws Exception {
        assertEquals(List.of("iommu:iommus", "iommu:devices", "lb -s"),
                CommandLines.split(" iommu:iommus ;iommu:devices\nlb -s;;"));
    }

    @Test
    void keepsQuotedAndBracketedSemicolons() throws Exception {
        assertEquals(List.of("echo 'a;b'", "echo \"c;\\\"d\"", "each [1 2] { echo $it; echo x }", "echo (a;b)"),
                CommandLines.split("echo 'a;b'; echo \"c;\\\"d\"; each [1 2] { echo $it; echo x }; echo (a;b)"));
        assertEquals(List.of("echo a\\;b"), CommandLines.split("echo a\\;b"));
    }

    @Test
    void unbalancedInputIsAnError() {
        assertEquals("command 'each [1 2] { echo': missing '}'",
                assertThrows(LaunchOptions.UsageException.class, () -> CommandLines.split("each [1 2] { echo")).getMessage());
        assertEquals("command 'echo 'x': unterminated ' quote",
                assertThrows(LaunchOptions.UsageException.class, () -> CommandLines.split("echo 'x")).getMessage());
        assertEquals("command 'echo }': unbalanced '}' at column 6",
                assertThrows(LaunchOptions.UsageException.class, () -> CommandLines.split("echo }")).getMessage());
        assertThrows(LaunchOptions.UsageException.class, () -> CommandLines.split("echo [1 }"));
    }

    @Test
    void scriptIsOneCommandPerLineWithoutComments() {
        assertEquals(List.of("iommu:iommus", "machine:status; lb"),
                CommandLines.script("#!gogo\r\n iommu:iommus \r\n\r\n# note\nmachine:status; lb\n"));
    }
}
