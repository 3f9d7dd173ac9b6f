package io.iommulab.pgtable.lpae;

import static io.iommulab.api.Prot.CACHE;
import static io.iommulab.api.Prot.NOEXEC;
import static io.iommulab.api.Prot.READ;
import static io.iommulab.api.Prot.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArmLpaeS1OpsTest {

    private static final long K4 = 1L << 12;
    private static final long M2 = 1L << 21;
    private static final long G1 = 1L << 30;
    private static final long BITMAP_4K = K4 | M2 | G1;
    private static final int RW = READ | WRITE;

    private final LpaeFixture f = new LpaeFixture();

    private static Errno errno(Runnable r) {
        return assertThrows(IommuException.class, r::run).errno();
    }

    private byte[] snapshot(long pa, int len) {
        byte[] b = new byte[len];
        f.memory.read(pa, b, 0, len);
        return b;
    }

    /** io-pgtable selftest shape, per granule: every page size maps, refuses overlap, translates, unmaps, remaps. */
    @ParameterizedTest(name = "bitmap {0}, IAS {1}")
    @CsvSource({"0x40201000, 48", "0x40201000, 39", "0x40201000, 32", "0x02004000, 48", "0x02004000, 36",
            "0x20010000, 48", "0x20010000, 42"})
    void selftestPerPageSize(String bitmap, int ias) {
        ArmLpaeS1PageTable ops = f.alloc(Long.decode(bitmap), ias, 48);
        long sizes = ops.state().config().pgsizeBitmap();
        assertEquals(0, ops.iovaToPhys(42));
        long iova = 0;
        for (long s = sizes; s != 0; s &= s - 1) {
            long size = Long.lowestOneBit(s);
            iova = (iova + size - 1) & -size;
            assertEquals(size, ops.mapPages(iova, iova, size, 1, RW | NOEXEC | CACHE));
            assertEquals(Errno.EEXIST, errno(() -> ops.mapPages(iova0(ops, size, sizes), iova0(ops, size, sizes) + size, size, 1, RW)));
            assertEquals(iova + 42, ops.iovaToPhys(iova + 42));
            iova += size;
        }
        iova = 0;
        for (long s = sizes; s != 0; s &= s - 1) {
            long size = Long.lowestOneBit(s);
            iova = (iova + size - 1) & -size;
            assertEquals(size, ops.unmapPages(iova, size, 1, null));
            assertEquals(0, ops.iovaToPhys(iova + 42));
            assertEquals(size, ops.mapPages(iova, iova, size, 1, RW));
            assertEquals(iova + 42, ops.iovaToPhys(iova + 42));
            iova += size;
        }
        long last = (1L << ias) - Long.lowestOneBit(sizes);
        assertEquals(Long.lowestOneBit(sizes), ops.mapPages(last, 0x1000_0000L, Long.lowestOneBit(sizes), 1, READ));
        assertEquals(0x1000_0000L + 7, ops.iovaToPhys(last + 7));
        assertEquals(Errno.ERANGE, errno(() -> ops.mapPages(1L << ias, 0, Long.lowestOneBit(sizes), 1, READ)));
        ops.free();
        assertEquals(0, f.pages.pagesInUse());
    }

    /** the IOVA where the page of {@code size} was just mapped (each size sits at the next aligned IOVA) */
    private static long iova0(ArmLpaeS1PageTable ops, long size, long sizes) {
        long iova = 0;
        for (long s = sizes; s != 0; s &= s - 1) {
            long sz = Long.lowestOneBit(s);
            iova = (iova + sz - 1) & -sz;
            if (sz == size) {
                return iova;
            }
            iova += sz;
        }
        throw new AssertionError();
    }

    @Test
    void mapErrors() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 40);
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0, 0x2000, 1, RW)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0, 0x4000, 1, RW)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0, 0, 1, RW)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0, K4, 1, 0)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0, K4, 1, CACHE | NOEXEC)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0x800, 0, K4, 1, RW)));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapPages(0, 0x1000, M2, 1, RW)));
        assertEquals(Errno.ERANGE, errno(() -> ops.mapPages(0, 1L << 40, K4, 1, RW)));
        assertEquals(Errno.ERANGE, errno(() -> ops.mapPages(0, (1L << 40) - K4, K4, 2, RW)), "run ends beyond OAS");
        assertEquals(Errno.ERANGE, errno(() -> ops.mapPages(1L << 48, 0, K4, 1, RW)));
        assertEquals(Errno.ERANGE, errno(() -> ops.mapPages(-K4, 0, K4, 1, RW)));
        IommuException e = assertThrows(IommuException.class, () -> ops.mapPages(0x5000, 1L << 40, K4, 1, RW));
        assertTrue(e.getMessage().contains("PA 0x10000000000 beyond the 40-bit OAS"), e.getMessage());
        assertEquals(1, ops.tablePages(), "failed maps allocate nothing");
        assertEquals(0, ops.mapPages(0, 0, K4, 0, RW));
    }

    @Test
    void mapStopsAtTheEndOfTheLeafTable() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(2 * K4, ops.mapPages(510 * K4, 0x10_0000L, K4, 5, RW));
        assertEquals(3 * K4, ops.mapPages(512 * K4, 0x10_2000L, K4, 3, RW));
        for (int i = 0; i < 5; i++) {
            assertEquals(0x10_0000L + i * K4, ops.iovaToPhys((510 + i) * K4));
        }
        // a 4-entry top table (IAS 32) ends a run of 1 GiB blocks at the end of the input space
        ArmLpaeS1PageTable small = f.alloc(BITMAP_4K, 32, 48);
        assertEquals(2 * G1, small.mapPages(2 * G1, 0, G1, 8, RW));
        assertEquals(Errno.ERANGE, errno(() -> small.mapPages(4 * G1, 0, G1, 1, RW)));
    }

    @Test
    void eexistWritesNothing() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(4 * K4, ops.mapPages(0x10_0000L + 4 * K4, 0x20_0000L, K4, 4, RW));
        long leafTable = f.entry(ops, 0x10_0000L, 2) & ~0xFFFL;
        byte[] before = snapshot(leafTable, 4096);
        long tables = ops.tablePages();
        IommuException e = assertThrows(IommuException.class,
                () -> ops.mapPages(0x10_0000L, 0x30_0000L, K4, 8, RW));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("IOVA 0x104000 already mapped"), e.getMessage());
        assertArrayEquals(before, snapshot(leafTable, 4096));
        assertEquals(0, ops.iovaToPhys(0x10_0000L));
        assertEquals(tables, ops.tablePages());

        // a block over a table with live pages below it: EEXIST, nothing freed or written
        byte[] l2 = snapshot(f.entry(ops, 0x10_0000L, 1) & ~0xFFFL, 4096);
        assertEquals(Errno.EEXIST, errno(() -> ops.mapPages(0, 0x4000_0000L, M2, 1, RW)));
        assertArrayEquals(l2, snapshot(f.entry(ops, 0x10_0000L, 1) & ~0xFFFL, 4096));
        assertEquals(tables, ops.tablePages());

        // a page under an existing block: EEXIST at the block's level
        ops.mapPages(0x4000_0000L, 0x4000_0000L, M2, 1, RW);
        tables = ops.tablePages();
        assertEquals(Errno.EEXIST, errno(() -> ops.mapPages(0x4000_1000L, 0, K4, 1, RW)));
        assertEquals(tables, ops.tablePages());
        assertEquals(0x4000_1000L, ops.iovaToPhys(0x4000_1000L));
    }

    @Test
    void blockReplacesAnEmptySubTable() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        ops.mapPages(0x20_0000L + K4, 0x50_0000L, K4, 1, RW);
        assertEquals(4, ops.tablePages());
        assertEquals(K4, ops.unmapPages(0x20_0000L + K4, K4, 1, null));
        assertEquals(4, ops.tablePages(), "unmap keeps the emptied leaf table");
        long used = f.pages.pagesInUse();
        f.flush.calls.clear();

        assertEquals(M2, ops.mapPages(0x20_0000L, 0x60_0000L, M2, 1, RW));
        assertEquals(3, ops.tablePages());
        assertEquals(used - 1, f.pages.pagesInUse());
        assertEquals(List.of("walk 0x200000 0x200000 0x1000"), f.flush.calls);
        assertEquals(0x60_0000L + 0x1234, ops.iovaToPhys(0x20_1234L));
        assertEquals(0x60_0E41L, f.entry(ops, 0x20_0000L, 2));

        // a 1 GiB block over an L2 table holding only empty tables frees both levels
        ops.mapPages(0x4000_0000L, 0, K4, 1, RW);
        ops.unmapPages(0x4000_0000L, K4, 1, null);
        assertEquals(5, ops.tablePages());
        f.flush.calls.clear();
        assertEquals(G1, ops.mapPages(0x4000_0000L, 0x8000_0000L, G1, 1, RW));
        assertEquals(3, ops.tablePages());
        assertEquals(List.of("walk 0x40000000 0x40000000 0x1000"), f.flush.calls);
        assertEquals(0x8000_0000L + 0x1000, ops.iovaToPhys(0x4000_1000L));
        // the first GiB still holds a live block below it
        assertEquals(Errno.EEXIST, errno(() -> ops.mapPages(0, 0x8000_0000L, G1, 1, RW)));
    }

    @Test
    void partialUnmapOfABlockReturnsZero() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        ops.mapPages(0x4000_0000L, 0x4000_0000L, G1, 1, RW);
        assertEquals(0, ops.unmapPages(0x4000_0000L, K4, 1, null));
        assertEquals(0, ops.unmapPages(0x4010_0000L, M2, 4, null));
        assertEquals(0x4000_1000L, ops.iovaToPhys(0x4000_1000L));
        assertEquals(0, f.flush.count("page"));
        assertEquals(G1, ops.unmapPages(0x4000_0000L, G1, 1, null));
        assertEquals(0, ops.iovaToPhys(0x4000_1000L));
    }

    @Test
    void unmappingABlockRangeMappedByPagesFreesTheSubTable() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        assertEquals(512 * K4, ops.mapPages(0x40_0000L, 0x100_0000L, K4, 512, RW));
        assertEquals(3 * K4, ops.mapPages(0x60_0000L + 5 * K4, 0x100_0000L, K4, 3, RW));
        assertEquals(5, ops.tablePages());
        LpaeFixture.Gather gather = new LpaeFixture.Gather();
        assertEquals(2 * M2, ops.unmapPages(0x40_0000L, M2, 2, gather));
        assertEquals(3, ops.tablePages());
        assertEquals(List.of("walk 0x400000 0x200000 0x1000", "walk 0x600000 0x200000 0x1000",
                "page 0x400000 0x200000", "page 0x600000 0x200000"), f.flush.calls);
        assertEquals(0x40_0000L, gather.start());
        assertEquals(0x7F_FFFFL, gather.end());
        assertEquals(0, ops.iovaToPhys(0x40_0000L));
        assertEquals(0, ops.iovaToPhys(0x60_5000L));
    }

    @Test
    void unmapStopsAtTheFirstHoleAndAtTheTableEnd() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        ops.mapPages(0, 0x10_0000L, K4, 4, RW);
        ops.mapPages(5 * K4, 0x10_0000L, K4, 1, RW);
        LpaeFixture.Gather gather = new LpaeFixture.Gather();
        assertEquals(4 * K4, ops.unmapPages(0, K4, 8, gather));
        assertEquals(4, f.flush.count("page"));
        assertEquals(K4, gather.pgsize());
        assertEquals(0x3FFFL, gather.end());
        assertEquals(0x10_0000L, ops.iovaToPhys(5 * K4));
        assertEquals(0, ops.unmapPages(0, K4, 1, null), "empty entry");
        assertEquals(0, ops.unmapPages(1L << 40, K4, 1, null), "no table there");
        assertEquals(0, ops.unmapPages(1L << 48, K4, 1, null), "beyond IAS");
        assertEquals(0, ops.unmapPages(5 * K4, 0x2000, 1, null), "size not in the bitmap");

        ops.mapPages(510 * K4, 0, K4, 4, RW);
        ops.mapPages(512 * K4, 0, K4, 2, RW);
        assertEquals(2 * K4, ops.unmapPages(510 * K4, K4, 4, null), "short count at the leaf-table boundary");

        // a queued gather takes no per-page flushes (the flush queue invalidates the whole context)
        f.flush.calls.clear();
        LpaeFixture.Gather queued = new LpaeFixture.Gather();
        queued.queued = true;
        assertEquals(2 * K4, ops.unmapPages(512 * K4, K4, 2, queued));
        assertEquals(0, f.flush.count("page"));
    }

    @Test
    void enomemWithPartialBytes() {
        LpaeFixture small = new LpaeFixture(3 * 4096);
        ArmLpaeS1PageTable ops = small.alloc(BITMAP_4K, 48, 48);
        IommuException e = assertThrows(IommuException.class, () -> ops.mapPages(0, 0, K4, 1, RW));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(0, e.partialBytes());
        assertTrue(e.getMessage().contains("level-3 table at IOVA 0x0"), e.getMessage());
        assertEquals(3, ops.tablePages());
        assertEquals(3, small.pages.pagesInUse());
        assertEquals(M2, ops.mapPages(0, 0, M2, 1, RW), "a block still fits");
        ops.free();
        assertEquals(0, small.pages.pagesInUse());
    }

    @Test
    void freeReturnsEveryPage() {
        long baseline = f.pages.pagesInUse();
        for (long bitmap : new long[] {BITMAP_4K, 0x0200_4000L, 0x2001_0000L}) {
            ArmLpaeS1PageTable ops = f.alloc(bitmap, 48, 48);
            long g = ops.geometry().granule();
            Random rnd = new Random(bitmap);
            for (int i = 0; i < 200; i++) {
                long iova = (rnd.nextLong() & ((1L << 48) - 1)) & -g;
                try {
                    ops.mapPages(iova, iova & ((1L << 40) - 1), g, 1 + rnd.nextInt(4), RW);
                } catch (IommuException e) {
                    assertEquals(Errno.EEXIST, e.errno());
                }
            }
            long block = Long.highestOneBit(ops.state().config().pgsizeBitmap());
            ops.mapPages(block * 3, 0, block, 1, RW);
            assertTrue(ops.tablePages() > 100);
            assertEquals(ops.tablePages() * g / 4096, f.pages.pagesInUse() - baseline);
            f.flush.calls.clear();
            ops.free();
            assertEquals(List.of("all"), f.flush.calls);
            assertEquals(baseline, f.pages.pagesInUse());
        }
    }

    @Test
    void attachReopensWithoutTouchingMemoryAndFreesEverything() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 39, 44);
        ops.mapPages(0x1000, 0x9000, K4, 3, RW);
        ops.mapPages(0x4000_0000L, 0x4000_0000L, M2, 2, READ);
        ops.mapPages(0x1_0000_0000L, 0x1_0000_0000L, K4, 1, RW);
        PageTableState state = ops.state();
        long tables = ops.tablePages();
        long used = f.pages.pagesInUse();
        byte[] top = snapshot(state.ttbrs()[0], 4096);

        PageTableOps again = f.format.attach(state, f.ctx);
        assertEquals(state, again.state());
        assertEquals(tables, again.tablePages());
        assertEquals(used, f.pages.pagesInUse());
        assertArrayEquals(top, snapshot(state.ttbrs()[0], 4096));
        assertEquals(0x9000L + 0x1FFF, again.iovaToPhys(0x2FFF));
        assertEquals(0x4020_0010L, again.iovaToPhys(0x4020_0010L));

        // the re-opened table keeps working, then returns every page, the ones mapped before too
        again.mapPages(0x20_0000L, 0x20_0000L, K4, 1, RW);
        assertEquals(K4, again.unmapPages(0x1_0000_0000L, K4, 1, null));
        again.free();
        assertEquals(0, f.pages.pagesInUse());
    }

    @Test
    void attachRejectsForeignState() {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        PageTableState s = ops.state();
        assertEquals(Errno.EINVAL, errno(() -> f.format.attach(new PageTableState("apple-dart", s.config(), s.ttbrs(),
                s.levels(), s.hw()), f.ctx)));
        assertEquals(Errno.EINVAL, errno(() -> f.format.attach(new PageTableState(s.format(), s.config(), s.ttbrs(),
                3, s.hw()), f.ctx)));
        assertEquals(Errno.EINVAL, errno(() -> f.format.attach(new PageTableState(s.format(), s.config(),
                new long[] {s.ttbrs()[0] + 8}, s.levels(), s.hw()), f.ctx)));
        Map<String, Long> hw = new java.util.HashMap<>(s.hw());
        hw.put("tcr.tg0", 2L);
        assertEquals(Errno.EINVAL, errno(() -> f.format.attach(new PageTableState(s.format(), s.config(), s.ttbrs(),
                s.levels(), hw), f.ctx)));
        assertEquals(Errno.EINVAL, errno(() -> f.format.attach(new PageTableState(s.format(),
                s.config().withPgsizeBitmap(0xFFFFF000L), s.ttbrs(), s.levels(), s.hw()), f.ctx)));
        assertEquals(1, f.pages.pagesInUse());
    }

    /**
     * Four threads map and unmap interleaved pages (thread t owns every page whose index is t mod 4),
     * so they race to install the same leaf tables; every translation must hold and the losers'
     * tables must go back to the allocator.
     */
    @Test
    void concurrentDisjointRanges() throws Exception {
        ArmLpaeS1PageTable ops = f.alloc(BITMAP_4K, 48, 48);
        int threads = 4;
        int regions = 256;
        CyclicBarrier barrier = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    barrier.await();
                    for (int round = 0; round < 3; round++) {
                        for (int r = 0; r < regions; r++) {
                            long iova = r * M2 + (r % 7) * G1 + id * K4;
                            assertEquals(K4, ops.mapPages(iova, pa(iova), K4, 1, RW));
                            assertEquals(pa(iova) + 5, ops.iovaToPhys(iova + 5));
                        }
                        if (round < 2) {
                            for (int r = 0; r < regions; r++) {
                                long iova = r * M2 + (r % 7) * G1 + id * K4;
                                assertEquals(K4, ops.unmapPages(iova, K4, 1, null));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> fu : futures) {
                fu.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int r = 0; r < regions; r++) {
            for (int t = 0; t < threads; t++) {
                long iova = r * M2 + (r % 7) * G1 + t * K4;
                assertEquals(pa(iova), ops.iovaToPhys(iova));
            }
        }
        // L0 + one L1 + 7 L2 (one per GiB) + one leaf table per region; every loser freed its copy
        assertEquals(1 + 1 + 7 + regions, ops.tablePages());
        assertEquals(ops.tablePages(), f.pages.pagesInUse());
        ops.free();
        assertEquals(0, f.pages.pagesInUse());
    }

    private static long pa(long iova) {
        return (iova * 3) & ((1L << 40) - 1) & -K4;
    }
}
