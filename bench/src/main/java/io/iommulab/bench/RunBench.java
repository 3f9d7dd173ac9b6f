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
 * (b) map of 64 contiguous pages in one call (continued after a short count at a leaf-table end,
 * as the IOMMU core does), then unmap of the run, at random page offsets of a 4 GiB region.
 * Score: ns per 64-page run (divide by 64 for ns/page).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RunBench {

    static final int PAGES = 64;
    static final int BATCH = 256;
    static final int N = 1 << 18;

    @Param({"apple-dart", "apple-dart2", "arm-lpae-s1"})
    public String format;

    private Tables t;
    private PageTableOps ops;
    private long[] iovas;
    private long[] pas;
    private long granule;
    private int shift;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        t = new Tables(format);
        ops = t.alloc();
        granule = t.granule;
        shift = t.pageShift;
        Tables.SplitMix rnd = new Tables.SplitMix();
        long[] r = t.randomIovas(rnd, N);
        long[] p = t.randomPas(rnd, N);
        iovas = new long[N];
        pas = new long[N];
        long runBytes = PAGES * granule;
        for (int i = 0; i < N; i++) {
            // As dartpt.c: any page offset at which the whole run fits, so runs cross leaf tables too.
            iovas[i] = ((r[i] >>> shift) % (t.regionPages() - PAGES)) << shift;
            pas[i] = p[i] & -runBytes;
        }
        t.preallocateLeaves(ops, Tables.REGION);
        // Sanity: a run maps all its pages and its unmap clears all of them.
        t.mapRun(ops, iovas[0], pas[0], runBytes, Prot.READ | Prot.WRITE);
        long last = iovas[0] + runBytes - granule;
        if (ops.iovaToPhys(last + 5) != pas[0] + runBytes - granule + 5) {
            throw new IllegalStateException(format + ": the last page of a 64-page run does not translate");
        }
        if (t.unmapRun(ops, iovas[0], runBytes) != runBytes || ops.iovaToPhys(last) != 0) {
            throw new IllegalStateException(format + ": a 64-page run was not unmapped whole");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ops.free();
        if (t.pages.pagesInUse() != 0) {
            throw new IllegalStateException(format + ": " + t.pages.pagesInUse() + " pages still in use after free");
        }
    }

    private long run(int i) {
        PageTableOps o = ops;
        long g = granule;
        long iova = iovas[i];
        long pa = pas[i];
        long len = PAGES * g;
        long done = 0;
        while (done < len) {
            done += o.mapPages(iova + done, pa + done, g, (len - done) >>> shift, Prot.READ | Prot.WRITE);
        }
        long gone = 0;
        while (gone < len) {
            long n = o.unmapPages(iova + gone, g, (len - gone) >>> shift, null);
            if (n == 0) {
                break;
            }
            gone += n;
        }
        return gone;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mapUnmap64() {
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += run(c);
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }
}
