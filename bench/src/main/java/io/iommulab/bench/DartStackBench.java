package io.iommulab.bench;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
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
 * iommu_map + iommu_unmap of one 16 KiB page, read/write, on the audio DMA controller's default DMA
 * domain (sio_dart, SID 2): the core's checks and page-size split, the apple-dart driver, the
 * apple-dart format in the machine's memory, and the TLB invalidation the driver issues through
 * the model's registers after the map (iotlb_sync_map) and after the unmap (iotlb_sync). The DART
 * invalidates whole streams only (dart-facts §1.9), so each sync is one stream command.
 * IOVAs rotate over the 4096 pages of a 64 MiB window low in the aperture (random order); the
 * physical page is fixed. Score: ns per map+unmap pair.
 *
 * <p>No {@code mapUnmapNoSync}: the core always syncs after a map ({@code DomainImpl.map} calls
 * iotlbSyncMap unconditionally); only the unmap side can be deferred, by the DMA API's flush queue.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DartStackBench {

    /** Pairs per invocation. */
    static final int BATCH = 1024;
    static final int RW = Prot.READ | Prot.WRITE;

    /** The core's trace ring (on in CoreConfig.defaults()); off by default here, as Linux's trace points. */
    @Param({"false"})
    public boolean trace;

    private StackRig rig;
    private IommuDomain domain;
    private long[] iovas;
    private long pa;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        rig = StackRig.boot(true, trace);
        domain = rig.engine.domainOf(StackRig.ADMAC);
        if ((domain.pgsizeBitmap() & StackRig.PG) == 0) {
            throw new IllegalStateException("domain " + domain.id() + " has no 16 KiB pages: bitmap 0x"
                    + Long.toHexString(domain.pgsizeBitmap()));
        }
        iovas = StackRig.windowIovas();
        pa = rig.buffer;
        // Every leaf table of the window exists before timing (a first map allocates it).
        for (long iova : iovas) {
            domain.map(iova, pa, StackRig.PG, RW);
            domain.unmap(iova, StackRig.PG);
        }
        checkOnePair(iovas[0]);
        System.out.printf("%n[stack] %s domain %d (%s), trace %s; one pair = map + iotlb_sync_map + unmap + iotlb_sync"
                + " (the driver's translation fault line is the setup's check that the unmap took effect)%n",
                StackRig.ADMAC, domain.id(), domain.type(), trace);
    }

    /** One pair does what it should: DMA sees the buffer after the map, faults after the unmap; each sync invalidates. */
    private void checkOnePair(long iova) {
        long inv0 = rig.counter("invalidations");
        domain.map(iova, pa, StackRig.PG, RW);
        long inv1 = rig.counter("invalidations");
        rig.expectBufferAt(iova + 0x100, 0x100, 64, "after map");
        if (domain.unmap(iova, StackRig.PG) != StackRig.PG) {
            throw new IllegalStateException("unmap at IOVA 0x" + Long.toHexString(iova) + " did not unmap one page");
        }
        long inv2 = rig.counter("invalidations");
        rig.expectFault(iova + 0x100, "after unmap");
        if (inv1 <= inv0 || inv2 <= inv1) {
            throw new IllegalStateException("map/unmap did not invalidate the DART's TLB: invalidations " + inv0 + " -> "
                    + inv1 + " (map) -> " + inv2 + " (unmap)");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (long iova : iovas) {
            if (domain.iovaToPhys(iova) != 0) {
                throw new IllegalStateException("IOVA 0x" + Long.toHexString(iova) + " is still mapped after the run");
            }
        }
        rig.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mapUnmap() {
        IommuDomain d = domain;
        long[] iv = iovas;
        long p = pa;
        int c = cursor;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            d.map(iv[c], p, StackRig.PG, RW);
            sum += d.unmap(iv[c], StackRig.PG);
            c = (c + 1) & (StackRig.WINDOW_PAGES - 1);
        }
        cursor = c;
        return sum;
    }
}
