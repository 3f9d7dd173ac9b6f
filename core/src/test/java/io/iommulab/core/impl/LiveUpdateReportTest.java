package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a caller of a bundle update reads from the engine: it waits until no driver waits for its
 * next version, and gets the entries recorded since its mark, whichever way each update ended.
 */
class LiveUpdateReportTest {

    private static final long LONG_NS = 60_000_000_000L;

    /** The next version came: one entry, and nothing is left waiting. */
    @Test
    void theNextVersionEndsTheWaitWithItsEntry() throws Exception {
        TestIommuDriver old = new TestIommuDriver();
        Fixture f = boot(CoreConfig.defaults().withLiveUpdateMs(3_600_000), old);
        List<String> probed = probed(f);
        assertFalse(probed.isEmpty());
        long mark = f.engine.liveUpdateMark();
        assertEquals(List.of(), f.engine.liveUpdatesSince(mark));

        f.engine.removeDriver(old, true);
        assertFalse(f.engine.awaitLiveUpdates(0), "the old driver waits for its next version");
        f.engine.addDriver(new TestIommuDriver(), "io.iommulab.testkit 2.0.0");
        assertTrue(f.engine.awaitLiveUpdates(0));

        List<LiveUpdateDTO> since = f.engine.liveUpdatesSince(mark);
        assertEquals(1, since.size(), since.toString());
        LiveUpdateDTO u = since.get(0);
        assertEquals("io.iommulab.testkit 2.0.0", u.to());
        assertEquals(probed, u.iommus().stream().sorted().toList());
        assertTrue(u.adopted(), u.toString());
        assertNull(u.reason());
        assertEquals(List.of(), f.engine.liveUpdatesSince(f.engine.liveUpdateMark()));
        assertEquals(since, f.engine.liveUpdates(), "the history holds it too");
    }

    /** No next version within the timeout: the unload is recorded as a fall-back that says why. */
    @Test
    void anExpiredWaitIsRecordedWithItsReason() throws Exception {
        TestIommuDriver old = new TestIommuDriver();
        Fixture f = boot(CoreConfig.defaults().withLiveUpdateMs(1), old);
        int domains = f.engine.domains().size();
        List<String> probed = probed(f);
        long mark = f.engine.liveUpdateMark();

        f.engine.removeDriver(old, true);
        assertTrue(f.engine.awaitLiveUpdates(LONG_NS), "the timeout releases it");

        List<LiveUpdateDTO> since = f.engine.liveUpdatesSince(mark);
        assertEquals(1, since.size(), since.toString());
        LiveUpdateDTO u = since.get(0);
        assertEquals(TestIommuDriver.NAME, u.driver());
        assertNull(u.to());
        assertFalse(u.adopted());
        assertEquals("no new version of " + TestIommuDriver.NAME + " took over within 1 ms", u.reason());
        assertEquals(probed, u.iommus().stream().sorted().toList());
        assertEquals(domains, u.domains());
        assertTrue(f.engine.iommus().stream().noneMatch(n -> "probed".equals(n.state())), "released as on an unload");
    }

    private static List<String> probed(Fixture f) {
        return f.engine.iommus().stream().filter(n -> "probed".equals(n.state())).map(n -> n.node()).sorted().toList();
    }

    /** The history keeps the last entries; a mark older than those gives what is left. */
    @Test
    void aMarkOlderThanTheHistoryGivesWhatItHolds() throws Exception {
        TestIommuDriver d = new TestIommuDriver();
        Fixture f = boot(CoreConfig.defaults().withLiveUpdateMs(3_600_000), d);
        long mark = f.engine.liveUpdateMark();
        for (int i = 0; i < LiveUpdate.HISTORY + 3; i++) {
            f.engine.removeDriver(d, true);
            d = new TestIommuDriver();
            f.engine.addDriver(d, "v" + i);
        }
        assertEquals(LiveUpdate.HISTORY + 3, f.engine.liveUpdateMark() - mark);
        List<LiveUpdateDTO> since = f.engine.liveUpdatesSince(mark);
        assertEquals(LiveUpdate.HISTORY, since.size());
        assertEquals("v" + (LiveUpdate.HISTORY + 2), since.get(since.size() - 1).to());
        assertEquals(List.of(since.get(since.size() - 1)), f.engine.liveUpdatesSince(f.engine.liveUpdateMark() - 1));
    }
}
