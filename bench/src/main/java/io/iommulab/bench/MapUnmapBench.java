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
 * (a) map one page + unmap it again at random aligned IOVAs of a 4 GiB region, random 36-bit
 * physical addresses; all leaf tables are allocated before timing (the C baseline's warm-up).
 * Score: ns per map+unmap pair.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MapUnmapBench {

    /** Pairs per invocation: a plain loop, as the C code's, amortising the harness. */
    static final int BATCH = 1024;
    /** Pre-generated inputs: 2M, as the C baseline's NOPS. */
    static final int N = 1 << 21;

    @Param({"apple-dart", "apple-dart2", "arm-lpae-s1"})
    public String format;

    private Tables t;
    private PageTableOps ops;
    private long[] iovas;
    /** {@link #iovas} with no page twice in a row (the staggered loop maps i while i-1 is mapped) */
    private long[] staggered;
    private long[] pas;
    private long granule;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        t = new Tables(format);
        ops = t.alloc();
        granule = t.granule;
        Tables.SplitMix rnd = new Tables.SplitMix();
        iovas = t.randomIovas(rnd, N);
        pas = t.randomPas(rnd, N);
        staggered = iovas.clone();
        for (int i = 0; i < N; i++) {
            // the loop wraps: entry 0 follows entry N-1
            while (staggered[i] == staggered[(i - 1) & (N - 1)] || staggered[i] == staggered[(i + 1) & (N - 1)]) {
                staggered[i] = (staggered[i] + granule) & (Tables.REGION - 1);
            }
        }
        t.preallocateLeaves(ops, Tables.REGION);
        // Sanity: one pair does what it should.
        ops.mapPages(iovas[0], pas[0], granule, 1, Prot.READ | Prot.WRITE);
        if (ops.iovaToPhys(iovas[0] + 42) != pas[0] + 42 || ops.unmapPages(iovas[0], granule, 1, null) != granule) {
            throw new IllegalStateException(format + ": map/translate/unmap sanity check failed");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ops.free();
        if (t.pages.pagesInUse() != 0) {
            throw new IllegalStateException(format + ": " + t.pages.pagesInUse() + " pages still in use after free");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mapUnmap() {
        PageTableOps o = ops;
        long[] iv = iovas;
        long[] pa = pas;
        long g = granule;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            o.mapPages(iv[c], pa[c], g, 1, Prot.READ | Prot.WRITE);
            sum += o.unmapPages(iv[c], g, 1, null);
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    /**
     * (a) with the unmap one pair behind: map page i, unmap page i-1. The same work per pair, but
     * a map and the unmap of the same page are never in one loop iteration, so a compiler that
     * inlines both cannot merge them (the map's store read back by the unmap right after it).
     * The first unmap of a trial finds nothing mapped; from then on one page is mapped between calls.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mapUnmapStaggered() {
        PageTableOps o = ops;
        long[] iv = staggered;
        long[] pa = pas;
        long g = granule;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            int next = (c + 1) & (N - 1);
            o.mapPages(iv[next], pa[next], g, 1, Prot.READ | Prot.WRITE);
            sum += o.unmapPages(iv[c], g, 1, null);
            c = next;
        }
        cursor = c;
        return sum;
    }
}
