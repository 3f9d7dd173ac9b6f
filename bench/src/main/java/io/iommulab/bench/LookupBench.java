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
 * (c) iovaToPhys at random IOVAs of a fully populated 4 GiB region (every page mapped, PA = IOVA).
 * {@link #independent}: lookups may overlap in the CPU (throughput, the C figure "8 ns");
 * {@link #dependent}: each IOVA depends on the previous result (the latency of one walk).
 * Score: ns per lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LookupBench {

    static final int BATCH = 4096;
    static final int N = 1 << 21;

    @Param({"apple-dart", "apple-dart2", "arm-lpae-s1"})
    public String format;

    private Tables t;
    private PageTableOps ops;
    private long[] iovas;
    private long granule;
    /** 8-byte-aligned offsets within a page, as dartpt.c's {@code i & 0x3ff8} */
    private long offsetMask;
    private int cursor;
    private long prev;

    @Setup(Level.Trial)
    public void setUp() {
        t = new Tables(format);
        ops = t.alloc();
        granule = t.granule;
        offsetMask = (granule - 1) & ~7L;
        iovas = t.randomIovas(new Tables.SplitMix(), N);
        t.populateIdentity(ops, Tables.REGION, Prot.READ);
        for (int i = 0; i < 1000; i++) {
            long iova = iovas[i] + (i & offsetMask);
            if (ops.iovaToPhys(iova) != iova) {
                throw new IllegalStateException(format + ": IOVA 0x" + Long.toHexString(iova) + " translates to 0x"
                        + Long.toHexString(ops.iovaToPhys(iova)) + " in the populated table");
            }
        }
        System.out.printf("%n[c] %s: %d pages mapped, %d table pages, %d table bytes%n", format,
                t.regionPages(), ops.tablePages(), ops.tableBytes());
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
    public long independent() {
        PageTableOps o = ops;
        long[] iv = iovas;
        long m = offsetMask;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += o.iovaToPhys(iv[c] + (c & m));
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long dependent() {
        PageTableOps o = ops;
        long[] iv = iovas;
        long g = granule;
        int c = cursor;
        long p = prev;
        for (int i = 0; i < BATCH; i++) {
            // The next IOVA needs this result: one walk's latency, nothing overlaps.
            p = o.iovaToPhys(iv[c] ^ (p & g));
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        prev = p;
        return p;
    }
}
