package io.iommulab.klib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
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
    void ratelimitReportsTheSuppressedCountBeforeTheFirstMessageOfTheNextWindow() {
        AtomicLong now = new AtomicLong(1_000);
        RateLimit rl = new RateLimit(now::get);
        List<Long> reports = new ArrayList<>();
        int printed = 0;
        for (int i = 0; i < RateLimit.BURST + 2; i++) {
            printed += rl.ratelimit(reports::add) ? 1 : 0;
        }
        assertEquals(RateLimit.BURST, printed);
        assertTrue(reports.isEmpty(), "nothing is reported inside the window");
        now.addAndGet(RateLimit.INTERVAL_NANOS);
        assertTrue(rl.ratelimit(reports::add));
        assertEquals(List.of(2L), reports);
        assertTrue(rl.ratelimit(reports::add));
        assertEquals(List.of(2L), reports, "reported once");
    }

    @Test
    void bitfields() {
        assertEquals(0x0000_0FF0, Bits.genmask(11, 4));
        assertEquals(0xFFFF_FFFF, Bits.genmask(31, 0));
        assertEquals(0xAB, Bits.get(0x0000_FF00, 0x1234_AB56));
        assertEquals(0x0000_0500, Bits.prep(0x0000_0F00, 0x15), "FIELD_PREP masks what does not fit");
    }

    @Test
    void forEachSetBitWalksEveryWordLowestFirstAndStopsAtNbits() {
        long[] m = Bitmap.zalloc(256);
        assertEquals(4, m.length, "BITS_TO_LONGS(256)");
        for (int nr : new int[] {0, 31, 32, 40, 63, 64, 255}) {
            Bitmap.set(m, nr);
        }
        List<Integer> seen = new ArrayList<>();
        Bitmap.forEachSetBit(m, 256, seen::add);
        assertEquals(List.of(0, 31, 32, 40, 63, 64, 255), seen);
        seen.clear();
        Bitmap.forEachSetBit(m, 64, seen::add);
        assertEquals(List.of(0, 31, 32, 40, 63), seen, "bits at or above nbits are not walked");
        assertEquals(63, Bitmap.findNextBit(m, 64, 41));
        assertEquals(63, Bitmap.findNextBit(m, 63, 41), "none below nbits: nbits, as find_next_bit");
        assertEquals(300, Bitmap.findNextBit(m, 300, 256), "nbits beyond the array: still nbits");
        assertEquals(32, Bitmap.findNextBit(m, 256, 32), "offset itself counts");
        assertEquals(0, Bitmap.findFirstBit(m, 256));
        assertEquals(0, Bitmap.findFirstBit(Bitmap.zalloc(0), 0));
        assertEquals("0 31 32 40 63 64 255", Bitmap.toText(m, 256));
        assertEquals("", Bitmap.toText(Bitmap.zalloc(64), 64));
    }

    @Test
    void testSetRangeAndOr() {
        long[] a = Bitmap.zalloc(128);
        Bitmap.setRange(a, 60, 8);
        assertEquals(0xf000_0000_0000_0000L, a[0]);
        assertEquals(0xfL, a[1]);
        assertTrue(Bitmap.test(a, 67));
        assertFalse(Bitmap.test(a, 68));
        assertFalse(Bitmap.test(a, 128), "outside the array");
        assertFalse(Bitmap.test(a, -1));
        long[] b = Bitmap.zalloc(128);
        Bitmap.set(b, 1);
        Bitmap.or(b, a);
        assertEquals("1 60 61 62 63 64 65 66 67", Bitmap.toText(b, 128));
    }

    @Test
    void thirtyTwoBitWordsAsHardwareRegistersHoldThem() {
        long[] m = Bitmap.zalloc(256);
        for (int nr : new int[] {0, 31, 32, 40, 63, 64, 255}) {
            Bitmap.set(m, nr);
        }
        assertEquals(0x8000_0001, Bitmap.arr32(m, 0));
        assertEquals(0x8000_0101, Bitmap.arr32(m, 1), "bits 32, 40, 63");
        assertEquals(1, Bitmap.arr32(m, 2));
        assertEquals(0x8000_0000, Bitmap.arr32(m, 7));
        int[] words = new int[8];
        for (int i = 0; i < words.length; i++) {
            words[i] = Bitmap.arr32(m, i);
        }
        assertArrayEquals(m, Bitmap.fromArr32(words), "bitmap_from_arr32 undoes bitmap_to_arr32");
        assertEquals("0 31", Bitmap.toText(Bitmap.fromArr32(new int[] {0x8000_0001}), 32));
    }
}
