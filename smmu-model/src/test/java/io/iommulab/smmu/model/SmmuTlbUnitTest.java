package io.iommulab.smmu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link SmmuTlb} on its own: leaf sizes, the epoch rule, FIFO order across drops, concurrent readers. */
class SmmuTlbUnitTest {

    private static SmmuTlb.Entry page(int asid, long iova) {
        return new SmmuTlb.Entry(asid, 12, iova, 0x8_0000_0000L + iova, 3, true, false, false, 0, null, 0, 0, null);
    }

    @Test
    void pagesAndBlocksOfSeveralSizesAndAsids() {
        SmmuTlb tlb = new SmmuTlb(8);
        SmmuTlb.Entry p = page(1, 0x1000);
        SmmuTlb.Entry b = new SmmuTlb.Entry(1, 21, 0x20_0000, 0x8_1000_0000L, 2, true, true, false, 0, null, 0, 0, null);
        SmmuTlb.Entry g = new SmmuTlb.Entry(2, 30, 0x4000_0000L, 0x8_0000_0000L, 1, true, false, false, 0, null, 0, 0, null);
        tlb.insert(tlb.epoch(), p);
        tlb.insert(tlb.epoch(), b);
        tlb.insert(tlb.epoch(), g);
        assertSame(p, tlb.lookup(1, 0x1fff));
        assertSame(b, tlb.lookup(1, 0x3f_ffff));
        assertSame(g, tlb.lookup(2, 0x7fff_ffffL));
        assertNull(tlb.lookup(2, 0x1000), "ASID 2 has no page at 0x1000");
        assertNull(tlb.lookup(1, 0x2000));
        tlb.invalidateVa(1, 0x2f_f000);
        assertNull(tlb.lookup(1, 0x20_0000), "a by-VA invalidation inside the block drops it");
        assertSame(p, tlb.lookup(1, 0x1000));
        tlb.invalidateVaAllAsids(0x4123_4000L);
        assertNull(tlb.lookup(2, 0x4000_0000L));
        assertEquals(1, tlb.size());
        tlb.invalidateAll();
        assertEquals(0, tlb.size());
    }

    @Test
    void aWalkThatStartedBeforeAnInvalidationIsNotCached() {
        SmmuTlb tlb = new SmmuTlb(8);
        long epoch = tlb.epoch();
        tlb.invalidateAsid(7);
        tlb.insert(epoch, page(1, 0x1000));
        assertNull(tlb.lookup(1, 0x1000), "even an invalidation that dropped nothing moves the epoch");
        tlb.insert(tlb.epoch(), page(1, 0x1000));
        assertNotNull(tlb.lookup(1, 0x1000));
        SmmuTlb none = new SmmuTlb(0);
        none.insert(none.epoch(), page(1, 0x1000));
        assertNull(none.lookup(1, 0x1000), "capacity 0 caches nothing");
    }

    @Test
    void fifoOrderSurvivesDrops() {
        SmmuTlb tlb = new SmmuTlb(3);
        for (long va : new long[] {0x1000, 0x2000, 0x3000}) {
            tlb.insert(tlb.epoch(), page(1, va));
        }
        tlb.invalidateVa(1, 0x2000);
        tlb.insert(tlb.epoch(), page(1, 0x4000));
        assertEquals(3, tlb.size());
        tlb.insert(tlb.epoch(), page(1, 0x5000));
        assertNull(tlb.lookup(1, 0x1000), "the oldest goes first");
        assertNotNull(tlb.lookup(1, 0x3000));
        assertNotNull(tlb.lookup(1, 0x4000));
        assertNotNull(tlb.lookup(1, 0x5000));
        tlb.insert(tlb.epoch(), page(1, 0x6000));
        assertNull(tlb.lookup(1, 0x3000));
        tlb.insert(tlb.epoch(), page(1, 0x4000));
        assertEquals(3, tlb.size(), "a page already cached is not added twice");
    }

    @Test
    void concurrentReadersSeeOnlyEntriesForTheirAddress() throws InterruptedException {
        SmmuTlb tlb = new SmmuTlb(16);
        AtomicReference<String> wrong = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < 200_000 && wrong.get() == null; i++) {
                    long va = (i % 64) * 0x1000L;
                    SmmuTlb.Entry e = tlb.lookup(1, va);
                    if (e != null && (e.vpn != va >>> 12 || e.pa != 0x8_0000_0000L + va)) {
                        wrong.set("lookup of 0x" + Long.toHexString(va) + " returned vpn 0x" + Long.toHexString(e.vpn));
                    }
                }
            });
            readers.add(t);
            t.start();
        }
        for (int i = 0; i < 20_000; i++) {
            long va = (i * 7 % 64) * 0x1000L;
            tlb.insert(tlb.epoch(), page(1, va));
            if (i % 5 == 0) {
                tlb.invalidateVa(1, va);
                assertNull(tlb.lookup(1, va), "gone once the invalidation returned");
            }
        }
        for (Thread t : readers) {
            t.join();
        }
        assertNull(wrong.get(), wrong.get());
        assertTrue(tlb.size() <= 16);
    }
}
