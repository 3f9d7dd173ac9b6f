package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchOptionsTest {

    @Test
    void defaults() throws Exception {
        LaunchOptions o = LaunchOptions.parse();
        assertNull(o.board());
        assertTrue(o.commands().isEmpty());
        assertFalse(o.json());
        assertNull(o.deploy());
        assertEquals("info", o.logLevel());
        assertFalse(o.help());
        assertFalse(o.sanitize());
        assertFalse(o.progress());
        assertFalse(o.compare());
        assertFalse(o.campaign());
    }

    @Test
    void allOptions() throws Exception {
        LaunchOptions o = LaunchOptions.parse("--board", "b.dts", "-c", "iommu:iommus; iommu:groups", "--json",
                "--deploy=dep", "--verbose", "--script", "s.txt", "-c", "lb");
        assertEquals(Path.of("b.dts"), o.board());
        assertTrue(o.json());
        assertEquals(Path.of("dep"), o.deploy());
        assertEquals("debug", o.logLevel());
        assertEquals(List.of(new LaunchOptions.Inline("iommu:iommus; iommu:groups"),
                new LaunchOptions.Script(Path.of("s.txt")), new LaunchOptions.Inline("lb")), o.commands());
        assertEquals("warn", LaunchOptions.parse("--quiet").logLevel());
        assertTrue(LaunchOptions.parse("-h").help());
        assertTrue(LaunchOptions.parse("--sanitize").sanitize());
        assertTrue(LaunchOptions.parse("--progress").progress());
        assertTrue(LaunchOptions.parse("--compare").compare());
        assertTrue(LaunchOptions.parse("--campaign", "10").campaign());
    }

    @Test
    void commandsKeepTheOrderOfTheirSources(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("cmds.gogo");
        Files.writeString(script, "# comment\n\n  iommu:devices  \n   # indented comment\nmachine:pages\n");
        LaunchOptions o = LaunchOptions.parse("-c", "iommu:iommus;iommu:groups", "--script", script.toString(),
                "-c", "lb");
        assertEquals(List.of("iommu:iommus", "iommu:groups", "iommu:devices", "machine:pages", "lb"), o.allCommands());
    }

    @Test
    void badArgumentsNameTheOption() {
        assertMessage("unknown option --bogus", "--bogus");
        assertMessage("option --board needs a value", "--board");
        assertMessage("option -c needs a value", "-c");
        assertMessage("option --board given twice", "--board", "a", "--board", "b");
        assertMessage("option --json takes no value", "--json=yes");
        assertMessage("option --sanitize takes no value", "--sanitize=on");
        assertMessage("option --progress takes no value", "--progress=100");
        assertMessage("options --verbose and --quiet exclude each other", "--verbose", "--quiet");
        assertMessage("unexpected argument 'board.dts' (a board is given with --board FILE)", "board.dts");
        assertMessage("option --deploy needs a non-empty value", "--deploy", " ");
    }

    @Test
    void compareIsTheScriptedFormOfIommuCompareInItsPlace() throws Exception {
        assertEquals(List.of("iommu:compare"), LaunchOptions.parse("--compare").allCommands());
        assertEquals(List.of("lb", "iommu:compare --workload \"my dir/w.workload\" --report \"out\"", "iommu:iommus"),
                LaunchOptions.parse("-c", "lb", "--compare=my dir/w.workload", "-c", "iommu:iommus", "--report", "out").allCommands());
        assertMessage("option --report needs --compare", "--report", "out");
        assertMessage("option --compare given twice", "--compare", "--compare");
        assertMessage("option --compare needs a non-empty value", "--compare= ");
    }

    @Test
    void campaignAndReplayAreTheScriptedFormsOfIommuCampaign() throws Exception {
        LaunchOptions c = LaunchOptions.parse("--campaign", "100000", "--seed", "42", "--backends", "dart,smmu", "--json");
        assertEquals(List.of("iommu:campaign \"100000\" --seed \"42\" --backends \"dart,smmu\""), c.allCommands());
        assertTrue(c.campaign());
        assertEquals(List.of("lb", "iommu:campaign \"1M\""), LaunchOptions.parse("-c", "lb", "--campaign=1M").allCommands());
        assertEquals(List.of("iommu:campaign --replay \"my dir/x.replay\""),
                LaunchOptions.parse("--replay", "my dir/x.replay").allCommands());
        assertFalse(LaunchOptions.parse("-c", "iommu:campaign 10").campaign(), "a campaign in -c logs as any command");
        assertMessage("option --seed needs --campaign", "--seed", "1");
        assertMessage("option --backends needs --campaign", "--backends", "dart");
        assertMessage("option --seed needs --campaign (a replay file names its seed and backend)", "--replay", "f", "--seed", "1");
        assertMessage("options --campaign and --replay exclude each other", "--campaign", "10", "--replay", "f");
        assertMessage("options --campaign and --replay exclude each other", "--replay", "f", "--campaign", "10");
        assertMessage("option --campaign given twice", "--campaign", "10", "--campaign", "20");
        assertMessage("option --campaign needs a value", "--campaign");
        assertMessage("option --seed given twice", "--campaign", "1", "--seed", "1", "--seed", "2");
    }

    @Test
    void emptyCommandAndMissingScriptAreErrors(@TempDir Path dir) throws Exception {
        LaunchOptions empty = LaunchOptions.parse("-c", " ; ");
        assertEquals("option -c: no command in ' ; '",
                assertThrows(LaunchOptions.UsageException.class, empty::allCommands).getMessage());
        Path missing = dir.resolve("nope.gogo");
        LaunchOptions noScript = LaunchOptions.parse("--script", missing.toString());
        assertEquals("script " + missing + ": no such file",
                assertThrows(LaunchOptions.UsageException.class, noScript::allCommands).getMessage());
    }

    @Test
    void boardFileProblemsAreNamed(@TempDir Path dir) throws Exception {
        assertEquals("no such file", Main.unreadable(dir.resolve("x.dtb")));
        assertEquals("is a directory, expected a .dtb or .dts file", Main.unreadable(dir));
        Path f = Files.writeString(dir.resolve("b.dts"), "/dts-v1/;");
        assertNull(Main.unreadable(f));
    }

    private static void assertMessage(String expected, String... args) {
        LaunchOptions.UsageException e = assertThrows(LaunchOptions.UsageException.class, () -> LaunchOptions.parse(args));
        assertEquals(expected, e.getMessage());
    }
}
