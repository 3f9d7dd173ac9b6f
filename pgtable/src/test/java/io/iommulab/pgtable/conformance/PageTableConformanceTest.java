package io.iommulab.pgtable.conformance;

import static io.iommulab.pgtable.conformance.Table.expectErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite of issue 3: every check below runs on every format and every configuration
 * it accepts ({@link Formats#accepted()}), through the SPI only, over real machine memory, with
 * the tables read back by an independent walker ({@link RefWalker}).
 *
 * <ul>
 * <li>{@code geometry}: what the state reports (format, settled config, TTBRs, levels, LPAE TCR/MAIR
 *     values) and that the accounting matches memory and the allocator;</li>
 * <li>{@code selftest}: Linux's arm_lpae_run_tests: empty table, map per page size, overlapping map,
 *     +42 translation, full unmap, remap; {@code lastPage}: the top of the input space;</li>
 * <li>{@code randomRanges}: generic_pt kunit: 1,000 random ranges against a reference map, then
 *     unmap of everything, zero valid leaves, and zero table pages after free;</li>
 * <li>{@code gather}: removed leaves reach tlbAddPage, free calls tlbFlushAll;</li>
 * <li>{@code attach}: re-open from the state (as after a bundle update) and carry on;</li>
 * <li>{@code concurrency}: 4 threads map/unmap disjoint ranges of one table;</li>
 * <li>{@code errors}: EINVAL / ERANGE / EEXIST, each leaving the table as it was;</li>
 * <li>{@code dartRules} (DART only): unmap stops at a hole, short counts at a leaf-table boundary.</li>
 * </ul>
 */
class PageTableConformanceTest {

    static final int RW = Prot.READ | Prot.WRITE;
    static final int[] PROTS = {Prot.READ, Prot.WRITE, RW};
    /** Output addresses of the fixed checks: the RAM base, 32 GiB aligned, below 2^36. */
    static final long PA_BASE = Fixture.RAM_BASE;
    static final int RANDOM_RANGES = 1000;
    static final int THREADS = 4;

    @TestFactory
    Stream<DynamicNode> conformance() {
        List<Formats.Candidate> accepted = Formats.accepted();
        assertFalse(accepted.isEmpty(), "no format accepted any configuration");
        Map<String, List<DynamicNode>> byFormat = new LinkedHashMap<>();
        for (Formats.Candidate c : accepted) {
            List<DynamicNode> checks = new ArrayList<>();
            checks.add(check("geometry", c, PageTableConformanceTest::geometry));
            checks.add(check("selftest", c, PageTableConformanceTest::selftest));
            checks.add(check("lastPage", c, PageTableConformanceTest::lastPage));
            checks.add(check("randomRanges", c, PageTableConformanceTest::randomRanges));
            checks.add(check("gather", c, PageTableConformanceTest::gather));
            checks.add(check("attach", c, PageTableConformanceTest::attach));
            checks.add(check("concurrency", c, PageTableConformanceTest::concurrency));
            checks.add(check("errors", c, PageTableConformanceTest::errors));
            checks.add(check("overlapWritesNothing", c, PageTableConformanceTest::overlapWritesNothing));
            checks.add(check("beyondIas", c, PageTableConformanceTest::beyondIas));
            if (Formats.isDart(c.format().name())) {
                checks.add(check("dartRules", c, PageTableConformanceTest::dartRules));
            }
            if (c.format().name().equals(PageTableFormat.ARM_LPAE_S1)) {
                checks.add(check("lpaeBlocks", c, PageTableConformanceTest::lpaeBlocks));
            }
            byFormat.computeIfAbsent(c.format().name(), k -> new ArrayList<>())
                    .add(DynamicContainer.dynamicContainer(c.toString(), checks.stream()));
        }
        return byFormat.entrySet().stream()
                .map(e -> DynamicContainer.dynamicContainer(e.getKey(), e.getValue().stream()));
    }

    private static DynamicTest check(String name, Formats.Candidate c, Consumer<Formats.Candidate> body) {
        return DynamicTest.dynamicTest(name, () -> body.accept(c));
    }

    private static Random rnd(Formats.Candidate c, String check) {
        return new Random((c.toString() + "/" + check).hashCode());
    }

    // ---------------------------------------------------------------- geometry

    static void geometry(Formats.Candidate c) {
        Table t = new Table(c);
        PageTableState st = t.state;
        assertEquals(c.format().name(), st.format(), "state().format()");
        assertEquals(c.config().ias(), st.config().ias(), "settled IAS");
        assertEquals(c.config().oas(), st.config().oas(), "settled OAS");
        assertEquals(c.config().coherentWalk(), st.config().coherentWalk(), "settled coherentWalk");
        long bm = st.config().pgsizeBitmap();
        long asked = c.config().pgsizeBitmap();
        assertEquals(0, bm & ~asked, () -> t.name() + ": settled bitmap 0x" + Long.toHexString(bm)
                + " has sizes that were not asked for");
        assertEquals(Long.lowestOneBit(asked), Long.lowestOneBit(bm), () -> t.name() + ": granule changed");
        if (Formats.isDart(c.format().name())) {
            assertEquals(asked, bm, "DART maps exactly one page size");
            assertTrue(st.hw().isEmpty(), () -> "DART has no extra hardware values, got " + st.hw());
        } else {
            // LPAE: no block larger than the input space can hold, and only sizes of the granule's levels.
            for (long s : t.sizes) {
                int shift = Long.numberOfTrailingZeros(s);
                int g = Long.numberOfTrailingZeros(t.minPg);
                assertEquals(0, (shift - g) % (g - 3), () -> t.name() + ": size 0x" + Long.toHexString(s)
                        + " is not a level size of the granule");
            }
            checkLpaeHw(t);
        }
        assertEquals(t.ref.expectedTtbrs(), st.ttbrs().length, () -> t.name() + ": number of TTBRs");
        assertEquals(t.ref.reportedLevels(), st.levels(), () -> t.name() + ": levels");
        for (long ttbr : st.ttbrs()) {
            assertTrue(t.fx.memory.isRam(ttbr), () -> t.name() + ": TTBR 0x" + Long.toHexString(ttbr) + " is not RAM");
            long align = Formats.isDart(c.format().name()) ? t.minPg : Math.max(64, topTableBytes(t));
            assertEquals(0, ttbr & (align - 1), () -> t.name() + ": TTBR 0x" + Long.toHexString(ttbr)
                    + " not aligned to 0x" + Long.toHexString(align));
            assertTrue(ttbr >>> c.config().oas() == 0, () -> t.name() + ": TTBR beyond OAS");
        }
        RefWalker.Census census = t.ref.census();
        assertEquals(st.ttbrs().length, census.tables(), "a new table holds just its top tables");
        assertEquals(0, census.leaves(), "a new table has no leaves");
        t.checkAccounting("after alloc");
        assertEquals(st, t.ops.state(), "state() is stable");
        t.freeAndCheck(t.ops, "geometry");
    }

    /** LPAE top table: 8 bytes x 2^(IAS - shift of the start level). */
    static long topTableBytes(Table t) {
        int g = Long.numberOfTrailingZeros(t.minPg);
        int bpl = g - 3;
        int levels = RefWalker.lpaeLevels(t.state.config().ias(), g);
        int topShift = g + (levels - 1) * bpl;
        return 8L << (t.state.config().ias() - topShift);
    }

    static void checkLpaeHw(Table t) {
        Map<String, Long> hw = t.state.hw();
        int g = Long.numberOfTrailingZeros(t.minPg);
        long tg0 = g == 12 ? 0 : g == 16 ? 1 : 2;
        Map<String, Long> expected = new TreeMap<>();
        expected.put("tcr.t0sz", 64L - t.state.config().ias());
        expected.put("tcr.tg0", tg0);
        expected.put("tcr.sh0", 3L);   // inner shareable for a coherent walk
        expected.put("tcr.irgn0", 1L); // write-back write-allocate
        expected.put("tcr.orgn0", 1L);
        expected.put("mair", 0xF404FF44L); // NC, WBRWA, device nGnRE, inner-NC/outer-WB (idx 0..3)
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            assertEquals(e.getValue(), hw.get(e.getKey()), () -> t.name() + ": hw value " + e.getKey() + " in " + hw);
        }
    }

    // ---------------------------------------------------------------- Linux selftest

    static void selftest(Formats.Candidate c) {
        Table t = new Table(c);
        PageTableOps ops = t.ops;
        // An empty table translates nothing.
        long[] probes = {0, 42, (1L << 30) + 42, (1L << 31) + 42, t.space - t.minPg, t.space - 1};
        for (long iova : probes) {
            if (iova < t.space) {
                t.expectPhys(iova, 0, "empty table");
            }
        }
        // Per page size k: map at size*k (disjoint since sizes ascend); sizes that do not fit
        // beside the others (a block as large as the space) are done alone afterwards.
        List<long[]> placed = new ArrayList<>();
        List<Long> alone = new ArrayList<>();
        for (int k = 0; k < t.sizes.length; k++) {
            long size = t.sizes[k];
            long iova = size * k;
            if (size > t.space) {
                fail(t.name() + ": page size 0x" + Long.toHexString(size) + " in the bitmap exceeds the input space");
            }
            if (iova + size > t.space) {
                alone.add(size);
            } else {
                placed.add(new long[] {iova, size});
            }
        }
        for (long[] p : placed) {
            selftestMap(t, p[0], p[1]);
        }
        for (long[] p : placed) {
            selftestUnmapRemap(t, p[0], p[1]);
        }
        for (long[] p : placed) {
            assertEquals(p[1], ops.unmapPages(p[0], p[1], 1, null), () -> t.name() + ": unmap after remap");
        }
        for (long size : alone) {
            selftestMap(t, 0, size);
            selftestUnmapRemap(t, 0, size);
            assertEquals(size, ops.unmapPages(0, size, 1, null), () -> t.name() + ": unmap after remap");
        }
        assertEquals(0, t.ref.census().leaves(), () -> t.name() + ": leaves left after unmapping everything");
        t.checkAccounting("selftest end");
        t.freeAndCheck(ops, "selftest");
    }

    private static void selftestMap(Table t, long iova, long size) {
        long pa = PA_BASE + iova;
        int prot = Prot.READ | Prot.WRITE | Prot.NOEXEC | Prot.CACHE;
        String what = "selftest map of size 0x" + Long.toHexString(size) + " at 0x" + Long.toHexString(iova);
        assertEquals(size, t.ops.mapPages(iova, pa, size, 1, prot), () -> t.name() + ": " + what);
        RefWalker.Leaf before = t.ref.walk(iova);
        assertNotNull(before, () -> t.name() + ": " + what + ": no leaf in memory");
        long tables = t.ops.tablePages();
        // Overlapping mapping: fails, writes nothing.
        expectErrno(Errno.EEXIST, () -> t.ops.mapPages(iova, pa + size, size, 1, Prot.READ | Prot.NOEXEC),
                t.name() + ": overlapping " + what);
        assertEquals(before, t.ref.walk(iova), () -> t.name() + ": overlapping map changed the entry");
        assertEquals(tables, t.ops.tablePages(), () -> t.name() + ": overlapping map changed tablePages");
        t.expectPhys(iova + 42, pa + 42, what);
        t.checkMapped(iova, pa, size, 1, prot, new Random(iova), what);
    }

    private static void selftestUnmapRemap(Table t, long iova, long size) {
        long pa = PA_BASE + iova;
        String what = "selftest full unmap of size 0x" + Long.toHexString(size) + " at 0x" + Long.toHexString(iova);
        assertEquals(size, t.ops.unmapPages(iova, size, 1, null), () -> t.name() + ": " + what);
        t.expectPhys(iova + 42, 0, what);
        t.checkUnmapped(iova, size, 1, new Random(iova), what);
        assertEquals(size, t.ops.mapPages(iova, pa, size, 1, Prot.WRITE), () -> t.name() + ": remap " + what);
        t.expectPhys(iova + 42, pa + 42, "remap after " + what);
        t.checkMapped(iova, pa, size, 1, Prot.WRITE, new Random(iova), "remap after " + what);
    }

    static void lastPage(Formats.Candidate c) {
        Table t = new Table(c);
        for (long size : t.sizes) {
            if (size > t.space) {
                continue;
            }
            long iova = t.space - size;
            long pa = PA_BASE;
            String what = "last page of the input space, size 0x" + Long.toHexString(size);
            assertEquals(size, t.ops.mapPages(iova, pa, size, 1, RW), () -> t.name() + ": " + what);
            t.expectPhys(iova + 42, pa + 42, what);
            t.expectPhys(t.space - 1, pa + size - 1, what);
            t.checkMapped(iova, pa, size, 1, RW, new Random(size), what);
            assertEquals(size, t.ops.unmapPages(iova, size, 1, null), () -> t.name() + ": unmap " + what);
            t.checkUnmapped(iova, size, 1, new Random(size), what);
        }
        // DART with several TTBRs: the last page reached through each of them.
        long[] ttbrs = t.state.ttbrs();
        if (ttbrs.length > 1) {
            long span = t.space / ttbrs.length;
            for (int i = 0; i < ttbrs.length; i++) {
                long iova = (i + 1) * span - t.minPg;
                long pa = PA_BASE + (long) i * t.minPg;
                t.mapRun(iova, pa, t.minPg, 1, RW);
                t.checkMapped(iova, pa, t.minPg, 1, RW, new Random(i), "last page of TTBR " + i);
                RefWalker.Leaf l = t.ref.walk(iova);
                long ttbr = ttbrs[i];
                assertNotNull(l);
                // the leaf hangs below TTBR i: its top table is that TTBR's
                long topIdx = (iova >>> (Long.numberOfTrailingZeros(t.minPg) + (t.ref.tableLevels - 1) * t.ref.bpl))
                        & ((1L << t.ref.bpl) - 1);
                assertTrue(t.fx.memory.read64(ttbr + 8 * topIdx) != 0, () -> t.name() + ": iova 0x"
                        + Long.toHexString(iova) + " is not reached through TTBR " + ttbr);
            }
            for (int i = 0; i < ttbrs.length; i++) {
                t.unmapRun((i + 1) * span - t.minPg, t.minPg, 1);
            }
        }
        assertEquals(0, t.ref.census().leaves());
        t.checkAccounting("lastPage end");
        t.freeAndCheck(t.ops, "lastPage");
    }

    // ---------------------------------------------------------------- generic_pt kunit random ranges

    /** A mapped range of the reference map. */
    record Range(long iova, long pa, long pgsize, long count, int prot) {
        long end() {
            return iova + pgsize * count;
        }
    }

    static void randomRanges(Formats.Candidate c) {
        Table t = new Table(c);
        Random rnd = rnd(c, "random");
        TreeMap<Long, Range> refMap = new TreeMap<>();
        long paSpace = 1L << t.oas;
        int skipped = 0;
        long expectedLeaves = 0;
        for (int i = 0; i < RANDOM_RANGES; i++) {
            // sizes and counts bounded so that one range takes at most 1/64 of the input space
            long size = t.sizes[rnd.nextInt(t.sizes.length)];
            long maxCount = Math.min(64, t.space / size / 64);
            if (maxCount == 0) {
                skipped++;
                continue;
            }
            long count = 1 + (long) (rnd.nextDouble() * maxCount);
            long len = size * count;
            long iova = (long) (rnd.nextDouble() * ((t.space - len) / size + 1)) * size;
            // pa >= size: a mapping of PA 0 would be indistinguishable from "unmapped"
            long paSlots = (paSpace - len) / size;
            long pa = (1 + (long) (rnd.nextDouble() * paSlots)) * size;
            if (pa + len > paSpace) {
                pa = paSpace - len;
            }
            int prot = PROTS[rnd.nextInt(PROTS.length)];
            Map.Entry<Long, Range> below = refMap.floorEntry(iova + len - 1);
            if (below != null && below.getValue().end() > iova) {
                skipped++;
                continue;
            }
            t.mapRun(iova, pa, size, count, prot);
            refMap.put(iova, new Range(iova, pa, size, count, prot));
            expectedLeaves += count;
        }
        assertTrue(refMap.size() >= RANDOM_RANGES / 4, () -> t.name() + ": only " + refMap.size()
                + " random ranges could be placed");
        // Every smallest page of every range, and every leaf down to the entry value.
        for (Range r : refMap.values()) {
            t.checkMapped(r.iova(), r.pa(), r.pgsize(), r.count(), r.prot(), rnd, "random range " + r);
        }
        // Some unmapped pages translate to nothing.
        for (int i = 0; i < 500; i++) {
            long iova = (long) (rnd.nextDouble() * (t.space / t.minPg)) * t.minPg;
            Map.Entry<Long, Range> below = refMap.floorEntry(iova);
            if (below == null || below.getValue().end() <= iova) {
                t.expectPhys(iova + (i & (t.minPg - 1)), 0, "unmapped page between random ranges");
            }
        }
        RefWalker.Census mapped = t.ref.census();
        assertEquals(expectedLeaves, mapped.leaves(), () -> t.name() + ": valid leaves in memory after mapping "
                + refMap.size() + " ranges");
        t.checkAccounting("after 1,000 random maps");
        // Unmap everything through the same loop, in random order.
        List<Range> order = new ArrayList<>(refMap.values());
        Collections.shuffle(order, rnd);
        for (Range r : order) {
            long n = t.unmapRun(r.iova(), r.pgsize(), r.count());
            assertEquals(r.pgsize() * r.count(), n);
        }
        for (Range r : refMap.values()) {
            t.checkUnmapped(r.iova(), r.pgsize(), r.count(), rnd, "after unmapping random range " + r);
        }
        RefWalker.Census empty = t.ref.census();
        assertEquals(0, empty.leaves(), () -> t.name() + ": valid leaf entries left after unmapping everything");
        t.checkAccounting("after unmapping everything");
        t.freeAndCheck(t.ops, "random ranges (" + refMap.size() + " mapped, " + skipped + " skipped)");
    }

    // ---------------------------------------------------------------- flush callbacks

    static void gather(Formats.Candidate c) {
        Table t = new Table(c);
        for (long size : t.sizes) {
            long count = Math.min(8, t.space / size);
            long iova = 0;
            t.mapRun(iova, PA_BASE, size, count, RW);
            t.fx.flush.drainAdded();
            Fixture.Gather g = new Fixture.Gather();
            long done = 0;
            while (done < size * count) {
                long n = t.ops.unmapPages(iova + done, size, count - done / size, g);
                assertTrue(n > 0, () -> t.name() + ": unmap of a mapped run returned 0");
                done += n;
            }
            List<long[]> added = t.fx.flush.drainAdded();
            added.sort((a, b) -> Long.compare(a[0], b[0]));
            long[] got = added.stream().mapToLong(a -> a[0]).toArray();
            long[] want = new long[(int) count];
            for (int i = 0; i < count; i++) {
                want[i] = iova + i * size;
            }
            final long sz = size;
            assertArrayEquals(want, got, () -> t.name() + ": tlbAddPage(iova, granule) calls for an unmap of " + count
                    + " pages of 0x" + Long.toHexString(sz) + " at 0x" + Long.toHexString(iova) + ": got "
                    + added.stream().map(a -> "(0x" + Long.toHexString(a[0]) + ", 0x" + Long.toHexString(a[1]) + ")").toList());
            for (long[] a : added) {
                assertEquals(size, a[1], () -> t.name() + ": tlbAddPage granule for a page of 0x" + Long.toHexString(sz));
            }
            assertEquals(iova, g.start(), () -> t.name() + ": gather start");
            assertEquals(iova + size * count - 1, g.end(), () -> t.name() + ": gather end");
        }
        t.freeAndCheck(t.ops, "gather");
    }

    // ---------------------------------------------------------------- attach (hot swap)

    static void attach(Formats.Candidate c) {
        Table t = new Table(c);
        List<Range> live = new ArrayList<>();
        long iova = 0;
        for (long size : t.sizes) {
            long count = Math.min(3, t.space / size / 4);
            iova = (iova + size - 1) & -size;
            if (count == 0 || iova + size * count >= t.space) {
                continue;
            }
            Range r = new Range(iova, PA_BASE + iova % (1L << 32), size, count, PROTS[live.size() % 3]);
            t.mapRun(r.iova(), r.pa(), r.pgsize(), r.count(), r.prot());
            live.add(r);
            iova = r.end();
        }
        PageTableState st = t.ops.state();
        long tables = t.ops.tablePages();
        long bytes = t.ops.tableBytes();
        long inUse = t.fx.pages.pagesInUse();
        RefWalker.Census before = t.ref.census();

        PageTableOps b = c.format().attach(st, t.fx.ctx);
        assertEquals(st, b.state(), () -> t.name() + ": attached state");
        assertEquals(inUse, t.fx.pages.pagesInUse(), () -> t.name() + ": attach allocated or freed pages");
        assertEquals(before, t.ref.census(), () -> t.name() + ": attach changed the tables");
        assertEquals(tables, b.tablePages(), () -> t.name() + ": tablePages() of the attached ops");
        assertEquals(bytes, b.tableBytes(), () -> t.name() + ": tableBytes() of the attached ops");
        for (Range r : live) {
            long pa = r.pa();
            for (long p = 0; p < r.count(); p++) {
                long got = b.iovaToPhys(r.iova() + p * r.pgsize() + 42);
                assertEquals(pa + p * r.pgsize() + 42, got, () -> t.name() + ": attached ops translate " + r);
            }
        }
        // More maps and unmaps through the new ops.
        long extraIova = (iova + t.minPg - 1) & -t.minPg;
        assertTrue(extraIova < t.space);
        b.mapPages(extraIova, PA_BASE + 0x1000_0000L, t.minPg, 1, RW);
        assertEquals(PA_BASE + 0x1000_0000L + 42, b.iovaToPhys(extraIova + 42), () -> t.name() + ": map through attached ops");
        assertEquals(t.minPg, b.unmapPages(live.get(0).iova(), t.minPg, 1, null), () -> t.name() + ": unmap through attached ops");
        assertEquals(0, b.iovaToPhys(live.get(0).iova()));
        assertEquals(t.ref.census().tables(), b.tablePages(), () -> t.name() + ": tablePages() after more maps");
        assertEquals(t.fx.allocatedBytes(), b.tableBytes(), () -> t.name() + ": tableBytes() after more maps");

        // A state of another format is refused.
        PageTableState foreign = new PageTableState("no-such-format", st.config(), st.ttbrs(), st.levels(), st.hw());
        expectErrno(Errno.EINVAL, () -> c.format().attach(foreign, t.fx.ctx), t.name() + ": attach of a foreign state");
        for (PageTableFormat other : Formats.all()) {
            if (!other.name().equals(c.format().name())) {
                expectErrno(Errno.EINVAL, () -> other.attach(st, t.fx.ctx), other.name() + ": attach of a "
                        + c.format().name() + " state");
            }
        }
        assertEquals(t.fx.allocatedBytes(), b.tableBytes(), () -> t.name() + ": refused attach changed the allocator");

        // Free through the new ops: every table reachable from the roots goes back.
        t.freeAndCheck(b, "attach");
    }

    // ---------------------------------------------------------------- concurrency

    static void concurrency(Formats.Candidate c) {
        Table t = new Table(c);
        final int rounds = 512;
        long slots = (long) rounds * THREADS;
        // stride in smallest pages: not a power of two, so runs land in many leaf tables
        long stride = Math.max(1, Math.min(37, (t.space / t.minPg) / slots));
        long minPg = t.minPg;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int th = 0; th < THREADS; th++) {
                final int me = th;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        long slot = (long) r * THREADS + me;
                        long iova = slot * stride * minPg;
                        long n = t.ops.mapPages(iova, PA_BASE + slot * minPg, minPg, 1, RW);
                        if (n != minPg) {
                            throw new AssertionError("thread " + me + ": map of 0x" + Long.toHexString(iova) + " returned " + n);
                        }
                    }
                    // unmap the odd rounds, remap them
                    for (int r = 1; r < rounds; r += 2) {
                        long slot = (long) r * THREADS + me;
                        long n = t.ops.unmapPages(slot * stride * minPg, minPg, 1, null);
                        if (n != minPg) {
                            throw new AssertionError("thread " + me + ": unmap of slot " + slot + " returned " + n);
                        }
                    }
                    for (int r = 1; r < rounds; r += 2) {
                        long slot = (long) r * THREADS + me;
                        t.ops.mapPages(slot * stride * minPg, PA_BASE + slot * minPg, minPg, 1, RW);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                try {
                    f.get(120, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(t.name() + ": concurrent map/unmap failed: " + e.getCause(), e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (long slot = 0; slot < slots; slot++) {
            t.expectPhys(slot * stride * minPg + 8, PA_BASE + slot * minPg + 8, "after concurrent map/unmap, slot " + slot);
        }
        assertEquals(slots, t.ref.census().leaves(), () -> t.name() + ": leaves after concurrent map/unmap");
        t.checkAccounting("after concurrent map/unmap (losers of table installs must free their copy)");
        for (long slot = 0; slot < slots; slot++) {
            assertEquals(minPg, t.ops.unmapPages(slot * stride * minPg, minPg, 1, null));
        }
        assertEquals(0, t.ref.census().leaves());
        t.freeAndCheck(t.ops, "concurrency");
    }

    // ---------------------------------------------------------------- errors

    static void errors(Formats.Candidate c) {
        Table t = new Table(c);
        PageTableOps ops = t.ops;
        long g = t.minPg;
        long iova = 2 * (t.space / 4) & -g;
        long pa = PA_BASE + g;
        assertEquals(g, ops.mapPages(iova, pa, g, 1, RW));
        RefWalker.Census before = t.ref.census();
        long inUse = t.fx.pages.pagesInUse();
        long free = (iova + 8 * g) & -g;
        long bm = t.state.config().pgsizeBitmap();

        List<Long> badSizes = new ArrayList<>(List.of(g >> 1, 3 * g, 0L));
        for (long s = g << 1; s != 0 && s <= (1L << 40); s <<= 1) {
            if ((bm & s) == 0) {
                badSizes.add(s);
                break;
            }
        }
        for (long s : badSizes) {
            IommuException e = expectErrno(Errno.EINVAL, () -> ops.mapPages(free, pa, s, 1, RW),
                    t.name() + ": map with pgsize 0x" + Long.toHexString(s) + " not in bitmap 0x" + Long.toHexString(bm));
            assertMessageNames(t, e);
        }
        for (int prot : new int[] {0, Prot.CACHE, Prot.NOEXEC | Prot.MMIO | Prot.PRIV}) {
            expectErrno(Errno.EINVAL, () -> ops.mapPages(free, pa, g, 1, prot),
                    t.name() + ": map with prot 0x" + Integer.toHexString(prot) + " (neither READ nor WRITE)");
        }
        expectErrno(Errno.EINVAL, () -> ops.mapPages(free + g / 2, pa, g, 1, RW), t.name() + ": unaligned iova");
        expectErrno(Errno.EINVAL, () -> ops.mapPages(free, pa + g / 2, g, 1, RW), t.name() + ": unaligned paddr");
        if (t.oas < 63) {
            long beyond = 1L << t.oas;
            IommuException e = expectErrno(Errno.ERANGE, () -> ops.mapPages(free, beyond, g, 1, RW),
                    t.name() + ": paddr 0x" + Long.toHexString(beyond) + " beyond OAS " + t.oas);
            assertMessageNames(t, e);
            expectErrno(Errno.ERANGE, () -> ops.mapPages(free, beyond - g, g, 2, RW),
                    t.name() + ": run whose last page lies beyond OAS " + t.oas);
        }
        // Overlap: EEXIST, previous mapping intact.
        RefWalker.Leaf leaf = t.ref.walk(iova);
        expectErrno(Errno.EEXIST, () -> ops.mapPages(iova, pa + g, g, 1, Prot.READ), t.name() + ": overlapping map");
        assertEquals(leaf, t.ref.walk(iova), () -> t.name() + ": overlapping map changed the entry");
        t.expectPhys(iova + 42, pa + 42, "previous mapping after the overlapping map");
        // Unmap of nothing: 0.
        assertEquals(0, ops.unmapPages(free, g, 1, null), () -> t.name() + ": unmap of an unmapped page");
        // None of the failures changed anything.
        assertEquals(before, t.ref.census(), () -> t.name() + ": a failed operation changed the table");
        assertEquals(inUse, t.fx.pages.pagesInUse(), () -> t.name() + ": a failed operation changed the allocator");
        t.checkAccounting("after failed operations");
        t.freeAndCheck(ops, "errors");
    }

    /** Error messages name the format (or table) and a value. */
    private static void assertMessageNames(Table t, IommuException e) {
        String m = e.getMessage();
        assertTrue(m != null && m.matches("(?s).*\\d.*"), () -> t.name() + ": error message names no value: " + m);
    }

    /** EEXIST for a run whose last entry is valid: NOTHING of the run is written. */
    static void overlapWritesNothing(Formats.Candidate c) {
        Table t = new Table(c);
        long g = t.minPg;
        long entries = g / 8;
        long leafSpan = g * entries;
        long base = leafSpan < t.space ? leafSpan : 0; // start of a leaf table
        long inUse;
        assertEquals(g, t.ops.mapPages(base + 3 * g, PA_BASE + 3 * g, g, 1, RW));
        inUse = t.fx.pages.pagesInUse();
        long tables = t.ops.tablePages();
        expectErrno(Errno.EEXIST, () -> t.ops.mapPages(base, PA_BASE, g, 4, RW), t.name() + ": map of 4 pages whose last is mapped");
        for (int i = 0; i < 3; i++) {
            t.expectPhys(base + i * g, 0, "page " + i + " of a refused run");
            assertNull(t.ref.walk(base + i * g), t.name() + ": refused run wrote entry " + i);
        }
        t.expectPhys(base + 3 * g + 42, PA_BASE + 3 * g + 42, "the existing page after a refused run");
        assertEquals(tables, t.ops.tablePages());
        assertEquals(inUse, t.fx.pages.pagesInUse());
        assertEquals(g, t.ops.unmapPages(base + 3 * g, g, 1, null));
        // Larger sizes: a page inside an existing block is refused too.
        for (int k = 1; k < t.sizes.length; k++) {
            long size = t.sizes[k];
            if (size > t.space / 2) {
                continue;
            }
            long blk = t.space / 2;
            assertEquals(size, t.ops.mapPages(blk, PA_BASE, size, 1, RW));
            RefWalker.Leaf l = t.ref.walk(blk);
            expectErrno(Errno.EEXIST, () -> t.ops.mapPages(blk + g, PA_BASE + g, g, 1, RW),
                    t.name() + ": map of a 0x" + Long.toHexString(g) + " page inside a 0x" + Long.toHexString(size) + " block");
            assertEquals(l, t.ref.walk(blk), () -> t.name() + ": refused map changed the block");
            assertEquals(size, t.ops.unmapPages(blk, size, 1, null));
        }
        t.freeAndCheck(t.ops, "overlapWritesNothing");
    }

    /** An IOVA at or beyond 2^IAS is refused with ERANGE (brief: "ERANGE ... for an IOVA beyond IAS"). */
    static void beyondIas(Formats.Candidate c) {
        Table t = new Table(c);
        long inUse = t.fx.pages.pagesInUse();
        long tables = t.ops.tablePages();
        expectErrno(Errno.ERANGE, () -> t.ops.mapPages(t.space, PA_BASE, t.minPg, 1, RW),
                t.name() + ": map at iova 0x" + Long.toHexString(t.space) + " = 2^IAS");
        // A run crossing 2^IAS: refused up front, or (like any run reaching a table end) mapped up to
        // the end of the space with a short count, the continuation then refused.
        long first;
        try {
            first = t.ops.mapPages(t.space - t.minPg, PA_BASE, t.minPg, 2, RW);
        } catch (IommuException e) {
            assertEquals(Errno.ERANGE, e.errno(), () -> t.name() + ": run crossing 2^IAS: " + e.getMessage());
            first = -1;
        }
        if (first >= 0) {
            assertEquals(t.minPg, first, () -> t.name() + ": run crossing 2^IAS must stop at 2^IAS");
            expectErrno(Errno.ERANGE, () -> t.ops.mapPages(t.space, PA_BASE + t.minPg, t.minPg, 1, RW),
                    t.name() + ": continuation of a run crossing 2^IAS");
            assertEquals(t.minPg, t.ops.unmapPages(t.space - t.minPg, t.minPg, 1, null));
        }
        assertEquals(0, t.ops.iovaToPhys(t.space), () -> t.name() + ": iovaToPhys(2^IAS)");
        if (first < 0) {
            assertEquals(inUse, t.fx.pages.pagesInUse(), () -> t.name() + ": refused map allocated tables");
            assertEquals(tables, t.ops.tablePages());
        }
        t.checkAccounting("beyondIas");
        t.freeAndCheck(t.ops, "beyondIas");
    }

    // ---------------------------------------------------------------- DART rules

    static void dartRules(Formats.Candidate c) {
        Table t = new Table(c);
        long g = t.minPg;
        long leafSpan = g * (g / 8);
        long base = leafSpan; // a leaf table's first page
        // Unmap stops at the first hole and returns the bytes cleared up to it.
        t.mapRun(base, PA_BASE, g, 10, RW);
        assertEquals(g, t.ops.unmapPages(base + 4 * g, g, 1, null));
        assertEquals(4 * g, t.ops.unmapPages(base, g, 10, null), () -> t.name() + ": unmap of 10 pages with a hole at 4");
        t.checkUnmapped(base, g, 5, new Random(1), "pages before and at the hole");
        t.checkMapped(base + 5 * g, PA_BASE + 5 * g, g, 5, RW, new Random(1), "pages after the hole");
        assertEquals(0, t.ops.unmapPages(base + 4 * g, g, 6, null), () -> t.name() + ": unmap starting at a hole");
        assertEquals(5 * g, t.ops.unmapPages(base + 5 * g, g, 5, null));
        // Map across a leaf-table boundary: short count, exactly up to the boundary.
        long boundary = 2 * leafSpan;
        long start = boundary - 3 * g;
        assertEquals(3 * g, t.ops.mapPages(start, PA_BASE, g, 6, RW), () -> t.name() + ": map of 6 pages across the "
                + "leaf-table boundary at 0x" + Long.toHexString(boundary));
        t.expectPhys(boundary, 0, "first page past the boundary after a short map");
        assertEquals(3 * g, t.ops.mapPages(boundary, PA_BASE + 3 * g, g, 3, RW), () -> t.name() + ": the rest of the run");
        t.checkMapped(start, PA_BASE, g, 6, RW, new Random(2), "run across the boundary");
        // Unmap across the boundary: short count, exactly up to it.
        assertEquals(3 * g, t.ops.unmapPages(start, g, 6, null), () -> t.name() + ": unmap of 6 pages across the "
                + "leaf-table boundary at 0x" + Long.toHexString(boundary));
        t.checkMapped(boundary, PA_BASE + 3 * g, g, 3, RW, new Random(3), "pages past the boundary after a short unmap");
        assertEquals(3 * g, t.ops.unmapPages(boundary, g, 3, null));
        // DART never frees tables on unmap.
        long tables = t.ops.tablePages();
        assertEquals(0, t.ref.census().leaves());
        assertEquals(tables, t.ref.census().tables(), () -> t.name() + ": tables after unmapping everything");
        assertTrue(tables > t.state.ttbrs().length, () -> t.name() + ": leaf tables were freed on unmap");
        t.checkAccounting("dart rules end");
        t.freeAndCheck(t.ops, "dartRules");
    }

    // ---------------------------------------------------------------- LPAE blocks

    /** Blocks: partial unmap refused (0, block intact); a block replaces an empty table (table freed). */
    static void lpaeBlocks(Formats.Candidate c) {
        Table t = new Table(c);
        long g = t.minPg;
        for (int k = 1; k < t.sizes.length; k++) {
            long size = t.sizes[k];
            if (2 * size > t.space) {
                continue;
            }
            long blk = size; // second block slot
            assertEquals(size, t.ops.mapPages(blk, PA_BASE, size, 1, RW));
            assertEquals(0, t.ops.unmapPages(blk, g, 1, null), () -> t.name() + ": partial unmap of a 0x"
                    + Long.toHexString(size) + " block must be refused");
            t.checkMapped(blk, PA_BASE, size, 1, RW, new Random(k), "block after a refused partial unmap");
            assertEquals(size, t.ops.unmapPages(blk, size, 1, null));
            // Leave an empty next-level table where the block goes, then map the block: the table is freed.
            t.mapRun(blk, PA_BASE, g, 2, RW);
            t.unmapRun(blk, g, 2);
            long tablesWithEmpty = t.ops.tablePages();
            assertEquals(size, t.ops.mapPages(blk, PA_BASE, size, 1, RW), () -> t.name() + ": block over an empty table");
            t.checkMapped(blk, PA_BASE, size, 1, RW, new Random(k), "block that replaced a table");
            assertTrue(t.ops.tablePages() < tablesWithEmpty, () -> t.name() + ": the replaced table was not freed");
            t.checkAccounting("after a block replaced a table");
            assertEquals(size, t.ops.unmapPages(blk, size, 1, null));
        }
        t.freeAndCheck(t.ops, "lpaeBlocks");
    }
}
