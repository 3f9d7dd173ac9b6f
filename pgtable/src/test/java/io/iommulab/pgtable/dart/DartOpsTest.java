package io.iommulab.pgtable.dart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** map/unmap/iova_to_phys/free/attach semantics (dart-facts §2.3), over the main configurations. */
class DartOpsTest {

    private static final int RW = Prot.READ | Prot.WRITE;

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("apple-dart", 0x4000L, 32),
                Arguments.of("apple-dart", 0x1000L, 32),
                Arguments.of("apple-dart", 0x1000L, 36),
                Arguments.of("apple-dart2", 0x4000L, 36),
                Arguments.of("apple-dart2", 0x4000L, 42));
    }

    private DartTestSupport s;
    private DartFormat f;
    private long pg;
    private long entries;
    private long paBase;

    private DartPageTable open(String name, long pgsize, int ias) {
        f = DartFormat.byName(name);
        s = f == DartFormat.DART1 ? DartTestSupport.dart1() : DartTestSupport.dart2();
        pg = pgsize;
        entries = pgsize / 8;
        paBase = f == DartFormat.DART1 ? 0x4_0000_0000L : 0x200_0000_0000L;
        return (DartPageTable) f.alloc(PageTableConfig.of(pgsize, ias, f.oas()), s.ctx);
    }

    private long[] leafTableSnapshot(DartPageTable ops, long iova) {
        long start = iova & ~(entries * pg - 1);
        long[] out = new long[(int) entries];
        for (int i = 0; i < entries; i++) {
            out[i] = ops.iovaToPhys(start + i * pg);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void invalidArguments(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long other = pg == 0x4000 ? 0x1000 : 0x4000;
        assertErr(Errno.EINVAL, "page size 0x" + Long.toHexString(other) + " not supported",
                () -> ops.mapPages(0, paBase, other, 1, RW));
        assertErr(Errno.EINVAL, "has neither READ nor WRITE", () -> ops.mapPages(0, paBase, pg, 1, Prot.CACHE));
        assertErr(Errno.EINVAL, "IOVA 0x800 is not aligned", () -> ops.mapPages(0x800, paBase, pg, 1, RW));
        assertErr(Errno.EINVAL, "physical address 0x" + Long.toHexString(paBase + 0x800) + " (IOVA 0x0) is not aligned",
                () -> ops.mapPages(0, paBase + 0x800, pg, 1, RW));
        assertErr(Errno.EINVAL, "page count -1", () -> ops.mapPages(0, paBase, pg, -1, RW));
        assertEquals(0, ops.mapPages(0, paBase, pg, 0, RW));
        assertEquals(ops.state().ttbrs().length, ops.tablePages());
        assertEquals(0, ops.unmapPages(0, other, 1, null));
        assertEquals(0, ops.unmapPages(0, pg, 0, null));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void rangeErrors(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long oasEnd = 1L << f.oas();
        assertErr(Errno.ERANGE, "physical address 0x" + Long.toHexString(oasEnd) + " (run of 1 pages",
                () -> ops.mapPages(0, oasEnd, pg, 1, RW));
        // a run whose last page lies beyond OAS: nothing written
        assertErr(Errno.ERANGE, "physical address 0x" + Long.toHexString(oasEnd) + " (run of 2 pages",
                () -> ops.mapPages(0, oasEnd - pg, pg, 2, RW));
        assertEquals(0, ops.iovaToPhys(0));
        assertErr(Errno.ERANGE, "IOVA 0x" + Long.toHexString(1L << ias) + " beyond the " + ias + "-bit input address space",
                () -> ops.mapPages(1L << ias, paBase, pg, 1, RW));
        assertErr(Errno.ERANGE, "beyond the", () -> ops.mapPages(-pg, paBase, pg, 1, RW));
        assertEquals(0, ops.iovaToPhys(-pg));
        assertEquals(0, ops.unmapPages(-pg, pg, 1, null));
        // the last page of the input address space
        long last = (1L << ias) - pg;
        assertEquals(pg, ops.mapPages(last, oasEnd - pg, pg, 1, Prot.READ));
        assertEquals(oasEnd - 1, ops.iovaToPhys(last + pg - 1));
        // two pages up to the end of IAS, the second already mapped: EEXIST, first entry untouched
        assertErr(Errno.EEXIST, "IOVA 0x" + Long.toHexString(last) + " is already mapped",
                () -> ops.mapPages(last - pg, paBase, pg, 4, Prot.READ));
        assertEquals(0, ops.iovaToPhys(last - pg));
        assertEquals(pg, ops.unmapPages(last, pg, 1, null));
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void eexistWritesNothing(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long base = 3 * entries * pg;
        assertEquals(pg, ops.mapPages(base + 5 * pg, paBase + 100 * pg, pg, 1, RW));
        long tables = ops.tablePages();
        long[] before = leafTableSnapshot(ops, base);
        long[] raw = rawLeafTable(ops, base);
        assertErr(Errno.EEXIST, "IOVA 0x" + Long.toHexString(base + 5 * pg) + " is already mapped (map of 8 pages at 0x"
                + Long.toHexString(base), () -> ops.mapPages(base, paBase, pg, 8, RW));
        assertTrue(Arrays.equals(before, leafTableSnapshot(ops, base)));
        assertTrue(Arrays.equals(raw, rawLeafTable(ops, base)));
        assertEquals(tables, ops.tablePages());
        // an overlapping remap of the same page fails too; after unmap the remap works
        assertErr(Errno.EEXIST, "already mapped", () -> ops.mapPages(base + 5 * pg, paBase, pg, 1, Prot.READ));
        assertEquals(paBase + 100 * pg + 42, ops.iovaToPhys(base + 5 * pg + 42));
        assertEquals(pg, ops.unmapPages(base + 5 * pg, pg, 1, null));
        assertEquals(0, ops.iovaToPhys(base + 5 * pg + 42));
        assertEquals(8 * pg, ops.mapPages(base, paBase, pg, 8, Prot.WRITE));
        for (int i = 0; i < 8; i++) {
            assertEquals(paBase + i * pg + 7, ops.iovaToPhys(base + i * pg + 7));
        }
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    /** @return the raw entries of the leaf table covering {@code iova} */
    private long[] rawLeafTable(DartPageTable ops, long iova) {
        long table = leafTableOf(ops, iova);
        long[] out = new long[(int) entries];
        for (int i = 0; i < entries; i++) {
            out[i] = s.memory.read64(table + 8L * i);
        }
        return out;
    }

    /** Walks the tables by the documented index split (dart-facts §2.1), independently of the walker. */
    private long leafTableOf(DartPageTable ops, long iova) {
        DartGeometry g = DartGeometry.of(f, ops.state().config());
        long table = ops.state().ttbrs()[(int) (iova >>> g.ttbrShift())];
        for (int k = g.tableLevels(); k >= 2; k--) {
            long pte = s.memory.read64(table + (((iova >>> g.indexShift(k)) & (g.entries() - 1)) << 3));
            assertNotEquals(0, pte);
            table = f.entryToPa(pte);
        }
        return table;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mapAndUnmapStopAtTheLeafTableEnd(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long iova = 5 * entries * pg - 2 * pg;
        assertEquals(2 * pg, ops.mapPages(iova, paBase, pg, 6, RW));
        assertEquals(0, ops.iovaToPhys(iova + 2 * pg));
        assertEquals(4 * pg, ops.mapPages(iova + 2 * pg, paBase + 2 * pg, pg, 4, RW));
        for (int i = 0; i < 6; i++) {
            assertEquals(paBase + i * pg, ops.iovaToPhys(iova + i * pg));
        }
        DartTestSupport.Gather gather = new DartTestSupport.Gather();
        assertEquals(2 * pg, ops.unmapPages(iova, pg, 6, gather));
        assertEquals(2, s.flush.addPage, "one tlb_add_page per cleared page");
        assertEquals(iova, gather.start());
        assertEquals(iova + 2 * pg - 1, gather.end());
        assertEquals(paBase + 2 * pg, ops.iovaToPhys(iova + 2 * pg));
        assertEquals(4 * pg, ops.unmapPages(iova + 2 * pg, pg, 4, gather));
        assertEquals(iova + 6 * pg - 1, gather.end());
        long tables = ops.tablePages();
        assertTrue(tables > ops.state().ttbrs().length);
        // DART never frees tables on unmap
        assertEquals(tables, ops.countTablesByWalking());
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void unmapStopsAtTheFirstHole(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        assertEquals(0, ops.unmapPages(0, pg, 8, null));
        assertEquals(5 * pg, ops.mapPages(0, paBase, pg, 5, RW));
        assertEquals(pg, ops.mapPages(6 * pg, paBase, pg, 1, RW));
        assertEquals(5 * pg, ops.unmapPages(0, pg, 8, null));
        assertEquals(5, s.flush.addPage, "one tlb_add_page per cleared page");
        assertEquals(4 * pg, s.flush.lastIova);
        assertEquals(pg, s.flush.lastSize);
        assertEquals(0, ops.unmapPages(0, pg, 8, null));
        assertEquals(5, s.flush.addPage);
        assertEquals(paBase, ops.iovaToPhys(6 * pg));
        // a missing intermediate table: nothing to unmap
        assertEquals(0, ops.unmapPages(9 * entries * pg, pg, 1, null));
        ops.free();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void freeReturnsEveryPage(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long span = 1L << ias;
        for (int i = 0; i < 200; i++) {
            long iova = ((span / 200) * i) & ~(pg - 1);
            assertEquals(pg, ops.mapPages(iova, paBase + i * pg, pg, 1, RW));
        }
        assertTrue(s.allocator.pagesInUse() > 0);
        assertEquals(ops.countTablesByWalking(), ops.tablePages());
        assertEquals(ops.tablePages() * pg, ops.tableBytes());
        assertEquals(ops.tablePages() * (pg / 4096), s.allocator.pagesInUse());
        ops.free();
        assertEquals(1, s.flush.flushAll);
        assertEquals(0, s.allocator.pagesInUse());
        assertEquals(0, ops.tablePages());
        ops.free();
        assertEquals(1, s.flush.flushAll);
        assertEquals(0, ops.iovaToPhys(0));
        assertEquals(0, ops.unmapPages(0, pg, 1, null));
        assertErr(Errno.EINVAL, "freed table", () -> ops.mapPages(0, paBase, pg, 1, RW));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void attachReopensWithoutTouchingMemory(String name, long pgsize, int ias) {
        DartPageTable ops = open(name, pgsize, ias);
        long span = 1L << ias;
        for (int i = 0; i < 50; i++) {
            long iova = ((span / 50) * i) & ~(16 * pg - 1);
            assertEquals(3 * pg, ops.mapPages(iova, paBase + 4 * i * pg, pg, 3, RW));
        }
        PageTableState st = ops.state();
        long tables = ops.tablePages();
        long inUse = s.allocator.pagesInUse();
        long[] root = new long[(int) entries];
        for (int i = 0; i < entries; i++) {
            root[i] = s.memory.read64(st.ttbrs()[0] + 8L * i);
        }
        DartTestSupport.RecordingFlush flush2 = new DartTestSupport.RecordingFlush();
        PageTableContext ctx2 = new PageTableContext(s.memory, s.allocator, "apple-dart:reopened", flush2);
        DartPageTable again = (DartPageTable) f.attach(st, ctx2);
        assertEquals(st, again.state());
        assertEquals(inUse, s.allocator.pagesInUse());
        assertEquals(tables, again.tablePages());
        for (int i = 0; i < entries; i++) {
            assertEquals(root[i], s.memory.read64(st.ttbrs()[0] + 8L * i));
        }
        for (int i = 0; i < 50; i++) {
            long iova = ((span / 50) * i) & ~(16 * pg - 1);
            assertEquals(paBase + 4 * i * pg + 2 * pg + 5, again.iovaToPhys(iova + 2 * pg + 5));
        }
        // further maps/unmaps through the re-opened table
        long iova = ((span / 50) * 7) & ~(16 * pg - 1);
        assertEquals(3 * pg, again.unmapPages(iova, pg, 3, null));
        assertEquals(0, ops.iovaToPhys(iova));
        assertEquals(pg, again.mapPages(iova + 10 * pg, paBase, pg, 1, Prot.READ));
        assertEquals(paBase, ops.iovaToPhys(iova + 10 * pg));
        again.free();
        assertEquals(1, flush2.flushAll);
        assertEquals(0, s.allocator.pagesInUse());
        assertNotEquals(0, tables);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void enomemWithPartialBytesZero(String name, long pgsize, int ias) {
        f = DartFormat.byName(name);
        pg = pgsize;
        entries = pg / 8;
        // room for the TTBR tables and exactly one more table
        DartTestSupport probe = f == DartFormat.DART1 ? DartTestSupport.dart1() : DartTestSupport.dart2();
        PageTableOps sized = f.alloc(PageTableConfig.of(pgsize, ias, f.oas()), probe.ctx);
        int levels = sized.state().levels();
        long tablesForOneLeaf = sized.tablePages() + (levels - 2);
        long base = probe.ram.base();
        s = new DartTestSupport(base, tablesForOneLeaf * pg);
        PageTableOps ops = f.alloc(PageTableConfig.of(pgsize, ias, f.oas()), s.ctx);
        assertEquals(pg, ops.mapPages(0, base, pg, 1, RW));
        long far = (1L << ias) - pg;
        IommuException e = assertThrows(IommuException.class, () -> ops.mapPages(far, base, pg, 1, RW));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(0, e.partialBytes());
        assertTrue(e.getMessage().contains("no memory for a table of apple-dart:test (mapping IOVA 0x"
                + Long.toHexString(far) + ")"), e.getMessage());
        assertEquals(0, ops.iovaToPhys(far));
        assertEquals(base, ops.iovaToPhys(0));
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }

    private static void assertErr(Errno errno, String part, org.junit.jupiter.api.function.Executable op) {
        IommuException e = assertThrows(IommuException.class, op);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
