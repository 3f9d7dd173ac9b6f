package io.iommulab.bench;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
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
 * The comparison's "how fast it goes", measured properly: the same operations on the Apple DART
 * stack and on its ARM SMMUv2 twin (same master, same stream id; see {@link StackRig#bootSmmu}).
 * <ul>
 * <li>{@code mapUnmap}: iommu_map + iommu_unmap of one 16 KiB page on admac's default domain —
 * DART: map, iotlb_sync_map (stream invalidation), unmap, iotlb_sync (stream invalidation);
 * SMMU: map (no sync on map), unmap with one TLBIVAL, iotlb_sync (TLBSYNC + TLBSTATUS poll);</li>
 * <li>{@code dmaMapUnmap}: dma_map_single + dma_unmap_single of 16 KiB (strict), IOVA allocation included;</li>
 * <li>{@code dmaRead}: one 256-byte DMA transaction through a mapped page (an IOTLB hit).</li>
 * </ul>
 * Score: ns per operation (pair).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BackendStackBench {
    static final int BATCH = 1024;
    static final int RW = Prot.READ | Prot.WRITE;

    @Param({"apple-dart", "arm-smmu-v2"})
    public String backend;

    private StackRig rig;
    private IommuDomain domain;
    private DmaApiImpl dma;
    private DmaDevice device;
    private long[] iovas;
    private long pa;
    private long mapped;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        rig = StackRig.boot(backend, true, false);
        domain = rig.engine.domainOf(StackRig.ADMAC);
        if ((domain.pgsizeBitmap() & StackRig.PG) == 0) {
            throw new IllegalStateException(backend + ": domain has no 16 KiB pages: 0x" + Long.toHexString(domain.pgsizeBitmap()));
        }
        iovas = StackRig.windowIovas();
        pa = rig.buffer;
        for (long iova : iovas) {
            domain.map(iova, pa, StackRig.PG, RW);
            domain.unmap(iova, StackRig.PG);
        }
        // One pair does what it should: the buffer is seen after the map, a fault after the unmap.
        long inv = rig.counter("invalidations");
        domain.map(iovas[0], pa, StackRig.PG, RW);
        rig.expectBufferAt(iovas[0] + 0x100, 0x100, 64, backend + " after map");
        domain.unmap(iovas[0], StackRig.PG);
        rig.expectFault(iovas[0] + 0x100, backend + " after unmap");
        if (rig.counter("invalidations") <= inv) {
            throw new IllegalStateException(backend + ": map/unmap did not invalidate the TLB");
        }
        dma = new DmaApiImpl(rig.engine);
        device = dma.device(StackRig.ADMAC);
        mapped = device.mapPage(pa, StackRig.PG, DmaDirection.BIDIRECTIONAL);
        rig.expectBufferAt(mapped, 0, 256, backend + " DMA API mapping");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        device.unmapPage(mapped, StackRig.PG, DmaDirection.BIDIRECTIONAL);
        dma.close();
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

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long dmaMapUnmap() {
        DmaDevice dev = device;
        long p = pa;
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            long a = dev.mapPage(p, StackRig.PG, DmaDirection.TO_DEVICE);
            dev.unmapPage(a, StackRig.PG, DmaDirection.TO_DEVICE);
            sum += a;
        }
        return sum;
    }

    @Benchmark
    public long dmaRead() {
        return rig.master.read(0, mapped + 0x200, 256).bytes();
    }
}
