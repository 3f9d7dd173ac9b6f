package io.iommulab.bench;

import io.iommulab.api.Prot;
import io.iommulab.api.pgtable.PageTableOps;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * (d) populate 262,144 pages into an empty table, one single-page map call each, in IOVA order
 * ({@code sequential}) or in a random order ({@code random}); the pages are all of a region of
 * 262,144 granules (4 GiB for the 16 KiB formats, 1 GiB for LPAE with 4 KiB). Score: ns per page,
 * table allocation included. The figure that matters, page-table bytes per mapped page, is a
 * measured quantity: printed after each trial as {@code [d] ... B/page} (and by {@link Footprint}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PopulateBench {

    @Param({"apple-dart", "apple-dart2", "arm-lpae-s1"})
    public String format;

    @Param({"sequential", "random"})
    public String order;

    private Tables t;
    private long[] iovas;
    private long[] pas;
    private PageTableOps ops;
    private long tableBytes = -1;
    private long tablePages;

    @Setup(Level.Trial)
    public void setUpTrial() {
        t = new Tables(format);
        long[] perm = "random".equals(order) ? Tables.permutation(new Tables.SplitMix(), Tables.POPULATE_PAGES) : null;
        iovas = new long[Tables.POPULATE_PAGES];
        pas = new long[Tables.POPULATE_PAGES];
        for (int i = 0; i < iovas.length; i++) {
            long p = perm == null ? i : perm[i];
            iovas[i] = p << t.pageShift;
            pas[i] = iovas[i] & ((1L << Tables.PA_BITS) - 1);
        }
    }

    @Setup(Level.Invocation)
    public void allocTable() {
        ops = t.alloc();
    }

    @TearDown(Level.Invocation)
    public void freeTable() {
        long bytes = ops.tableBytes();
        if (tableBytes >= 0 && bytes != tableBytes) {
            throw new IllegalStateException(format + " " + order + ": table bytes changed between runs: " + tableBytes + " then " + bytes);
        }
        tableBytes = bytes;
        tablePages = ops.tablePages();
        long probe = iovas[iovas.length / 2];
        if (ops.iovaToPhys(probe + 8) != pas[iovas.length / 2] + 8) {
            throw new IllegalStateException(format + " " + order + ": IOVA 0x" + Long.toHexString(probe) + " was not mapped");
        }
        ops.free();
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.printf("%n[d] %s %s: %d pages, %d table bytes (%d tables), %.2f B/page%n", format, order,
                Tables.POPULATE_PAGES, tableBytes, tablePages, (double) tableBytes / Tables.POPULATE_PAGES);
        if (t.pages.pagesInUse() != 0) {
            throw new IllegalStateException(format + ": " + t.pages.pagesInUse() + " pages still in use after free");
        }
    }

    @Benchmark
    @OperationsPerInvocation(Tables.POPULATE_PAGES)
    public PageTableOps populate() {
        PageTableOps o = ops;
        long[] iv = iovas;
        long[] pa = pas;
        long g = t.granule;
        for (int i = 0; i < iv.length; i++) {
            o.mapPages(iv[i], pa[i], g, 1, Prot.READ);
        }
        return o;
    }
}
