package io.iommulab.dart.model.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The IOTLB's hash table against a plain FIFO reference: random inserts, lookups and invalidations
 * (single-threaded; the concurrent guarantees are {@link DartIotlbConcurrencyTest}'s). Exercises
 * eviction, tombstones and rebuilds far more than DMA through a board can.
 */
class DartIotlbTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 64})
    void behavesLikeAFifoOfCapacityEntriesPerStream(int capacity) {
        DartIotlb tlb = new DartIotlb(2, capacity);
        Map<Integer, Deque<Long>> order = new HashMap<>();
        Map<Integer, Map<Long, Long>> ref = new HashMap<>();
        for (int sid = 0; sid < 2; sid++) {
            order.put(sid, new ArrayDeque<>());
            ref.put(sid, new HashMap<>());
        }
        Random rnd = new Random(capacity);
        for (int step = 0; step < 20_000; step++) {
            int sid = rnd.nextInt(2);
            long tag = rnd.nextInt(capacity * 3 + 2);
            int op = rnd.nextInt(100);
            Map<Long, Long> r = ref.get(sid);
            Deque<Long> fifo = order.get(sid);
            if (op < 2) {
                tlb.invalidate(sid);
                r.clear();
                fifo.clear();
            } else if (op < 50) {
                DartIotlb.Entry e = tlb.lookup(sid, tag);
                Long pa = r.get(tag);
                assertEquals(pa, e == null ? null : e.pa, "step " + step + " sid " + sid + " tag " + tag);
                if (e == null) {
                    tlb.insert(sid, tlb.epoch(sid), new DartIotlb.Entry(tag, step, 3, 0, 0, 0, 0, null));
                    if (fifo.size() == capacity) {
                        r.remove(fifo.removeFirst());
                    }
                    fifo.addLast(tag);
                    r.put(tag, (long) step);
                }
            } else {
                DartIotlb.Entry e = tlb.lookup(sid, tag);
                assertEquals(r.get(tag), e == null ? null : e.pa, "step " + step);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4})
    void staleEpochOrZeroCapacityCachesNothing(int capacity) {
        DartIotlb tlb = new DartIotlb(1, capacity);
        long epoch = tlb.epoch(0);
        tlb.invalidate(0);
        tlb.insert(0, epoch, new DartIotlb.Entry(7, 0x4000, 3, 0, 0, 0, 0, null));
        assertNull(tlb.lookup(0, 7), "a walk that started before the invalidation is not cached");
        tlb.insert(0, tlb.epoch(0), new DartIotlb.Entry(7, 0x4000, 3, 0, 0, 0, 0, null));
        assertEquals(capacity == 0, tlb.lookup(0, 7) == null);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 8, 64})
    void evictionKeepsExactlyTheNewestEntriesUnderManyCollisions(int capacity) {
        DartIotlb tlb = new DartIotlb(1, capacity);
        java.util.ArrayDeque<Long> reference = new java.util.ArrayDeque<>();
        java.util.Random rnd = new java.util.Random(capacity);
        for (int step = 0; step < 20_000; step++) {
            if (step % 997 == 0) {
                tlb.invalidate(0);
                reference.clear();
            }
            // a small universe of tags whose hashes collide often
            long tag = rnd.nextInt(4 * capacity + 3) * 1024L;
            if (tlb.lookup(0, tag) == null) {
                tlb.insert(0, tlb.epoch(0), new DartIotlb.Entry(tag, tag << 14, 3, 0, 0, 0, 0, null));
                reference.addLast(tag);
                if (reference.size() > capacity) {
                    reference.removeFirst();
                }
            }
            if (step % 101 == 0) {
                for (long u = 0; u < 4 * capacity + 3; u++) {
                    DartIotlb.Entry e = tlb.lookup(0, u * 1024L);
                    assertEquals(reference.contains(u * 1024L), e != null, "step " + step + " tag " + u * 1024L);
                    if (e != null) {
                        assertEquals(u * 1024L << 14, e.pa);
                    }
                }
            }
        }
    }
}
