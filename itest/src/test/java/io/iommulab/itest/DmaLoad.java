package io.iommulab.itest;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.Machine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Load that must run undisturbed through live updates, as the issue describes it:
 * <ul>
 * <li>every master given does DMA through a mapping of its own, in a loop: a new pattern written on
 * each of its streams, found in memory, and read back;</li>
 * <li>one thread maps a page through the DMA API (dma_map_page), does DMA through it on every stream
 * of its master, and unmaps it (dma_unmap_page), again and again;</li>
 * <li>another maps and unmaps pages of an unmanaged domain (iommu_map/iommu_unmap), each checked
 * with iova_to_phys and, while the domain is attached, by DMA of the master it is attached to
 * (whose loop then runs through that domain too).</li>
 * </ul>
 * No call may fail and no transfer may fault or land elsewhere: the first failure is kept
 * ({@link #assertNoFailure}); a call may wait. Every long-lived mapping also holds a block written
 * once at the start, which {@link #verifyLiveMappings} reads back by DMA, with every page's
 * translation.
 */
final class DmaLoad {

    /** the DMA API's granule with 16 KiB CPU pages; a buffer of this size (order 2) backs each mapping */
    private static final int PAGE = 16384;
    private static final int PAGE_ORDER = 2;
    private static final String OWNER = "itest-live-update";
    /** where the block written once lies in a mapping, and how long it is */
    private static final int DATA_LEN = 256;
    /** where the loop of stream i writes: LOOP_OFF + 0x100 * i */
    private static final int LOOP_OFF = 0x1000;
    /** IOVAs of the unmanaged domain: its long-lived buffers (a PAGE each), then the slots its mapping thread cycles through */
    private static final long UNMANAGED_DATA_IOVA = 0x40_0000L;
    private static final int UNMANAGED_DATA_PAGES = 2;
    private static final long UNMANAGED_SLOT_IOVA = 0x80_0000L;
    private static final int UNMANAGED_SLOTS = 4;
    /** the pause between two rounds of a thread */
    private static final long PACE_NS = 1_000_000L;

    /** A long-lived mapping of a master: {@code size} bytes in domain {@code domain}, and the block it holds. */
    record Mapping(String master, String via, int domain, long iova, long pa, long size, byte[] data) {
    }

    private final Machine m;
    private final IommuService iommu;
    private final DmaApi dma;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final AtomicLong failures = new AtomicLong();
    private final Map<String, AtomicLong> rounds = new LinkedHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<Long> buffers = new ArrayList<>();
    private final List<Mapping> unmanagedData = new ArrayList<>();
    private IommuDomain unmanaged;
    private String unmanagedMaster;
    private boolean unmanagedAttached;
    /** bytes mapped in each domain before the load mapped anything */
    private Map<Integer, Long> mappedBefore;
    /** the domain the DMA-API mappings come and go in, or null */
    private Integer churnDomain;

    private DmaLoad(Machine m, IommuService iommu, DmaApi dma) {
        this.m = m;
        this.iommu = iommu;
        this.dma = dma;
    }

    /**
     * Maps what the load needs and starts its threads.
     *
     * @param masters    the masters that do DMA in a loop, each through its own mapping
     * @param dmaMapper  the master whose DMA-API mappings come and go
     * @param unmanaged  the master an unmanaged domain is allocated for (alone in its group), or null for
     *                   none; the domain stays attached to it when {@code attached}, else it is
     *                   attached once (which gives it its table) and detached, and lives on with no
     *                   stream until {@link #close}
     */
    static DmaLoad start(Machine m, IommuService iommu, DmaApi dma, List<String> masters, String dmaMapper,
            String unmanaged, boolean attached) {
        DmaLoad load = new DmaLoad(m, iommu, dma);
        load.mappedBefore = mappedBytes(iommu);
        if (unmanaged != null) {
            load.allocUnmanaged(unmanaged, attached);
        }
        for (String name : masters) {
            // the master the unmanaged domain stays attached to does its DMA through that domain
            Mapping map = attached && name.equals(unmanaged) ? load.unmanagedData.get(0) : load.dmaApiMapping(name);
            load.spawn("dma " + name, () -> load.dmaRound(map));
        }
        if (dmaMapper != null) {
            load.churnDomain = iommu.domainOf(dmaMapper).id();
            long buf = load.alloc();
            load.spawn("dma_map_page " + dmaMapper, () -> load.dmaMapRound(dmaMapper, buf));
        }
        if (unmanaged != null) {
            long[] slots = new long[UNMANAGED_SLOTS];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = load.alloc();
            }
            AtomicLong k = new AtomicLong();
            load.spawn("iommu_map " + unmanaged, () -> load.iommuMapRound(slots, (int) (k.getAndIncrement() % slots.length)));
        }
        return load;
    }

    // ---------------------------------------------------------------- set-up

    private long alloc() {
        long pa = m.pages().allocPages(PAGE_ORDER, OWNER);
        buffers.add(pa);
        return pa;
    }

    private static byte[] data(String master, String via) {
        byte[] d = new byte[DATA_LEN];
        byte[] name = (master + " via " + via + " before every update").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < d.length; i++) {
            d[i] = i < name.length ? name[i] : (byte) (i * 7 + name.length);
        }
        return d;
    }

    /** A DMA-API mapping of the master; its block written by DMA on stream 0 and found in memory. */
    private Mapping dmaApiMapping(String master) {
        long pa = alloc();
        long iova = dma.device(master).mapPage(pa, PAGE, DmaDirection.BIDIRECTIONAL);
        Mapping map = new Mapping(master, "the DMA API", iommu.domainOf(master).id(), iova, pa, PAGE, data(master, "the DMA API"));
        writeBlock(map);
        mappings.add(map);
        return map;
    }

    private void allocUnmanaged(String master, boolean attached) {
        GroupDTO g = groupOf(master);
        if (g.devices().size() != 1) {
            throw new AssertionError(master + " shares its group with " + g.devices() + "; an unmanaged domain would take them off the DMA API");
        }
        unmanaged = iommu.domainAlloc(master, DomainType.UNMANAGED);
        unmanagedMaster = master;
        iommu.attachGroup(unmanaged, master);
        unmanagedAttached = true;
        unmanagedPage(); // checks that its pages fit a buffer
        for (int i = 0; i < UNMANAGED_DATA_PAGES; i++) {
            long pa = alloc();
            long iova = UNMANAGED_DATA_IOVA + (long) i * PAGE;
            unmanaged.map(iova, pa, PAGE, Prot.READ | Prot.WRITE);
            Mapping map = new Mapping(master, via(), unmanaged.id(), iova, pa, PAGE, data(master, via() + " buffer " + i));
            writeBlock(map);
            mappings.add(map);
            unmanagedData.add(map);
        }
        if (!attached) {
            iommu.detachGroup(unmanaged, master);
            unmanagedAttached = false;
        }
    }

    private String via() {
        return "unmanaged domain " + unmanaged.id();
    }

    private long unmanagedPage() {
        long pg = Long.lowestOneBit(unmanaged.pgsizeBitmap());
        if (pg > PAGE) {
            throw new AssertionError("the unmanaged domain's smallest page is 0x" + Long.toHexString(pg) + ", more than a buffer");
        }
        return pg;
    }

    private GroupDTO groupOf(String master) {
        for (GroupDTO g : iommu.groups()) {
            if (g.devices().contains(master)) {
                return g;
            }
        }
        throw new AssertionError(master + " is in no group: " + iommu.groups());
    }

    private void writeBlock(Mapping map) {
        DmaMaster master = m.master(map.master()).orElseThrow();
        DmaResult w = master.write(0, map.iova(), map.data());
        if (!w.ok()) {
            throw new AssertionError(map + ": writing its block: " + w);
        }
        byte[] inRam = new byte[DATA_LEN];
        m.memory().read(map.pa(), inRam, 0, inRam.length);
        if (!Arrays.equals(map.data(), inRam)) {
            throw new AssertionError(map + ": the block landed elsewhere");
        }
    }

    // ---------------------------------------------------------------- the threads

    private void spawn(String what, Runnable round) {
        AtomicLong n = new AtomicLong();
        rounds.put(what, n);
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                try {
                    round.run();
                    n.incrementAndGet();
                } catch (RuntimeException | AssertionError e) {
                    fail(what + ": " + e);
                }
                // a pause between rounds: the load must go on through the updates, not starve them of CPU
                LockSupport.parkNanos(PACE_NS);
            }
        }, "itest-load " + what);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void fail(String what) {
        failures.incrementAndGet();
        firstFailure.compareAndSet(null, what);
    }

    /** One round of a master's loop: a new pattern on each of its streams, found in memory and read back. */
    private void dmaRound(Mapping map) {
        DmaMaster master = m.master(map.master()).orElseThrow();
        long round = rounds.get("dma " + map.master()).get();
        for (int i = 0; i < master.streams().size(); i++) {
            long off = LOOP_OFF + 0x100L * i;
            transfer(master, i, map.iova() + off, map.pa() + off, map + " stream " + i + " round " + round);
        }
    }

    /** dma_map_page, DMA on every stream, dma_unmap_page. */
    private void dmaMapRound(String name, long buf) {
        DmaDevice dev = dma.device(name);
        DmaMaster master = m.master(name).orElseThrow();
        long iova = dev.mapPage(buf, PAGE, DmaDirection.BIDIRECTIONAL);
        try {
            for (int i = 0; i < master.streams().size(); i++) {
                transfer(master, i, iova + 0x100L * i, buf + 0x100L * i, name + " dma_map_page 0x" + Long.toHexString(iova) + " stream " + i);
            }
        } finally {
            dev.unmapPage(iova, PAGE, DmaDirection.BIDIRECTIONAL);
        }
    }

    /** iommu_map of one slot, iova_to_phys (and DMA while attached), iommu_unmap. */
    private void iommuMapRound(long[] slots, int slot) {
        long pg = unmanagedPage();
        long iova = UNMANAGED_SLOT_IOVA + slot * pg;
        long pa = slots[slot];
        unmanaged.map(iova, pa, pg, Prot.READ | Prot.WRITE);
        try {
            long phys = unmanaged.iovaToPhys(iova + 0x42);
            if (phys != pa + 0x42) {
                throw new AssertionError(via() + ": iova_to_phys(0x" + Long.toHexString(iova + 0x42) + ") = 0x" + Long.toHexString(phys)
                        + ", mapped to 0x" + Long.toHexString(pa + 0x42));
            }
            if (unmanagedAttached) {
                DmaMaster master = m.master(unmanagedMaster).orElseThrow();
                transfer(master, 0, iova + 0x200, pa + 0x200, via() + " slot " + slot);
            }
        } finally {
            long n = unmanaged.unmap(iova, pg);
            if (n != pg) {
                fail(via() + ": iommu_unmap of 0x" + Long.toHexString(iova) + " unmapped 0x" + Long.toHexString(n));
            }
        }
        if (unmanaged.iovaToPhys(iova) != 0) {
            throw new AssertionError(via() + ": 0x" + Long.toHexString(iova) + " still translates after iommu_unmap");
        }
    }

    /** A write of a new pattern, found at {@code pa}, and a read that gives it back. */
    private void transfer(DmaMaster master, int stream, long iova, long pa, String what) {
        byte[] data = (what + " @" + System.nanoTime()).getBytes(StandardCharsets.US_ASCII);
        DmaResult w = master.write(stream, iova, data);
        if (!w.ok()) {
            throw new AssertionError(what + ": write refused: " + w.fault() + " by " + w.iommu());
        }
        byte[] inRam = new byte[data.length];
        m.memory().read(pa, inRam, 0, inRam.length);
        if (!Arrays.equals(data, inRam)) {
            throw new AssertionError(what + ": the write did not land at 0x" + Long.toHexString(pa));
        }
        DmaResult r = master.read(stream, iova, data.length);
        if (!r.ok() || !Arrays.equals(data, r.data())) {
            throw new AssertionError(what + ": read back " + (r.ok() ? new String(r.data(), StandardCharsets.US_ASCII) : r.fault()));
        }
    }

    // ---------------------------------------------------------------- checks

    /** @throws AssertionError with the first failure and how many there were */
    void assertNoFailure() {
        String f = firstFailure.get();
        if (f != null) {
            throw new AssertionError(failures.get() + " failed calls or transfers; the first: " + f);
        }
    }

    /**
     * Waits until every thread of the load has done two more rounds (it runs on whatever code is there
     * now), checking at the load's own pace.
     */
    void awaitProgress() throws InterruptedException {
        Map<String, Long> at = snapshot();
        long deadline = System.nanoTime() + Container.TIMEOUT_MS * 1_000_000L;
        while (firstFailure.get() == null && !progressed(at)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the load did not go on within " + Container.TIMEOUT_MS + " ms: rounds were " + at
                        + ", are " + snapshot());
            }
            LockSupport.parkNanos(PACE_NS);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        assertNoFailure();
    }

    private boolean progressed(Map<String, Long> at) {
        for (Map.Entry<String, Long> e : at.entrySet()) {
            if (rounds.get(e.getKey()).get() < e.getValue() + 2) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        rounds.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /**
     * Every IOVA of every domain translates as it did when it was mapped:
     * <ul>
     * <li>each long-lived mapping, page by page (the domain's smallest page), by iova_to_phys of the
     * domain it was made in (same id), and its block read back by DMA on every stream of its master
     * (not for a detached domain: no stream runs it);</li>
     * <li>and these are all the mappings there are: every domain holds the bytes it held before the
     * load plus the load's long-lived mappings in it, and at most the one page a churn thread may
     * have mapped at that instant (whose own round checks it).</li>
     * </ul>
     *
     * @return the number of pages checked
     */
    long verifyLiveMappings() {
        long pages = 0;
        for (Mapping map : mappings) {
            IommuDomain d = domainOf(map);
            if (d.id() != map.domain()) {
                throw new AssertionError(map + ": its master is now on domain " + d.id());
            }
            long g = Long.lowestOneBit(d.pgsizeBitmap());
            for (long off = 0; off < map.size(); off += g) {
                long phys = d.iovaToPhys(map.iova() + off);
                if (phys != map.pa() + off) {
                    throw new AssertionError(map + ": iova_to_phys(0x" + Long.toHexString(map.iova() + off) + ") = 0x"
                            + Long.toHexString(phys) + ", mapped to 0x" + Long.toHexString(map.pa() + off));
                }
                pages++;
            }
            if (!unmanagedData.contains(map) || unmanagedAttached) {
                readBack(map);
            }
        }
        checkEveryMappingKnown();
        return pages;
    }

    private IommuDomain domainOf(Mapping map) {
        return unmanagedData.contains(map) ? unmanaged : iommu.domainOf(map.master());
    }

    private void checkEveryMappingKnown() {
        Map<Integer, Long> known = new TreeMap<>(mappedBefore);
        mappings.forEach(map -> known.merge(map.domain(), map.size(), Long::sum));
        Map<Integer, Long> now = mappedBytes(iommu);
        for (Map.Entry<Integer, Long> e : now.entrySet()) {
            long expect = known.getOrDefault(e.getKey(), 0L);
            long churn = (e.getKey().equals(churnDomain) ? PAGE : 0) + (unmanaged != null && e.getKey() == unmanaged.id() ? unmanagedPage() : 0);
            if (e.getValue() < expect || e.getValue() > expect + churn) {
                throw new AssertionError("domain " + e.getKey() + " maps 0x" + Long.toHexString(e.getValue()) + " bytes; known: 0x"
                        + Long.toHexString(expect) + " (and up to 0x" + Long.toHexString(churn) + " coming and going); domains "
                        + iommu.domains());
            }
        }
        known.keySet().removeAll(now.keySet());
        known.values().removeIf(v -> v == 0);
        if (!known.isEmpty()) {
            throw new AssertionError("domains with mappings are gone: " + known + "; domains " + iommu.domains());
        }
    }

    /** @return bytes mapped (iommu_map minus iommu_unmap) by domain id */
    private static Map<Integer, Long> mappedBytes(IommuService iommu) {
        Map<Integer, Long> out = new TreeMap<>();
        for (DomainDTO d : iommu.domains()) {
            out.put(d.id(), d.mappedBytes());
        }
        return out;
    }

    /**
     * @return the pages (of their domain's smallest size) of the long-lived DMA-API mappings of the
     *         masters with a stream on one of {@code iommus}: what a live update of those IOMMUs
     *         verifies at least
     */
    long dmaApiPages(Collection<String> iommus) {
        Map<String, DeviceDTO> devices = new TreeMap<>();
        iommu.devices().forEach(d -> devices.put(d.node(), d));
        long pages = 0;
        for (Mapping map : mappings) {
            DeviceDTO dev = devices.get(map.master());
            if (unmanagedData.contains(map) || dev == null || dev.iommus().stream().noneMatch(s -> iommus.contains(s.iommu()))) {
                continue;
            }
            pages += map.size() / Long.lowestOneBit(iommu.domainOf(map.master()).pgsizeBitmap());
        }
        return pages;
    }

    private void readBack(Mapping map) {
        DmaMaster master = m.master(map.master()).orElseThrow();
        for (int i = 0; i < master.streams().size(); i++) {
            DmaResult r = master.read(i, map.iova(), DATA_LEN);
            if (!r.ok()) {
                throw new AssertionError(map + " stream " + i + ": its block cannot be read: " + r.fault() + " by " + r.iommu());
            }
            if (!Arrays.equals(map.data(), r.data())) {
                throw new AssertionError(map + " stream " + i + ": its block reads " + new String(r.data(), StandardCharsets.US_ASCII));
            }
        }
    }

    // ---------------------------------------------------------------- end

    /** Stops the threads and waits for them. */
    private void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(Container.TIMEOUT_MS);
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop");
            }
        }
    }

    /** What runs under the load. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code work} under the load, then {@link #close closes} it; if the work failed, a
     * failure of the close is added to its failure rather than hiding it.
     */
    <T> T around(Work<T> work) throws Exception {
        T out;
        try {
            out = work.run();
        } catch (Exception | AssertionError e) {
            try {
                close();
            } catch (Exception | AssertionError c) {
                e.addSuppressed(c);
            }
            throw e;
        }
        close();
        return out;
    }

    /**
     * Stops the load, reads back by DMA every long-lived mapping, then unmaps everything, frees the
     * unmanaged domain and the buffers. A detached unmanaged domain is read last: attached to its
     * master for it (which takes the master off its DMA-API mappings), and detached again.
     */
    void close() throws InterruptedException {
        stop();
        try {
            boolean detached = unmanaged != null && !unmanagedAttached;
            for (Mapping map : mappings) {
                if (!detached || !unmanagedData.contains(map)) {
                    readBack(map);
                }
            }
            if (detached) {
                iommu.attachGroup(unmanaged, unmanagedMaster);
                unmanagedAttached = true;
                unmanagedData.forEach(this::readBack);
            }
        } finally {
            release();
        }
    }

    private void release() {
        if (unmanaged != null) {
            if (unmanagedAttached) {
                iommu.detachGroup(unmanaged, unmanagedMaster); // its master back on the DMA API
            }
            unmanaged.free();
        }
        for (Mapping map : mappings) {
            if (!unmanagedData.contains(map)) {
                dma.device(map.master()).unmapPage(map.iova(), PAGE, DmaDirection.BIDIRECTIONAL);
            }
        }
        for (long pa : buffers) {
            m.pages().freePages(pa);
        }
    }
}
