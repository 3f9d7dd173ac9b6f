package io.iommulab.dart.impl;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PhysicalMemory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Work that must not notice a live update: one thread does DMA through mappings made before it
 * (written, found in memory, read back), another keeps mapping, doing DMA through the new mapping
 * and unmapping, on a user domain and through the DMA API. Every fault, refusal, wrong byte or
 * exception is a failure, kept with what it was.
 */
final class UpdateLoad implements AutoCloseable {

    static final long PG = 0x4000;
    static final int RW = Prot.READ | Prot.WRITE;

    /** A transfer that must keep landing at {@code pa}: IOVA (or PA for identity) on one stream of a master. */
    record Pinned(DmaMaster master, int stream, long iova, long pa) {
    }

    /** What the mapper maps and unmaps again and again, each time with DMA through it ({@code domain} may be null). */
    record Mapper(IommuDomain domain, long iova, DmaMaster domainMaster, DmaDevice dma, DmaMaster dmaMaster, long pa) {
    }

    private final PhysicalMemory memory;
    private final List<Pinned> pinned;
    private final Mapper mapper;
    private final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong transfers = new AtomicLong();
    final AtomicLong maps = new AtomicLong();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    UpdateLoad(PhysicalMemory memory, List<Pinned> pinned, Mapper mapper) {
        this.memory = memory;
        this.pinned = List.copyOf(pinned);
        this.mapper = mapper;
    }

    UpdateLoad start() {
        threads.add(new Thread(this::dmaLoop, "update-load-dma"));
        if (mapper != null) {
            threads.add(new Thread(this::mapLoop, "update-load-map"));
        }
        threads.forEach(Thread::start);
        return this;
    }

    /** Waits until both threads did {@code n} more rounds (or one of them failed). */
    void awaitRounds(long n) {
        long t = transfers.get() + n;
        long m = maps.get() + (mapper != null ? n : 0);
        while ((transfers.get() < t || maps.get() < m) && failures.isEmpty() && threads.stream().allMatch(Thread::isAlive)) {
            LockSupport.parkNanos(100_000);
        }
    }

    private void dmaLoop() {
        long round = 0;
        while (!stop.get()) {
            for (Pinned p : pinned) {
                byte[] data = (p.master().name() + "#" + p.stream() + " round " + round).getBytes(StandardCharsets.US_ASCII);
                transfer(p.master(), p.stream(), p.iova(), p.pa(), data);
            }
            round++;
            transfers.incrementAndGet();
        }
    }

    private void mapLoop() {
        long round = 0;
        while (!stop.get()) {
            try {
                byte[] data = ("mapper round " + round).getBytes(StandardCharsets.US_ASCII);
                if (mapper.domain() != null) {
                    mapper.domain().map(mapper.iova(), mapper.pa(), PG, RW);
                    transfer(mapper.domainMaster(), 0, mapper.iova() + 0x40, mapper.pa() + 0x40, data);
                    mapper.domain().unmap(mapper.iova(), PG);
                }
                long iova = mapper.dma().mapPage(mapper.pa() + PG, PG, DmaDirection.BIDIRECTIONAL);
                transfer(mapper.dmaMaster(), 0, iova + 0x80, mapper.pa() + PG + 0x80, data);
                mapper.dma().unmapPage(iova, PG, DmaDirection.BIDIRECTIONAL);
            } catch (RuntimeException e) {
                failures.add("mapper round " + round + ": " + e);
            }
            round++;
            maps.incrementAndGet();
        }
    }

    private void transfer(DmaMaster m, int stream, long iova, long pa, byte[] data) {
        String what = m.name() + " stream " + stream + " at 0x" + Long.toHexString(iova);
        DmaResult w = m.write(stream, iova, data);
        if (!w.ok()) {
            failures.add(what + ": write " + w.fault());
            return;
        }
        byte[] got = new byte[data.length];
        memory.read(pa, got, 0, got.length);
        if (!Arrays.equals(got, data)) {
            failures.add(what + ": landed elsewhere (0x" + Long.toHexString(pa) + " holds " + new String(got, StandardCharsets.US_ASCII)
                    + ")");
            return;
        }
        DmaResult r = m.read(stream, iova, data.length);
        if (!r.ok() || !Arrays.equals(r.data(), data)) {
            failures.add(what + ": read back " + (r.ok() ? new String(r.data(), StandardCharsets.US_ASCII) : r.fault()));
        }
    }

    /** Stops both threads and waits for them. */
    @Override
    public void close() {
        stop.set(true);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping " + t.getName(), e);
            }
        }
    }
}
