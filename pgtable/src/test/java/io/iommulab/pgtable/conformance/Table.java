package io.iommulab.pgtable.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/**
 * One live table under test: the fixture it lives in, the ops, the oracle walker, and the
 * "IOMMU core" helpers (map/unmap loops that continue after short counts, as iommu_map does).
 */
final class Table {

    /** Smallest-page lookups per checked range before the check switches to sampling. */
    static final long CHECK_BUDGET = 4096;

    final Formats.Candidate candidate;
    final Fixture fx;
    final PageTableOps ops;
    final PageTableState state;
    final RefWalker ref;
    final long[] sizes;
    final long minPg;
    final long space;
    final int oas;

    Table(Formats.Candidate c) {
        this.candidate = c;
        this.fx = new Fixture("conformance:" + c);
        this.ops = c.format().alloc(c.config(), fx.ctx);
        this.state = ops.state();
        this.ref = new RefWalker(fx.memory, state);
        long bm = state.config().pgsizeBitmap();
        this.sizes = new long[Long.bitCount(bm)];
        int i = 0;
        for (long b = bm; b != 0; b &= b - 1) {
            sizes[i++] = Long.lowestOneBit(b);
        }
        this.minPg = sizes[0];
        this.space = 1L << state.config().ias();
        this.oas = state.config().oas();
    }

    String name() {
        return candidate.toString();
    }

    /** The IOMMU core's map loop: repeat map_pages until the whole run is mapped. */
    void mapRun(long iova, long pa, long pgsize, long count, int prot) {
        long total = pgsize * count;
        long done = 0;
        int calls = 0;
        while (done < total) {
            long n = ops.mapPages(iova + done, pa + done, pgsize, (total - done) / pgsize, prot);
            if (n <= 0 || n % pgsize != 0 || n > total - done) {
                fail(String.format("%s: mapPages(iova 0x%x, pa 0x%x, pgsize 0x%x, count %d) returned %d bytes "
                        + "(expected a positive multiple of the page size, at most 0x%x)", name(), iova + done,
                        pa + done, pgsize, (total - done) / pgsize, n, total - done));
            }
            done += n;
            if (++calls > count) {
                fail(name() + ": map loop did not finish");
            }
        }
    }

    /** The IOMMU core's unmap loop: repeat unmap_pages on short counts; a 0 (hole) fails the check. */
    long unmapRun(long iova, long pgsize, long count) {
        long total = pgsize * count;
        long done = 0;
        while (done < total) {
            long n = ops.unmapPages(iova + done, pgsize, (total - done) / pgsize, null);
            if (n <= 0 || n % pgsize != 0 || n > total - done) {
                fail(String.format("%s: unmapPages(iova 0x%x, pgsize 0x%x, count %d) of a mapped run returned %d "
                        + "(expected a positive multiple of the page size, at most 0x%x)", name(), iova + done, pgsize,
                        (total - done) / pgsize, n, total - done));
            }
            done += n;
        }
        return done;
    }

    /**
     * Checks a mapped run against what was mapped: every smallest page through iovaToPhys (sampled
     * beyond {@link #CHECK_BUDGET}: first and last smallest page of every mapped page plus random
     * ones), and every mapped page through the oracle walker, down to the exact leaf entry.
     */
    void checkMapped(long iova, long pa, long pgsize, long count, int prot, Random rnd, String what) {
        long len = pgsize * count;
        long n = len / minPg;
        if (n <= CHECK_BUDGET) {
            for (long k = 0; k < n; k++) {
                long off = (k * 42) & (minPg - 1);
                expectPhys(iova + k * minPg + off, pa + k * minPg + off, what);
            }
        } else {
            for (long p = 0; p < count; p++) {
                long base = p * pgsize;
                expectPhys(iova + base + 42, pa + base + 42, what);
                expectPhys(iova + base + pgsize - 8, pa + base + pgsize - 8, what);
            }
            for (long k = 2 * count; k < CHECK_BUDGET; k++) {
                long s = (long) (rnd.nextDouble() * n);
                long off = rnd.nextInt((int) Math.min(minPg, Integer.MAX_VALUE)) & ~7L;
                expectPhys(iova + s * minPg + off, pa + s * minPg + off, what);
            }
        }
        for (long p = 0; p < count; p++) {
            long va = iova + p * pgsize;
            RefWalker.Leaf l = ref.walk(va);
            if (l == null) {
                fail(String.format("%s: %s: the table in memory has no leaf for iova 0x%x (mapped to pa 0x%x, pgsize 0x%x)",
                        name(), what, va, pa + p * pgsize, pgsize));
            }
            if (l.size() != pgsize || l.pa() != pa + p * pgsize) {
                fail(String.format("%s: %s: leaf for iova 0x%x is a 0x%x leaf to pa 0x%x (entry 0x%016x at 0x%x); "
                        + "expected a 0x%x leaf to pa 0x%x", name(), what, va, l.size(), l.pa(), l.entry(), l.entryPa(),
                        pgsize, pa + p * pgsize));
            }
            long expected = ref.expectedLeaf(pa + p * pgsize, prot, l.level());
            if (l.entry() != expected) {
                fail(String.format("%s: %s: leaf entry for iova 0x%x (pa 0x%x, prot 0x%x) is 0x%016x, expected 0x%016x",
                        name(), what, va, pa + p * pgsize, prot, l.entry(), expected));
            }
        }
    }

    /** Checks that nothing of a run translates any more, through the ops and through the oracle. */
    void checkUnmapped(long iova, long pgsize, long count, Random rnd, String what) {
        long len = pgsize * count;
        long n = len / minPg;
        if (n <= CHECK_BUDGET) {
            for (long k = 0; k < n; k++) {
                expectPhys(iova + k * minPg + ((k * 42) & (minPg - 1)), 0, what);
            }
        } else {
            for (long p = 0; p < count; p++) {
                expectPhys(iova + p * pgsize + 42, 0, what);
                expectPhys(iova + p * pgsize + pgsize - 8, 0, what);
            }
            for (long k = 2 * count; k < CHECK_BUDGET; k++) {
                long s = (long) (rnd.nextDouble() * n);
                expectPhys(iova + s * minPg, 0, what);
            }
        }
        for (long p = 0; p < count; p++) {
            long va = iova + p * pgsize;
            RefWalker.Leaf l = ref.walk(va);
            if (l != null) {
                fail(String.format("%s: %s: iova 0x%x was unmapped but the table still holds entry 0x%016x at 0x%x",
                        name(), what, va, l.entry(), l.entryPa()));
            }
        }
    }

    void expectPhys(long iova, long expected, String what) {
        long got = ops.iovaToPhys(iova);
        if (got != expected) {
            fail(String.format("%s: %s: iovaToPhys(0x%x) = 0x%x, expected 0x%x", name(), what, iova, got, expected));
        }
        long hw = ref.translate(iova);
        if (hw != expected) {
            fail(String.format("%s: %s: the table in memory translates 0x%x to 0x%x, expected 0x%x (iovaToPhys said 0x%x)",
                    name(), what, iova, hw, expected, got));
        }
    }

    /** tablePages/tableBytes agree with the tables reachable from the roots and with the allocator. */
    void checkAccounting(String what) {
        RefWalker.Census c = ref.census();
        assertEquals(c.tables(), ops.tablePages(), () -> name() + ": " + what
                + ": tablePages() vs tables reachable from the roots in memory");
        assertEquals(fx.allocatedBytes(), ops.tableBytes(), () -> name() + ": " + what
                + ": tableBytes() vs bytes the page allocator handed out (" + (fx.pages.pagesInUse() - fx.baseline)
                + " pages), tablePages()=" + ops.tablePages());
        assertEquals(fx.pages.pagesInUse() - fx.baseline, fx.ownerPages(), () -> name() + ": " + what
                + ": table pages must be accounted to the context owner " + fx.owner + ", by owner: "
                + fx.pages.pagesByOwner());
    }

    /** free(), then the allocator is back where it was before alloc and the context was flushed. */
    void freeAndCheck(PageTableOps which, String what) {
        long flushes = fx.flush.flushAll.get();
        which.free();
        assertEquals(fx.baseline, fx.pages.pagesInUse(), () -> name() + ": " + what
                + ": table pages still allocated after free(): " + fx.pages.pagesByOwner());
        if (fx.flush.flushAll.get() <= flushes) {
            fail(name() + ": " + what + ": free() did not call tlbFlushAll()");
        }
    }

    static IommuException expectErrno(Errno errno, Executable call, String what) {
        IommuException e = assertThrows(IommuException.class, call, what + ": expected " + errno);
        assertEquals(errno, e.errno(), () -> what + ": wrong errno, message: " + e.getMessage());
        return e;
    }
}
