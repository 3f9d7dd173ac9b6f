package io.iommulab.klib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KlibTest {

    @Test
    void tenMessagesPerFiveSecondsThenTheSuppressedCount() {
        AtomicLong now = new AtomicLong(1_000);
        RateLimit rl = new RateLimit(now::get);
        for (int i = 0; i < RateLimit.BURST; i++) {
            assertEquals(0, rl.acquire(), "message " + i + " of the burst");
        }
        assertEquals(-1, rl.acquire());
        assertEquals(-1, rl.acquire());
        now.addAndGet(RateLimit.INTERVAL_NANOS - 1);
        assertEquals(-1, rl.acquire(), "still the same window");
        now.addAndGet(1);
        assertEquals(3, rl.acquire(), "next window: the first message tells how many were dropped");
        assertEquals(0, rl.acquire());
    }

    @Test
    void bitfields() {
        assertEquals(0x0000_0FF0, Bits.genmask(11, 4));
        assertEquals(0xFFFF_FFFF, Bits.genmask(31, 0));
        assertEquals(0xAB, Bits.get(0x0000_FF00, 0x1234_AB56));
        assertEquals(0x0000_0500, Bits.prep(0x0000_0F00, 0x15), "FIELD_PREP masks what does not fit");
    }
}
