package io.iommulab.klib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The machine-wide limits (the printk ratelimit sysctls): changed while call sites are counting. */
class RateLimitLimitsTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @AfterEach
    void kernelDefaults() {
        RateLimit.setLimits(RateLimit.Limits.DEFAULT);
    }

    private static int printed(RateLimit rl, int messages) {
        int n = 0;
        for (int i = 0; i < messages; i++) {
            n += rl.acquire() >= 0 ? 1 : 0;
        }
        return n;
    }

    @Test
    void aLowerBurstCountsFromTheNextMessageOfTheWindowItIsIn() {
        RateLimit rl = new RateLimit(now::get);
        assertEquals(3, printed(rl, 3));
        assertEquals(RateLimit.Limits.DEFAULT, RateLimit.setLimits(new RateLimit.Limits(RateLimit.INTERVAL_NANOS, 4)));
        assertEquals(1, printed(rl, 5), "3 of the window's 4 were printed already");
        now.addAndGet(RateLimit.INTERVAL_NANOS);
        assertEquals(4, rl.acquire(), "the next window's first message tells the 4 dropped");
        assertEquals(3, printed(rl, 10));
    }

    @Test
    void aShorterIntervalOpensTheNextWindowSooner() {
        RateLimit rl = new RateLimit(now::get);
        assertEquals(RateLimit.BURST, printed(rl, RateLimit.BURST + 1));
        RateLimit.setLimits(new RateLimit.Limits(1_000_000, RateLimit.BURST));
        now.addAndGet(1_000_000);
        assertEquals(1, rl.acquire(), "1 ms later a window is open, with the one dropped before");
    }

    @Test
    void intervalZeroPrintsEveryMessageAndTellsWhatWasHeldBack() {
        RateLimit rl = new RateLimit(now::get);
        assertEquals(RateLimit.BURST, printed(rl, RateLimit.BURST + 2));
        RateLimit.setLimits(new RateLimit.Limits(0, RateLimit.BURST));
        assertEquals(2, rl.acquire());
        assertEquals(100, printed(rl, 100));
    }

    @Test
    void burstZeroSuppressesEveryMessageAndKeepsCounting() {
        RateLimit.setLimits(new RateLimit.Limits(RateLimit.INTERVAL_NANOS, 0));
        RateLimit rl = new RateLimit(now::get);
        assertEquals(0, printed(rl, 3));
        now.addAndGet(RateLimit.INTERVAL_NANOS);
        assertEquals(0, printed(rl, 2), "a new window prints nothing either");
        RateLimit.setLimits(RateLimit.Limits.DEFAULT);
        now.addAndGet(RateLimit.INTERVAL_NANOS);
        assertEquals(5, rl.acquire(), "every message suppressed so far, told once");
    }

    @Test
    void negativeLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimit.Limits(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new RateLimit.Limits(1, -1));
    }
}
