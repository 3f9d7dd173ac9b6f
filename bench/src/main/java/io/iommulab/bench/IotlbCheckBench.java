package io.iommulab.bench;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.StaleTranslation;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The DMA sanitizer's cost on the hot path: one transaction through the model on an IOTLB hit
 * ({@code IommuModel.translate}, as {@link DartModelBench#iotlbHit}) with the models' stale-hit
 * check off (no bus monitor) and on (a monitor set; the entry matches the tables, so nothing is
 * reported and the check is its cheap part: the registers and one read of the leaf).
 * <ul>
 * <li>{@code backend}: {@code apple-dart} (the default board's sio_dart, a t8103: T8020 registers,
 *     DART1 tables), {@code apple-dart-t8110} (the board's T8110 twin: DART2 tables, TLB_CMD),
 *     {@code arm-smmu-v2} (the board's SMMUv2 twin: a context bank, 16 KiB granule).</li>
 * <li>{@code check}: {@code off} or {@code on}.</li>
 * </ul>
 * admac's default domain maps one 16 KiB page, a DMA read fills the IOTLB (with the monitor
 * already attached when {@code on}, so the entry keeps a window on its leaf, as every entry filled
 * while the sanitizer runs), then the timed loop translates 4096 random 8-byte-aligned offsets in it. The setup checks the translations land on
 * the buffer; the teardown that the run only hit the IOTLB (no walk) and that nothing was
 * reported stale. Score: ns per transaction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class IotlbCheckBench {

    static final int BATCH = 4096;
    static final int N = 4096;

    @Param({"apple-dart", "apple-dart-t8110", "arm-smmu-v2"})
    public String backend;

    @Param({"off", "on"})
    public String check;

    private StackRig rig;
    private IommuModel model;
    private int sid;
    private long iova;
    private long[] offsets;
    private long hits0;
    private long walks0;
    private int cursor;
    private final AtomicLong stale = new AtomicLong();

    /** The sanitizer's stand-in: counts stale reports (there must be none) and ignores transactions. */
    private final BusMonitor monitor = new BusMonitor() {
        @Override
        public void transaction(DmaMaster master, int stream, long iova, int len, Access access, long paddr, String fault) {
        }

        @Override
        public void staleTranslation(StaleTranslation s) {
            stale.incrementAndGet();
        }
    };

    @Setup(Level.Trial)
    public void setUp() {
        if (!check.equals("off") && !check.equals("on")) {
            throw new IllegalArgumentException("check " + check + " (off, on)");
        }
        rig = StackRig.boot(backend, true, false);
        rig.machine.setBusMonitor(check.equals("on") ? monitor : null);
        model = rig.model;
        sid = rig.sid;
        iova = StackRig.WINDOW_BASE;
        IommuDomain domain = rig.engine.domainOf(StackRig.ADMAC);
        domain.map(iova, rig.buffer, StackRig.PG, Prot.READ | Prot.WRITE);
        offsets = new long[N];
        Tables.SplitMix rnd = new Tables.SplitMix();
        for (int i = 0; i < N; i++) {
            offsets[i] = rnd.below(StackRig.PG) & ~7L;
        }
        rig.expectBufferAt(iova, 0, 64, backend + ": first DMA read");
        for (int i = 0; i < 1000; i++) {
            Translation t = model.translate(sid, iova + offsets[i], Access.READ);
            if (!t.ok() || t.paddr() != rig.buffer + offsets[i]) {
                throw new IllegalStateException(backend + ": translate(sid " + sid + ", IOVA 0x" + Long.toHexString(iova + offsets[i])
                        + ") = " + t + ", expected PA 0x" + Long.toHexString(rig.buffer + offsets[i]));
            }
        }
        hits0 = rig.counter("iotlb.hits");
        walks0 = rig.counter("walks");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long hits = rig.counter("iotlb.hits");
        long walks = rig.counter("walks");
        System.out.printf("%n[%s, check %s] %d IOTLB hits, %d walks, %d stale reports during the run%n", backend, check,
                hits - hits0, walks - walks0, stale.get());
        rig.machine.setBusMonitor(null);
        if (hits <= hits0 || walks != walks0 || stale.get() != 0) {
            throw new IllegalStateException(backend + ": the run should only hit the IOTLB, with nothing stale: hits " + hits0
                    + " -> " + hits + ", walks " + walks0 + " -> " + walks + ", stale " + stale.get());
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
}
