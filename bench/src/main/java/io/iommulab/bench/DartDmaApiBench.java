package io.iommulab.bench;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.core.impl.dma.DmaApiImpl;
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
 * dma_map_page + dma_unmap_page of one 16 KiB page (bidirectional) for the audio DMA controller:
 * IOVA allocation (top-down, dma-iommu.c), iommu_map with its sync, iommu_unmap, and the IOVA free,
 * through the core's DMA API, the apple-dart driver and the model. Score: ns per pair.
 *
 * <p>{@code mode=lazy} boots the core with iommu.strict=0. The core then gives DMA-FQ default
 * domains (unmap defers the invalidation to the flush queue) only to drivers that claim
 * DEFERRED_FLUSH; apple-dart does not (dart-facts §3.3), so unless the driver changes, lazy runs
 * the same strict path and the setup says so. The flush-queue timer thread is stopped in the
 * teardown, and checked gone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DartDmaApiBench {

    /** Pairs per invocation. */
    static final int BATCH = 1024;
    /** Name of the DMA API's flush-queue timer thread (DmaApiImpl). */
    static final String FQ_THREAD = "iommu-dma-fq";

    @Param({"strict", "lazy"})
    public String mode;

    @Param({"false"})
    public boolean trace;

    private StackRig rig;
    private DmaApiImpl api;
    private DmaDevice dev;
    private long pa;

    @Setup(Level.Trial)
    public void setUp() {
        if (!mode.equals("strict") && !mode.equals("lazy")) {
            throw new IllegalArgumentException("mode is strict or lazy, not " + mode);
        }
        rig = StackRig.boot(mode.equals("strict"), trace);
        api = new DmaApiImpl(rig.engine);
        dev = api.device(StackRig.ADMAC);
        pa = rig.buffer;
        DomainType type = rig.engine.domainOf(StackRig.ADMAC).type();
        checkOnePair(type);
        System.out.printf("%n[dma-api] mode %s: %s default domain %s%s; the driver's translation fault line is the"
                + " setup's check that the unmap took effect%n", mode, StackRig.ADMAC, type,
                mode.equals("lazy") && type != DomainType.DMA_FQ
                        ? " (driver claims no DEFERRED_FLUSH: no flush queue, unmap invalidates at once)" : "");
    }

    /**
     * One pair does what it should: the device reads the buffer at the returned address; after
     * the unmap (strict: at once; DMA-FQ: after the flush queue is drained) it faults.
     */
    private void checkOnePair(DomainType type) {
        long inv0 = rig.counter("invalidations");
        long dma = dev.mapPage(pa + 0x40, 64, DmaDirection.BIDIRECTIONAL);
        if ((dma & (StackRig.PG - 1)) != 0x40) {
            throw new IllegalStateException("dma_map_page kept no in-page offset: DMA address 0x" + Long.toHexString(dma));
        }
        rig.expectBufferAt(dma, 0x40, 64, "after dma_map_page");
        long inv1 = rig.counter("invalidations");
        dev.unmapPage(dma, 64, DmaDirection.BIDIRECTIONAL);
        long inv2 = rig.counter("invalidations");
        if (type == DomainType.DMA_FQ) {
            dev.flush();
        }
        long inv3 = rig.counter("invalidations");
        rig.expectFault(dma, "after dma_unmap_page");
        boolean deferred = type == DomainType.DMA_FQ;
        if (inv1 <= inv0 || (deferred ? inv2 != inv1 || inv3 <= inv2 : inv2 <= inv1)) {
            throw new IllegalStateException(type + ": invalidations " + inv0 + " -> " + inv1 + " (map) -> " + inv2
                    + " (unmap) -> " + inv3 + " (flush); expected one after the map and "
                    + (deferred ? "none until the flush" : "one after the unmap"));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        api.close();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (FQ_THREAD.equals(t.getName())) {
                t.join(TimeUnit.SECONDS.toMillis(5));
                if (t.isAlive()) {
                    throw new IllegalStateException("flush-queue thread " + t + " still runs after the DMA API was closed");
                }
            }
        }
        rig.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mapUnmap() {
        DmaDevice d = dev;
        long p = pa;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            long dma = d.mapPage(p, StackRig.PG, DmaDirection.BIDIRECTIONAL);
            d.unmapPage(dma, StackRig.PG, DmaDirection.BIDIRECTIONAL);
            sum += dma;
        }
        return sum;
    }
}
