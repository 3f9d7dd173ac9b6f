package io.iommulab.pgtable.dart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableOps;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bit-exact entries for known inputs (dart-facts §2.2). Expected values are written out by hand
 * from the layout tables; table addresses follow from the allocator handing out the lowest free
 * block first (asserted via the TTBR).
 */
class DartEntryTest {

    private static final int RW = Prot.READ | Prot.WRITE;

    @Test
    void dart1LeafAndTableEntries16k() {
        DartTestSupport s = DartTestSupport.dart1();
        PageTableOps ops = DartFormat.DART1.alloc(PageTableConfig.of(0x4000, 32, 36), s.ctx);
        long root = ops.state().ttbrs()[0];
        assertEquals(0x8_0000_0000L, root);
        int[] prots = {RW, Prot.READ, Prot.WRITE, RW | Prot.CACHE, Prot.READ | Prot.NOEXEC | Prot.MMIO | Prot.PRIV};
        long[] leaves = {0x000f_ff08_0004_4003L, 0x000f_ff08_0004_4083L, 0x000f_ff08_0004_4103L,
            0x000f_ff08_0004_4003L, 0x000f_ff08_0004_4083L};
        for (int i = 0; i < prots.length; i++) {
            assertEquals(0x4000, ops.mapPages(0x4000, 0x8_0004_4000L, 0x4000, 1, prots[i]));
            // top index IOVA[35:25] = 0 -> leaf table at the next 16 KiB block
            assertEquals(0x0000_0008_0000_4001L, s.memory.read64(root));
            assertEquals(leaves[i], s.memory.read64(0x8_0000_4000L + 8), "prot " + prots[i]);
            assertEquals(0x8_0004_4000L + 42, ops.iovaToPhys(0x4000 + 42));
            assertEquals(0x4000, ops.unmapPages(0x4000, 0x4000, 1, null));
            assertEquals(0, s.memory.read64(0x8_0000_4000L + 8));
        }
        // Run of pages: each entry's PA advances by one page.
        assertEquals(3 * 0x4000, ops.mapPages(0x8000, 0xF_FFFF_0000L - 0x4000, 0x4000, 3, Prot.READ));
        assertEquals(0x000f_ff0f_fffe_c083L, s.memory.read64(0x8_0000_4000L + 16));
        assertEquals(0x000f_ff0f_ffff_0083L, s.memory.read64(0x8_0000_4000L + 24));
        assertEquals(0x000f_ff0f_ffff_4083L, s.memory.read64(0x8_0000_4000L + 32));
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @Test
    void dart1FourTtbrs4k() {
        DartTestSupport s = DartTestSupport.dart1();
        PageTableOps ops = DartFormat.DART1.alloc(PageTableConfig.of(0x1000, 32, 36), s.ctx);
        long[] ttbrs = ops.state().ttbrs();
        assertEquals(4, ttbrs.length);
        assertEquals(0x8_0000_3000L, ttbrs[3]);
        // TTBR index IOVA[31:30] = 3, level-2 index IOVA[29:21] = 0, leaf index IOVA[20:12] = 5
        assertEquals(0x1000, ops.mapPages(0xC000_5000L, 0x8_1234_5000L, 0x1000, 1, Prot.READ));
        assertEquals(0x0000_0008_0000_4001L, s.memory.read64(ttbrs[3]));
        assertEquals(0x000f_ff08_1234_5083L, s.memory.read64(0x8_0000_4000L + 5 * 8));
        assertEquals(0x8_1234_5123L, ops.iovaToPhys(0xC000_5123L));
        for (int t = 0; t < 3; t++) {
            assertEquals(0, s.memory.read64(ttbrs[t]));
        }
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @Test
    void dart2LeafEntriesAllProtections() {
        DartTestSupport s = DartTestSupport.dart2();
        PageTableOps ops = DartFormat.DART2.alloc(PageTableConfig.of(0x4000, 32, 42), s.ctx);
        long root = ops.state().ttbrs()[0];
        assertEquals(0x100_0000_0000L, root);
        long pa = 0x123_4567_C000L;
        int[] prots = {RW, Prot.READ, Prot.WRITE, Prot.READ | Prot.CACHE, Prot.WRITE | Prot.CACHE, RW | Prot.CACHE,
            RW | Prot.NOEXEC | Prot.MMIO | Prot.PRIV};
        long[] leaves = {0x000f_ff12_3456_7c03L, 0x000f_ff12_3456_7c07L, 0x000f_ff12_3456_7c0bL,
            0x000f_ff12_3456_7c05L, 0x000f_ff12_3456_7c09L, 0x000f_ff12_3456_7c01L, 0x000f_ff12_3456_7c03L};
        for (int i = 0; i < prots.length; i++) {
            assertEquals(0x4000, ops.mapPages(0x4000, pa, 0x4000, 1, prots[i]));
            // table entry: (0x100_0000_4000 >> 4) | VALID
            assertEquals(0x0000_0010_0000_0401L, s.memory.read64(root));
            assertEquals(leaves[i], s.memory.read64(0x100_0000_4000L + 8), "prot " + prots[i]);
            assertEquals(pa + 0x3fff, ops.iovaToPhys(0x7fff));
            assertEquals(0x4000, ops.unmapPages(0x4000, 0x4000, 1, null));
        }
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @Test
    void dart2FourLevels() {
        DartTestSupport s = DartTestSupport.dart2();
        PageTableOps ops = DartFormat.DART2.alloc(PageTableConfig.of(0x4000, 42, 42), s.ctx);
        long root = ops.state().ttbrs()[0];
        assertEquals(4, ops.state().levels());
        long iova = 0x12_3456_C000L;
        // split [46:36] / [35:25] / [24:14]: indices 0x1, 0x11a, 0x15b
        assertEquals(0x4000, ops.mapPages(iova, 0x3ff_ffff_c000L, 0x4000, 1, RW | Prot.CACHE));
        assertEquals(0x0000_0010_0000_0401L, s.memory.read64(root + 0x1 * 8));
        assertEquals(0x0000_0010_0000_0801L, s.memory.read64(0x100_0000_4000L + 0x11a * 8));
        assertEquals(0x000f_ff3f_ffff_fc01L, s.memory.read64(0x100_0000_8000L + 0x15b * 8));
        assertEquals(0x3ff_ffff_c000L + 0x1234, ops.iovaToPhys(iova + 0x1234));
        assertEquals(3, ops.tablePages());
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @Test
    void sharedEncodingMatchesTheLayoutClasses() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int prot = r.nextInt(64);
            long pa1 = r.nextLong(1L << 36) & ~0xfffL;
            long pa2 = r.nextLong(1L << 42) & ~0x3fffL;
            assertEquals(Dart1Pte.leaf(pa1, prot), DartFormat.DART1.leafEntry(pa1, prot));
            assertEquals(Dart2Pte.leaf(pa2, prot), DartFormat.DART2.leafEntry(pa2, prot));
            assertEquals(Dart1Pte.table(pa1), DartFormat.DART1.tableEntry(pa1));
            assertEquals(Dart2Pte.table(pa2), DartFormat.DART2.tableEntry(pa2));
            assertEquals(pa1, DartFormat.DART1.entryToPa(Dart1Pte.leaf(pa1, prot)));
            assertEquals(pa2, DartFormat.DART2.entryToPa(Dart2Pte.leaf(pa2, prot)));
        }
    }
}
