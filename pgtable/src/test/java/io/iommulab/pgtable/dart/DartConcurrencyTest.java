package io.iommulab.pgtable.dart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Concurrent map/unmap of disjoint ranges of one table. The threads' chunks interleave inside
 * the same leaf tables, so they race to install the same intermediate tables.
 */
class DartConcurrencyTest {

    private static final int THREADS = 4;
    private static final int OPS = 10_000;
    private static final int CHUNK = 8;
    private static final int CHUNKS_PER_THREAD = 512;

    @ParameterizedTest(name = "{0} pg=0x{1} ias={2}")
    @CsvSource({"apple-dart, 4000, 32", "apple-dart, 1000, 32", "apple-dart, 1000, 36", "apple-dart2, 4000, 42"})
    void disjointRangesFromFourThreads(String name, String pgHex, int ias) throws Exception {
        DartFormat f = DartFormat.byName(name);
        DartTestSupport s = f == DartFormat.DART1 ? DartTestSupport.dart1() : DartTestSupport.dart2();
        long pg = Long.parseLong(pgHex, 16);
        long paBase = f == DartFormat.DART1 ? 0x4_0000_0000L : 0x200_0000_0000L;
        DartPageTable ops = (DartPageTable) f.alloc(PageTableConfig.of(pg, ias, f.oas()), s.ctx);
        // group g holds one chunk of each thread, side by side; groups are spread over the whole space
        long groupStride = ((1L << ias) / CHUNKS_PER_THREAD) & ~(pg - 1);
        long[][] oracle = new long[THREADS][CHUNKS_PER_THREAD * CHUNK];
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    start.await();
                    SplittableRandom r = new SplittableRandom(1234 + me);
                    long[] mine = oracle[me];
                    for (int op = 0; op < OPS; op++) {
                        int c = r.nextInt(CHUNKS_PER_THREAD);
                        int first = r.nextInt(CHUNK);
                        int n = 1 + r.nextInt(CHUNK - first);
                        long iova = c * groupStride + ((long) me * CHUNK + first) * pg;
                        int slot = c * CHUNK + first;
                        if (r.nextBoolean()) {
                            boolean busy = false;
                            for (int k = 0; k < n; k++) {
                                busy |= mine[slot + k] != 0;
                            }
                            long pa = paBase + (r.nextLong(1 << 16) << 16);
                            try {
                                long bytes = 0;
                                while (bytes < n * pg) {
                                    bytes += ops.mapPages(iova + bytes, pa + bytes, pg, n - bytes / pg, Prot.READ);
                                }
                                if (busy) {
                                    throw new AssertionError("map over a mapped page succeeded at 0x" + Long.toHexString(iova));
                                }
                                for (int k = 0; k < n; k++) {
                                    mine[slot + k] = pa + k * pg;
                                }
                            } catch (IommuException e) {
                                if (!busy) {
                                    throw e;
                                }
                            }
                        } else {
                            int k = 0;
                            while (k < n && mine[slot + k] != 0) {
                                mine[slot + k++] = 0;
                            }
                            long got = ops.unmapPages(iova, pg, n, null);
                            if (got != k * pg) {
                                throw new AssertionError("unmap at 0x" + Long.toHexString(iova) + " returned " + got
                                        + ", expected " + k * pg);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
        } finally {
            pool.shutdown();
        }
        long mapped = 0;
        for (int t = 0; t < THREADS; t++) {
            for (int c = 0; c < CHUNKS_PER_THREAD; c++) {
                for (int k = 0; k < CHUNK; k++) {
                    long iova = c * groupStride + ((long) t * CHUNK + k) * pg;
                    long want = oracle[t][c * CHUNK + k];
                    assertEquals(want == 0 ? 0 : want + 3, ops.iovaToPhys(iova + 3), "IOVA 0x" + Long.toHexString(iova));
                    mapped += want != 0 ? 1 : 0;
                }
            }
        }
        assertEquals(true, mapped > 0);
        assertEquals(ops.countTablesByWalking(), ops.tablePages());
        assertEquals(ops.tablePages() * (pg >> 12), s.allocator.pagesInUse());
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }
}
