package io.iommulab.bench;

import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.dma.DmaApiImpl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * What runs while the bench updates the driver: {@code mappings} live DMA-API pages spread round
 * robin over the masters (each page of its own, tagged with its index, so a transaction that lands
 * elsewhere is seen), DMA threads reading random pages through the IOMMU and checking the tag, and
 * map/unmap threads doing {@code dma_map_page} + {@code dma_unmap_page} on random masters (the
 * calls a live update holds back). Each thread parks a little after each transaction or pair: a
 * DMA engine takes no CPU, and on a machine with two CPUs threads running flat out would take them
 * from the thread doing the update. Every fault, wrong tag or failed call is counted and the first
 * one kept.
 */
final class LiveUpdateLoad implements AutoCloseable {

    static final long PG = 0x4000;
    /** the tags: index ^ this, so a page of zeros never passes */
    private static final long MAGIC = 0x10_7e_1a_b0_00_00_00_00L;

    private final DmaApiImpl dma;
    private final DmaDevice[] devices;
    private final DmaMaster[] owner;
    private final long[] iova;
    private final long scratch;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;
    private long paceNs;

    final AtomicLong transactions = new AtomicLong();
    final AtomicLong mapUnmaps = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicReference<String> firstFailure = new AtomicReference<>();
    /** the longest one dma_map_page + dma_unmap_page pair of a mapper thread took, ns */
    final AtomicLong longestMapUnmapNs = new AtomicLong();

    LiveUpdateLoad(LiveUpdateRig rig, int mappings) {
        this.dma = new DmaApiImpl(rig.engine);
        int n = rig.masters.size();
        devices = new DmaDevice[n];
        for (int i = 0; i < n; i++) {
            devices[i] = dma.device(rig.masters.get(i).name());
        }
        owner = new DmaMaster[mappings];
        iova = new long[mappings];
        long base = rig.machine.ram().get(0).base() + 0x100_0000L;
        ByteBuffer tag = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < mappings; i++) {
            long pa = base + i * PG;
            tag.putLong(0, tag(i));
            rig.machine.memory().write(pa, tag.array(), 0, 8);
            owner[i] = rig.masters.get(i % n);
            iova[i] = devices[i % n].mapPage(pa, PG, DmaDirection.BIDIRECTIONAL);
        }
        scratch = base + (long) mappings * PG;
    }

    private static long tag(int i) {
        return MAGIC ^ i;
    }

    int mappings() {
        return iova.length;
    }

    /**
     * @param paceNs each thread parks this long after each transaction or map+unmap pair (0: runs
     *               flat out, which on a machine with few CPUs takes them from the updating thread)
     */
    void start(int dmaThreads, int mapperThreads, long paceNs) {
        this.paceNs = paceNs;
        for (int t = 0; t < dmaThreads; t++) {
            long seed = 0x5eed + t;
            threads.add(new Thread(() -> dmaLoop(new SplittableRandom(seed)), "bench-dma-" + t));
        }
        for (int t = 0; t < mapperThreads; t++) {
            long seed = 0xa11c + t;
            threads.add(new Thread(() -> mapLoop(new SplittableRandom(seed)), "bench-map-" + t));
        }
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
    }

    /** @return null if the DMA read of page {@code i} lands on its tag, else what it did */
    private String check(int i) {
        DmaResult r = owner[i].read(0, iova[i], 8);
        if (!r.ok()) {
            return owner[i].name() + ": DMA read at IOVA 0x" + Long.toHexString(iova[i]) + " faulted: " + r.fault();
        }
        long got = ByteBuffer.wrap(r.data()).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return got == tag(i) ? null : owner[i].name() + ": DMA read at IOVA 0x" + Long.toHexString(iova[i])
                + " landed elsewhere: tag 0x" + Long.toHexString(got) + ", page " + i + " has 0x" + Long.toHexString(tag(i));
    }

    private void fail(String what) {
        failures.incrementAndGet();
        firstFailure.compareAndSet(null, what);
    }

    private void dmaLoop(SplittableRandom rnd) {
        while (!stop) {
            String bad = check(rnd.nextInt(iova.length));
            if (bad != null) {
                fail(bad);
            }
            transactions.incrementAndGet();
            pace();
        }
    }

    private void mapLoop(SplittableRandom rnd) {
        while (!stop) {
            DmaDevice d = devices[rnd.nextInt(devices.length)];
            long t0 = System.nanoTime();
            try {
                long a = d.mapPage(scratch, PG, DmaDirection.TO_DEVICE);
                d.unmapPage(a, PG, DmaDirection.TO_DEVICE);
            } catch (RuntimeException e) {
                fail(d.name() + ": dma_map_page/dma_unmap_page failed: " + e);
            }
            longestMapUnmapNs.accumulateAndGet(System.nanoTime() - t0, Math::max);
            mapUnmaps.incrementAndGet();
            pace();
        }
    }

    private void pace() {
        if (paceNs > 0) {
            LockSupport.parkNanos(paceNs);
        } else {
            Thread.onSpinWait();
        }
    }

    /** @return how many of the live pages a DMA read does not find on their tag (each checked once) */
    long checkEveryPage() {
        long bad = 0;
        for (int i = 0; i < iova.length; i++) {
            String what = check(i);
            if (what != null) {
                fail(what);
                bad++;
            }
        }
        return bad;
    }

    void stopThreads() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(10_000);
        }
        threads.clear();
    }

    @Override
    public void close() throws InterruptedException {
        stopThreads();
        for (int i = 0; i < iova.length; i++) {
            devices[i % devices.length].unmapPage(iova[i], PG, DmaDirection.BIDIRECTIONAL);
        }
        dma.close();
    }
}
