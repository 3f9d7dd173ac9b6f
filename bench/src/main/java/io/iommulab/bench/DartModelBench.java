package io.iommulab.bench;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One DMA transaction through the sio_dart model on an IOTLB hit. A page is mapped on the audio
 * DMA controller's default domain and read once by DMA (the miss walks the table and fills the
 * IOTLB); then:
 * <ul>
 * <li>{@link #iotlbHit}: {@code model.translate(sid, iova + off, READ)} alone (stream checks, TCR
 *     mode, IOTLB lookup, permission check, the {@code Translation});</li>
 * <li>{@link #dmaRead8}: {@code DmaMaster.read(0, iova + off, 8)}, a whole DMA request (power
 *     check, the same translation, 8 bytes copied from physical memory, the result).</li>
 * </ul>
 * The in-page offset varies (4096 random 8-byte-aligned offsets). The setup and the teardown check
 * that the IOTLB hit counter grows and the walk counter does not. Score: ns per transaction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DartModelBench {

    /** Transactions per invocation. */
    static final int BATCH = 4096;
    /** Pre-generated offsets (a power of two). */
    static final int N = 4096;
    /** Transactions the setup checks before timing. */
    static final int CHECKS = 1000;

    private StackRig rig;
    private IommuModel model;
    private DmaMaster master;
    private int sid;
    private long iova;
    private long[] offsets;
    private long hits0;
    private long walks0;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        rig = StackRig.boot(true, false);
        model = rig.model;
        master = rig.master;
        sid = rig.sid;
        iova = StackRig.WINDOW_BASE;
        IommuDomain domain = rig.engine.domainOf(StackRig.ADMAC);
        domain.map(iova, rig.buffer, StackRig.PG, Prot.READ | Prot.WRITE);
        offsets = new long[N];
        Tables.SplitMix rnd = new Tables.SplitMix();
        for (int i = 0; i < N; i++) {
            offsets[i] = rnd.below(StackRig.PG) & ~7L;
        }
        long walksBefore = rig.counter("walks");
        rig.expectBufferAt(iova, 0, 64, "first DMA read");
        if (rig.counter("walks") <= walksBefore) {
            throw new IllegalStateException("the first DMA read after the map did not walk the table: walks " + walksBefore);
        }
        checkHits();
        hits0 = rig.counter("iotlb.hits");
        walks0 = rig.counter("walks");
    }

    /** Every checked transaction hits the IOTLB and lands at the buffer; none walks. */
    private void checkHits() {
        long hits = rig.counter("iotlb.hits");
        long walks = rig.counter("walks");
        for (int i = 0; i < CHECKS; i++) {
            Translation t = model.translate(sid, iova + offsets[i], Access.READ);
            if (!t.ok() || t.paddr() != rig.buffer + offsets[i]) {
                throw new IllegalStateException("translate(sid " + sid + ", IOVA 0x" + Long.toHexString(iova + offsets[i])
                        + ") = " + t + ", expected PA 0x" + Long.toHexString(rig.buffer + offsets[i]));
            }
            rig.expectBufferAt(iova + offsets[i], (int) offsets[i], 8, "DMA read on an IOTLB hit");
        }
        long dh = rig.counter("iotlb.hits") - hits;
        long dw = rig.counter("walks") - walks;
        if (dh != 2L * CHECKS || dw != 0) {
            throw new IllegalStateException(2 * CHECKS + " transactions on a cached page: " + dh + " IOTLB hits, " + dw + " walks");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long hits = rig.counter("iotlb.hits");
        long walks = rig.counter("walks");
        System.out.printf("%n[model] %d IOTLB hits, %d walks during the run%n", hits - hits0, walks - walks0);
        if (hits <= hits0 || walks != walks0) {
            throw new IllegalStateException("the run should only hit the IOTLB: hits " + hits0 + " -> " + hits + ", walks "
                    + walks0 + " -> " + walks);
        }
        rig.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long iotlbHit() {
        IommuModel m = model;
        long[] off = offsets;
        long base = iova;
        int s = sid;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += m.translate(s, base + off[c], Access.READ).paddr();
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long dmaRead8() {
        DmaMaster d = master;
        long[] off = offsets;
        long base = iova;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            DmaResult r = d.read(0, base + off[c], 8);
            sum += r.data()[7];
            c = (c + 1) & (N - 1);
        }
        cursor = c;
        return sum;
    }
}
