package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Several threads DMA through one DART while another remaps and invalidates: once an invalidation
 * has completed (BUSY read clear), no transaction that starts afterwards may use a dropped
 * translation — neither from the IOTLB nor from a walk that raced with the invalidation.
 */
class DartIotlbConcurrencyTest {
    private static final int ROUNDS = 150;
    private static final int READERS = 3;
    private static final int UNMAPPED = Integer.MAX_VALUE;
    private static final long IOVA = 0x40_0000L;
    /** Pages read beside IOVA so that a 4-entry IOTLB keeps evicting and rebuilding. */
    private static final int OTHER_PAGES = 6;

    @Test
    void noTransactionSeesATranslationDroppedByACompletedInvalidation() throws Exception {
        DartRig rig = new DartRig(option(DART_A, "iotlb-entries", "4"));
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        for (int i = 1; i <= OTHER_PAGES; i++) {
            t.map(IOVA + i * PAGE, rig.allocPage(0xf0));
        }
        t.map(IOVA, rig.allocPage(0));
        MmioWindow w = rig.regs(DART_A);
        DartT8020ModelTest.translate(w, 0x200, 0, 0, t);
        DartT8020ModelTest.translate(w, 0x200, 1, 0, t);
        DmaMaster m = rig.master(DMA_A);

        AtomicInteger published = new AtomicInteger(0);
        AtomicInteger sawUnmapped = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(READERS);
        List<java.util.concurrent.Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            int stream = r % 2;
            readers.add(pool.submit(() -> read(m, stream, published, sawUnmapped, failure)));
        }

        for (int round = 1; round <= ROUNDS && failure.get() == null; round++) {
            t.map(IOVA, rig.allocPage(round));
            DartT8020ModelTest.invalidate(w, 1, 0, 1);
            published.set(round);
        }
        t.unmap(IOVA);
        DartT8020ModelTest.invalidate(w, 1, 0, 1);
        published.set(UNMAPPED);
        while (sawUnmapped.get() < READERS && failure.get() == null) {
            Thread.onSpinWait();
        }
        published.set(-1);
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "readers stopped");
        for (var f : readers) {
            f.get();
        }
        assertNull(failure.get());
        long invalidations = rig.counters(DART_A).get("invalidations");
        assertEquals(ROUNDS + 1L, invalidations);
        assertTrue(rig.counters(DART_A).get("iotlb.hits") > 0, "the IOTLB was used");
    }

    /**
     * Reads IOVA (and a neighbour page) until told to stop. Round {@code g} was published after its
     * invalidation completed, so a read that starts after seeing {@code g} must return data of
     * round {@code g} or later (pages are filled with their round number), or fault once unmapped.
     */
    private static void read(DmaMaster m, int stream, AtomicInteger published, AtomicInteger sawUnmapped,
                             AtomicReference<String> failure) {
        boolean counted = false;
        int i = 0;
        while (failure.get() == null) {
            int g = published.get();
            if (g < 0) {
                return;
            }
            DmaResult r = m.read(stream, IOVA, 1);
            if (g == UNMAPPED) {
                if (r.ok()) {
                    failure.compareAndSet(null, "stream " + stream + " read page of round " + (r.data()[0] & 0xff)
                            + " after the unmap was invalidated");
                } else if (!counted) {
                    counted = true;
                    sawUnmapped.incrementAndGet();
                }
            } else if (!r.ok()) {
                // Only the unmap unmaps; it starts after round ROUNDS is published, so a fault is
                // wrong if that had not happened by the end of this read.
                if (published.get() < ROUNDS) {
                    failure.compareAndSet(null, "stream " + stream + " faulted before the unmap: " + r.fault());
                }
            } else if ((r.data()[0] & 0xff) < g) {
                failure.compareAndSet(null, "stream " + stream + " saw round " + (r.data()[0] & 0xff)
                        + " after round " + g + " was invalidated");
            }
            DmaResult o = m.read(stream, IOVA + (1 + i++ % OTHER_PAGES) * PAGE, 1);
            if (!o.ok() || (o.data()[0] & 0xff) != 0xf0) {
                failure.compareAndSet(null, "stream " + stream + " lost an unchanged page: " + o.fault());
            }
        }
    }
}
