package io.iommulab.core.impl.sanitize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.FlushQueueDTO;
import org.junit.jupiter.api.Test;

/** The shadow of one domain: ranges split by partial unmaps, look-ups by IOVA and by physical address, windows. */
class DomainShadowTest {

    private static final long PA = 0x8_0000_0000L;

    @Test
    void aPartialUnmapKeepsBothSidesAtTheirAddresses() {
        DomainShadow s = new DomainShadow(1, DomainType.DMA);
        s.map(0x1000, PA, 0x4000, Prot.READ);
        s.unmap(0x2000, 0x1000, false, 0);
        assertEquals(PA, s.covering(0x1fff).paOf(0x1000));
        assertNull(s.covering(0x2000));
        assertNull(s.covering(0x2fff));
        assertEquals(PA + 0x2000, s.covering(0x3000).paOf(0x3000));
        assertEquals(PA + 0x3fff, s.covering(0x4fff).paOf(0x4fff));
        assertNull(s.covering(0x5000));
        assertNull(s.covering(0x0fff));
        assertTrue(s.mapsPa(PA, 0x10));
        assertFalse(s.mapsPa(PA + 0x1000, 0x1000), "the hole's memory is no longer mapped");
        assertTrue(s.mapsPa(PA + 0x1ff0, 0x20), "a range that overlaps the part still mapped");
        assertTrue(s.mapsPa(PA + 0x2000, 1));
        s.unmap(0, 0x10000, false, 0);
        assertNull(s.covering(0x1000));
        assertFalse(s.mapsPa(PA, 0x4000));
    }

    @Test
    void aliasesOfOneAddressAreKeptApart() {
        DomainShadow s = new DomainShadow(1, DomainType.UNMANAGED);
        s.map(0x10000, PA, 0x1000, Prot.READ);
        s.map(0x20000, PA, 0x1000, Prot.READ | Prot.WRITE);
        s.unmap(0x10000, 0x1000, false, 0);
        assertTrue(s.mapsPa(PA, 0x1000), "still mapped at the other IOVA");
        s.unmap(0x20000, 0x1000, false, 0);
        assertFalse(s.mapsPa(PA, 0x1000));
    }

    @Test
    void aLargeRangeBelowIsFoundPastSmallOnes() {
        DomainShadow s = new DomainShadow(1, DomainType.DMA);
        s.map(0x100_0000, PA, 0x20_0000, Prot.READ);
        for (int i = 0; i < 16; i++) {
            s.map(0x1000L * i, PA + 0x10_0000 + 0x1000L * i, 0x1000, Prot.READ);
        }
        assertTrue(s.mapsPa(PA + 0x1f_f000, 8), "covered by the 2 MiB range that starts far below");
        assertFalse(s.mapsPa(PA + 0x20_0000, 8));
    }

    @Test
    void aFlushClosesTheWindowsQueuedBeforeIt() {
        DomainShadow s = new DomainShadow(4, DomainType.DMA_FQ);
        s.map(0x1000, PA, 0x2000, Prot.READ);
        s.unmap(0x1000, 0x1000, true, 100);
        long token = s.flushBegin();
        s.unmap(0x2000, 0x1000, true, 150); // after the flush began: not covered by it
        assertTrue(s.queued(0x1000));
        assertTrue(s.queued(0x2fff));
        s.exposed();
        s.flushed(token, 400, 10_000_000, true, 10_000_100);
        assertFalse(s.queued(0x1000));
        assertTrue(s.queued(0x2000));
        assertEquals(new FlushQueueDTO(4, false, 1, 1, 300, 300, 10_000_000, 1, 1, 0, 0), s.flushQueue());
        s.flushed(s.flushBegin(), 1150, 10_000_000, false, 0);
        assertEquals(new FlushQueueDTO(4, false, 2, 0, 1000, 650, 10_000_000, 1, 2, 0, 0), s.flushQueue());
        s.flushed(s.flushBegin(), 2000, 10_000_000, true, 1_000);
        assertEquals(3, s.flushQueue().flushes(), "every flush of the queue, one that closed nothing too");
        assertEquals(2, s.flushQueue().windows());
    }

    /**
     * The bound: a window lasts at most the timeout plus how late the flush came after the
     * queue's timer was due. A timer that ran late stretches it (the host's doing, not the
     * queue's); a window past that, or past the timeout with no timer armed, is overdue.
     */
    @Test
    void aWindowIsBoundedByTheTimeoutPlusTheTimersLateness() {
        long timeout = 1_000;
        DomainShadow s = new DomainShadow(5, DomainType.DMA_FQ);
        s.map(0x1000, PA, 0x3000, Prot.READ);
        s.unmap(0x1000, 0x1000, true, 100); // arms the timer: due at 100 + timeout
        s.unmap(0x2000, 0x1000, true, 600);
        s.flushed(s.flushBegin(), 1_400, timeout, true, 1_100); // the timer ran 300 late
        FlushQueueDTO q = s.flushQueue();
        assertEquals(1_300, q.maxNs(), "longer than the timeout");
        assertEquals(300, q.lateMaxNs());
        assertEquals(0, q.overdue(), "within the timeout plus the timer's lateness");
        assertTrue(q.maxNs() <= q.timeoutNs() + q.lateMaxNs());

        // the timer was due at 2_000 + timeout, but the window opened before it was armed: overdue
        s.unmap(0x3000, 0x1000, true, 1_500);
        s.flushed(s.flushBegin(), 3_200, timeout, true, 3_000);
        q = s.flushQueue();
        assertEquals(1_700, q.maxNs());
        assertEquals(1, q.overdue(), "kept 1_700 against a timeout of 1_000 and a timer 200 late");

        // no timer armed: nothing excuses a window past the timeout
        s.map(0x4000, PA, 0x1000, Prot.READ);
        s.unmap(0x4000, 0x1000, true, 4_000);
        s.flushed(s.flushBegin(), 5_500, timeout, false, 0);
        assertEquals(2, s.flushQueue().overdue());
        assertEquals(300, s.flushQueue().lateMaxNs(), "the most a timer was late");
        s.clearStats();
        assertEquals(new FlushQueueDTO(5, false, 0, 0, 0, 0, timeout, 0, 0, 0, 0), s.flushQueue());
    }
}
