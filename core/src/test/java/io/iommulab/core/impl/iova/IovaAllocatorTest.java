package io.iommulab.core.impl.iova;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class IovaAllocatorTest {

    @Test
    void topDownAndSizeAligned() {
        IovaAllocator a = new IovaAllocator(0x1000, 1, 0xfff); // pfns 1..0xfff
        assertEquals(0xfff, a.allocFast(1, 0xfff));
        assertEquals(0xffe, a.allocFast(1, 0xfff));
        // 4 pages: aligned to 4, highest such below what is taken
        assertEquals(0xff8, a.allocFast(4, 0xfff));
        // 3 pages are rounded to 4 (cacheable size) and aligned to 4
        assertEquals(0xff4, a.allocFast(3, 0xfff));
        // 40 pages (above the cached sizes): not rounded, aligned to 64
        long p = a.allocFast(40, 0xfff);
        assertEquals(0, p % 64);
        assertEquals(0xfc0, p, "ends below 0xff4, the lowest range taken");
        // a limit puts it lower
        assertEquals(0x7ff, a.allocFast(1, 0x7ff));
        assertEquals(0x7fe, a.alloc(1, 0x7ff, true));
    }

    @Test
    void forRangeKeepsPfnZeroOut() {
        IovaAllocator a = IovaAllocator.forRange(0x4000, 0, (1L << 30) - 1);
        assertEquals(1, a.startPfn());
        assertEquals((1L << 30) / 0x4000 - 1, a.endPfn());
    }

    @Test
    void cachedSizesComeBackWithoutTheTree() {
        IovaAllocator a = new IovaAllocator(0x1000, 1, 0xffff);
        long p = a.allocFast(2, 0xffff);
        assertEquals(1, a.allocatedRanges());
        a.freeFast(p, 2);
        assertEquals(1, a.cachedRanges());
        assertEquals(1, a.allocatedRanges(), "a cached range stays in the tree: it cannot be handed out twice");
        assertEquals(p, a.allocFast(2, 0xffff), "same size: straight from the cache");
        assertEquals(0, a.cachedRanges());
        // a cached range above the limit is not used
        a.freeFast(p, 2);
        long low = a.allocFast(2, 0x7fff);
        assertTrue(low + 1 <= 0x7fff);
        assertEquals(1, a.cachedRanges());
        // not cached: bigger than 32 granules
        long big = a.allocFast(64, 0xffff);
        a.freeFast(big, 64);
        assertEquals(1, a.cachedRanges());
        assertNull(a.find(big));
    }

    @Test
    void exhaustionIsEnomemAfterFlushingCaches() {
        IovaAllocator a = new IovaAllocator(0x1000, 1, 16);
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            got.add(a.allocFast(1, 16));
        }
        IommuException e = assertThrows(IommuException.class, () -> a.allocFast(1, 16));
        assertEquals(Errno.ENOMEM, e.errno());
        // 8 single pages freed into the cache: a 2-page request flushes the caches and then fits
        for (int i = 0; i < 16; i += 2) {
            a.freeFast(got.get(i), 1);
        }
        a.freeFast(got.get(1), 1);
        assertEquals(9, a.cachedRanges());
        long two = a.allocFast(2, 16);
        assertEquals(0, a.cachedRanges());
        assertEquals(0, two % 2, "size-aligned");
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> a.allocFast(8, 16)).errno());
    }

    @Test
    void freeOfAnUnknownRangeIsRefused() {
        IovaAllocator a = new IovaAllocator(0x1000, 1, 100);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> a.free(5)).errno());
    }

    @Test
    void randomizedAllocFreeNeverOverlaps() {
        Random rnd = new Random(1234);
        IovaAllocator a = new IovaAllocator(0x1000, 1, 0x3fff);
        TreeMap<Long, Long> live = new TreeMap<>();
        List<long[]> order = new ArrayList<>();
        for (int step = 0; step < 20000; step++) {
            if (!order.isEmpty() && (rnd.nextInt(3) == 0 || step % 97 == 0)) {
                long[] r = order.remove(rnd.nextInt(order.size()));
                live.remove(r[0]);
                a.freeFast(r[0], r[1]);
                continue;
            }
            long pages = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 100);
            long limit = rnd.nextInt(4) == 0 ? 0x1fff : 0x3fff;
            long pfn;
            try {
                pfn = a.allocFast(pages, limit);
            } catch (IommuException e) {
                assertEquals(Errno.ENOMEM, e.errno());
                continue;
            }
            long size = IovaAllocator.roundSize(pages);
            long align = Long.highestOneBit(size) == size ? size : Long.highestOneBit(size) << 1;
            assertEquals(0, pfn % align, "size-aligned");
            assertTrue(pfn >= 1 && pfn + size - 1 <= limit, "inside the limit");
            var below = live.floorEntry(pfn + size - 1);
            assertTrue(below == null || below.getValue() < pfn, "overlaps a live range at pfn 0x" + Long.toHexString(pfn));
            live.put(pfn, pfn + size - 1);
            order.add(new long[] {pfn, pages});
        }
        assertFalse(live.isEmpty());
    }

    @Test
    void reservedRangesAreSkippedMergedAndCannotBeFreed() {
        IovaAllocator a = new IovaAllocator(0x1000, 1, 0xfff);
        a.reserve(0xffc, 0xfff);
        a.reserve(0xffa, 0xffc); // touches the first: merged
        assertEquals(0xff9, a.allocFast(1, 0xfff), "top-down allocation starts below the reservation");
        assertEquals(1, a.allocatedPfns());
        assertEquals(1, a.allocatedRanges(), "reservations are not allocations");
        IommuException e = assertThrows(IommuException.class, () -> a.free(0xffa));
        assertEquals(Errno.EINVAL, e.errno());
        IommuException busy = assertThrows(IommuException.class, () -> a.reserve(0xff9, 0xff9));
        assertEquals(Errno.EBUSY, busy.errno());
        a.reserve(0xffa, 0xffa); // again, touching the allocation just below: no error
        a.reserve(0x2000, 0x3000); // outside the domain: nothing to do
        assertEquals(1, a.allocatedRanges());
    }
}
