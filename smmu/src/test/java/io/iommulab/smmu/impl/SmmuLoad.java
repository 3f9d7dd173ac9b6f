package io.iommulab.smmu.impl;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load on a {@link LiveUpdateTest.Workload} while something is swapped under it: one thread does DMA
 * through every mapping and checks where it lands, another maps and unmaps the mapper's page
 * (iommu_map / iommu_unmap), round after round until closed. Closing stops both and fails with the
 * first thing that went wrong.
 */
final class SmmuLoad implements AutoCloseable {

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong dmaRounds = new AtomicLong();
    private final AtomicLong mapRounds = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread dma;
    private final Thread mapper;

    private SmmuLoad(LiveUpdateTest.Workload w) {
        dma = new Thread(() -> loop(w::assertEveryMappingLands, dmaRounds), "dma");
        mapper = new Thread(() -> loop(w::mapperStep, mapRounds), "mapper");
    }

    /** Starts both threads. */
    static SmmuLoad start(LiveUpdateTest.Workload w) {
        SmmuLoad l = new SmmuLoad(w);
        l.dma.start();
        l.mapper.start();
        return l;
    }

    private void loop(Runnable step, AtomicLong rounds) {
        try {
            while (!stop.get()) {
                step.run();
                rounds.incrementAndGet();
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /** Waits until each thread has done {@code more} rounds from now, or one failed. */
    void awaitRounds(long more) {
        long dma0 = dmaRounds.get();
        long map0 = mapRounds.get();
        while ((dmaRounds.get() < dma0 + more || mapRounds.get() < map0 + more) && failure.get() == null) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        dma.join();
        mapper.join();
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("under the load: " + t, t);
        }
    }
}
