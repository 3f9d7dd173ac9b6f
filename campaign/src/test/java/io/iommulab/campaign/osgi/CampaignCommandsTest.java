package io.iommulab.campaign.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.CommandUsage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code iommu:campaign}'s arguments: Gogo binds the options ({@code @Parameter}, an absent one
 * given as its absentValue); OPS and the repeatable {@code --board FILE} stay in the list.
 */
class CampaignCommandsTest {

    /** Gogo's values for options that are absent. */
    private static CampaignCommands.Options absent(String... list) {
        CampaignCommands.Options o = CampaignCommands.Options.parse(list);
        o.options("", "", false, "", "", CampaignCommands.LIVE_UPDATE_EVERY, "", CampaignCommands.INJECT_EVERY,
                CampaignCommands.SHRINK_REPLAYS, CampaignCommands.PROGRESS);
        return o;
    }

    private static String refused(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(IommuException.class, e).getMessage();
    }

    @Test
    void everyCommandAndParameterIsDescribed() {
        assertEquals(List.of(), CommandUsage.undescribed(CampaignCommands.class));
    }

    @Test
    void opsAndEveryBoardComeFromTheListTheOptionsDefaultsFromTheirAbsentValues() {
        CampaignCommands.Options o = absent("1M", "--board", "a.dts", "--board", "b dir/b.dtb");
        assertEquals(1 << 20, o.ops);
        assertEquals(List.of("a.dts", "b dir/b.dtb"), o.boards);
        assertNull(o.seed);
        assertEquals(List.of(), o.backends);
        assertEquals(25_000, o.liveUpdateEvery);
        assertEquals(1000, o.injectEvery);
        assertEquals(500, o.shrinkReplays);
        assertEquals(1_000_000, o.progress);
        assertNull(o.injectPoint);
    }

    @Test
    void givenOptionsAreReadWithTheShellsNumbers() {
        CampaignCommands.Options o = CampaignCommands.Options.parse(new String[] {"200000"});
        o.options("0x2a", "dart,smmu", true, "out", "", "0", "skip-invalidate:3", "4K", "10", "0");
        assertEquals(42L, o.seed);
        assertEquals(List.of("dart", "smmu"), o.backends);
        assertEquals("out", o.out);
        assertEquals(0, o.liveUpdateEvery);
        assertEquals("skip-invalidate", o.injectPoint);
        assertEquals(3, o.injectCount);
        assertEquals(4096, o.injectEvery);
        assertEquals(10, o.shrinkReplays);
        assertEquals(0, o.progress);
    }

    @Test
    void wrongArgumentsAreRefusedNamingThemAndPointingToTheUsage() {
        assertEquals("EINVAL: unknown option --bogus (see help iommu:campaign)", refused(() -> absent("100", "--bogus")));
        assertEquals("EINVAL: unexpected argument '200' (see help iommu:campaign)", refused(() -> absent("100", "200")));
        assertEquals("EINVAL: --board needs a value (see help iommu:campaign)", refused(() -> absent("100", "--board")));
        assertEquals("EINVAL: expected OPS, the number of operations per backend, or --replay FILE (see help iommu:campaign)",
                refused(() -> absent("--board", "a.dts")));
        assertEquals("EINVAL: OPS '0' is not between 1 and 1000000000000", refused(() -> absent("0")));
        CampaignCommands.Options replay = CampaignCommands.Options.parse(new String[] {"100"});
        assertEquals("EINVAL: --replay FILE takes its seed, backend and board from the file (only --board FILE, for another"
                + " copy of the board, and --json go with it)", refused(() -> replay.options("", "", false, "", "x.replay",
                        "0", "", "1", "1", "0")));
        CampaignCommands.Options inject = CampaignCommands.Options.parse(new String[] {"100"});
        assertEquals("EINVAL: --inject: expected POINT[:COUNT], found ':3'",
                refused(() -> inject.options("", "", false, "", "", "0", ":3", "1", "1", "0")));
    }
}
