package io.iommulab.testkit;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.Machine;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Supplier;

/**
 * The scenarios every backend's tests sweep with {@link FailNthSweep}, over the public API only:
 * a driver probing its IOMMUs and masters, a domain of each type allocated and attached, a run of
 * pages mapped (allocating table pages) into a fresh domain and unmapped again, and a
 * scatter-gather list mapped by the DMA API. Each compares the state of {@link StateSnapshot} (the
 * core's view, pages by owner, interrupt handlers, threads started since these scenarios were made)
 * plus the backend's registers ({@code registers}: the values of the registers that matter, e.g.
 * every DART stream's TCR and TTBRs, every SMMU SMR, S2CR and used context bank) and the mappings
 * the scenario makes.
 *
 * <p>Fields: {@code machine}, {@code iommu}, {@code dma} what the scenarios call; {@code registers}
 * the backend's register reader; {@code threads} the threads alive when this was made, which the
 * state leaves out; {@code degraded} per point, the state keys a run that went on although the
 * point failed may show different (what the backend's upstream tolerates, {@link #degrade}).
 */
public final class FailNthScenarios {

    private final Machine machine;
    private final IommuService iommu;
    private final DmaApi dma;
    private final Supplier<? extends Map<String, ?>> registers;
    private final Set<Thread> threads = StateSnapshot.liveThreads();
    private final Map<String, Set<String>> degraded = new HashMap<>();
    private final List<Map.Entry<String, Supplier<? extends Map<String, ?>>>> more = new java.util.ArrayList<>();
    private java.util.function.BiFunction<String, Integer, ? extends Map<String, ?>> streamRegisters = (iommu, sid) -> Map.of();

    /**
     * @param registers the backend's registers that matter, read through the machine (not the
     *                  driver), by a name for the assertion message
     */
    public FailNthScenarios(Machine machine, IommuService iommu, DmaApi dma, Supplier<? extends Map<String, ?>> registers) {
        this.machine = machine;
        this.iommu = iommu;
        this.dma = dma;
        this.registers = registers;
    }

    /**
     * Declares what the backend's upstream tolerates: a run that succeeds although {@code point}
     * failed may leave the keys starting with {@code keyPrefixes} different from a clean run (e.g.
     * arm-smmu goes on without a context interrupt it could not request: {@code "irq "}).
     */
    public FailNthScenarios degrade(String point, String... keyPrefixes) {
        degraded.computeIfAbsent(point, p -> new HashSet<>()).addAll(List.of(keyPrefixes));
        return this;
    }

    /**
     * Says which registers configure one stream ({@code (iommu path, stream id) -> name -> value},
     * e.g. a DART stream's TCR and TTBRs, the SMRs that match an SMMU stream with their S2CRs; names
     * unique on the board, since streams may share an entry): a probe that failed must leave the
     * registers of every stream of a master it did not probe as they were, but those a probed
     * master's streams use too.
     */
    public FailNthScenarios streams(java.util.function.BiFunction<String, Integer, ? extends Map<String, ?>> registers) {
        this.streamRegisters = registers;
        return this;
    }

    /**
     * Adds keys to every scenario's state: {@code state}'s, each prefixed with {@code prefix} (e.g.
     * the DS services registered in a container, which an update must leave as they were).
     */
    public FailNthScenarios alsoCompare(String prefix, Supplier<? extends Map<String, ?>> state) {
        more.add(Map.entry(prefix, state));
        return this;
    }

    /** @return the common state: core, pages, interrupt handlers, new threads, the backend's registers, what was added */
    public StateSnapshot snapshot() {
        StateSnapshot s = StateSnapshot.of(machine, iommu).threads(threads).putAll("reg ", registers.get());
        for (Map.Entry<String, Supplier<? extends Map<String, ?>>> e : more) {
            s.putAll(e.getKey(), e.getValue().get());
        }
        return s;
    }

    /**
     * A domain of {@code type} allocated for {@code master} and its group attached to it, as a user
     * does: one that could not attach frees the domain.
     */
    private IommuDomain allocAttached(String master, DomainType type) {
        IommuDomain d = iommu.domainAlloc(master, type);
        try {
            iommu.attachGroup(d, master);
        } catch (IommuException e) {
            d.free();
            throw e;
        }
        return d;
    }

    /** Undoes {@link #allocAttached}: the group goes back to its default domain, the domain is freed. */
    private void detachFree(IommuDomain d, String master) {
        iommu.detachGroup(d, master);
        d.free();
    }

    abstract class Base implements FailNthScenario {
        private final String name;

        Base(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public SortedMap<String, String> state() {
            return snapshot().build();
        }

        @Override
        public Set<String> degraded(String point) {
            return degraded.getOrDefault(point, Set.of());
        }
    }

    // ---------------------------------------------------------------- probe

    /**
     * A driver registering: it probes every IOMMU it matches, then the masters behind them get
     * their groups and default domains. The run fails when an IOMMU or a master ended failed (with
     * the errno of its reason) that does not fail without injection: the driver is registered and
     * removed once first to find those (fixture boards have IOMMUs and masters a driver refuses on
     * purpose). The undo unregisters the driver, which releases what probed. Judged
     * {@link Judgement#RELEASED}: the IOMMUs and masters are independent devices, each probed or not
     * on its own.
     *
     * @param register   adds the driver (the core probes at once)
     * @param unregister removes it
     */
    public FailNthScenario probe(String name, Runnable register, Runnable unregister) {
        register.run();
        Set<String> refused = failedNodes();
        unregister.run();
        return new Base(name) {
            @Override
            public void run() {
                Set<String> failedBefore = failedNodes();
                failedBefore.addAll(refused);
                Map<StreamRefDTO, Map<String, ?>> streamsBefore = streamState();
                register.run();
                checkStreamsOfUnprobedMasters(name, streamsBefore);
                for (IommuNodeDTO n : iommu.iommus()) {
                    if (n.probeState() == ProbeState.FAILED && !failedBefore.contains(n.node())) {
                        throw failure(n.node(), n.reason());
                    }
                }
                for (DeviceDTO d : iommu.devices()) {
                    if (d.probeState() == ProbeState.FAILED && !failedBefore.contains(d.node())) {
                        throw failure(d.node(), d.reason());
                    }
                }
            }

            @Override
            public void undo() {
                unregister.run();
            }

            @Override
            public Judgement judgement() {
                return Judgement.RELEASED;
            }
        };
    }

    /** @return the registers of every stream a master names, by stream */
    private Map<StreamRefDTO, Map<String, ?>> streamState() {
        Map<StreamRefDTO, Map<String, ?>> out = new HashMap<>();
        for (DeviceDTO d : iommu.devices()) {
            for (StreamRefDTO s : d.iommus()) {
                out.computeIfAbsent(s, k -> Map.copyOf(streamRegisters.apply(k.iommu(), k.sid())));
            }
        }
        return out;
    }

    /**
     * Each stream of a master left unprobed, that no probed master uses, configured as before the
     * probe: a master whose probe failed part way (its attach to its group's domain, say) must not be
     * left translating through a domain it is not attached to.
     */
    private void checkStreamsOfUnprobedMasters(String name, Map<StreamRefDTO, Map<String, ?>> before) {
        Set<String> used = new HashSet<>();
        List<DeviceDTO> devices = iommu.devices();
        for (DeviceDTO d : devices) {
            if (d.probeState() == ProbeState.PROBED) {
                for (StreamRefDTO s : d.iommus()) {
                    used.addAll(streamRegisters.apply(s.iommu(), s.sid()).keySet());
                }
            }
        }
        for (DeviceDTO d : devices) {
            if (d.probeState() == ProbeState.PROBED) {
                continue;
            }
            for (StreamRefDTO s : d.iommus()) {
                Map<String, Object> was = new java.util.TreeMap<>(before.getOrDefault(s, Map.of()));
                Map<String, Object> now = new java.util.TreeMap<>(streamRegisters.apply(s.iommu(), s.sid()));
                was.keySet().removeAll(used);
                now.keySet().removeAll(used);
                if (!now.equals(was)) {
                    throw new AssertionError(name + ": " + d.node() + " is " + d.state() + " (" + d.reason() + "), but its stream "
                            + s.sid() + " of " + s.iommu() + " changed: " + was + " -> " + now);
                }
            }
        }
    }

    private Set<String> failedNodes() {
        Set<String> out = new HashSet<>();
        iommu.iommus().stream().filter(n -> n.probeState() == ProbeState.FAILED).forEach(n -> out.add(n.node()));
        iommu.devices().stream().filter(d -> d.probeState() == ProbeState.FAILED).forEach(d -> out.add(d.node()));
        return out;
    }

    /** @return the probe failure of {@code node} as the exception its reason names ("apple-dart: ENOMEM: ...") */
    static IommuException failure(String node, String reason) {
        Errno errno = null;
        for (String token : reason.split("[\\s:]+")) {
            try {
                errno = Errno.valueOf(token);
                break;
            } catch (IllegalArgumentException e) {
                // not an errno: the driver's name, a word of the message
            }
        }
        if (errno == null) {
            throw new AssertionError(node + " failed without an errno in its reason: " + reason);
        }
        return new IommuException(errno, node + " failed to probe: " + reason);
    }

    // ---------------------------------------------------------------- live update

    /**
     * A mapping a scenario keeps watching: every page of [{@code iova}, {@code iova + size}) of
     * {@code domain} by iova_to_phys ({@link StateSnapshot#mappings}).
     *
     * @param label names it in the state's keys
     */
    public record Watch(String label, IommuDomain domain, long iova, long size) {
    }

    /**
     * A live update of a driver: {@code update} replaces the driver's code under the running state
     * (a bundle update, or outside OSGi the old driver leaving in a live update and the next one
     * registering) and returns the live updates it made. The run fails when the last one of a
     * driver did not adopt the state (its reason's errno); a takeover the core tried again after a
     * failure and that then adopted is a run that went on. The state includes every page of the
     * {@code watches} (mappings the update must keep); a successful update changes nothing of it,
     * so the undo does nothing.
     */
    public FailNthScenario liveUpdate(String name, Supplier<List<LiveUpdateDTO>> update, List<Watch> watches) {
        return new Base(name) {
            @Override
            public void run() {
                List<LiveUpdateDTO> made = update.get();
                if (made.isEmpty()) {
                    throw new AssertionError(name + ": the update made no live update");
                }
                Map<String, LiveUpdateDTO> last = new java.util.LinkedHashMap<>();
                for (LiveUpdateDTO u : made) {
                    last.put(u.driver() + " " + u.iommus(), u);
                }
                for (LiveUpdateDTO u : last.values()) {
                    if (!u.adopted()) {
                        throw failure(String.join(", ", u.iommus()), u.reason());
                    }
                }
            }

            @Override
            public void undo() {
            }

            @Override
            public SortedMap<String, String> state() {
                StateSnapshot s = snapshot();
                for (Watch w : watches) {
                    s.mappings(w.label(), w.domain(), w.iova(), w.size(), Long.lowestOneBit(w.domain().pgsizeBitmap()));
                }
                return s.build();
            }
        };
    }

    // ---------------------------------------------------------------- attach

    /**
     * A domain of {@code type} allocated for {@code master} and its group attached to it; a user
     * that could not attach frees the domain. The undo detaches (back to the default domain) and
     * frees it.
     */
    public FailNthScenario attach(String master, DomainType type) {
        return new Base("attach " + type + " " + master) {
            private IommuDomain domain;

            @Override
            public void run() {
                domain = allocAttached(master, type);
            }

            @Override
            public void undo() {
                detachFree(domain, master);
                domain = null;
            }
        };
    }

    // ---------------------------------------------------------------- map and unmap

    /**
     * A scenario in an UNMANAGED domain of {@code master} of its own, attached, replaced by a fresh
     * one by the map's undo (so that every run allocates its tables); {@link #close} detaches and
     * frees it.
     */
    public abstract class InFreshDomainScenario extends Base implements AutoCloseable {
        final String master;
        final long iova;
        final long size;
        final long step;
        IommuDomain domain;

        InFreshDomainScenario(String name, String master, long iova, long size) {
            super(name);
            this.master = master;
            this.iova = iova;
            this.size = size;
            fresh();
            this.step = Long.lowestOneBit(domain.pgsizeBitmap());
        }

        /** a new domain, attached */
        final void fresh() {
            domain = allocAttached(master, DomainType.UNMANAGED);
        }

        final void drop() {
            detachFree(domain, master);
            domain = null;
        }

        @Override
        public SortedMap<String, String> state() {
            // the pages either side of the run too: nothing may be mapped beyond it
            return snapshot().mappings("user domain", domain, iova - step, size + 2 * step, step).build();
        }

        /** the page tables a failed run installed stay with the domain until it is freed */
        @Override
        public Set<String> keptUntilUndo(String point) {
            return Set.of("pages ");
        }

        /** Detaches and frees the domain: the group is back on its default domain. */
        @Override
        public void close() {
            drop();
        }
    }

    /**
     * {@code size} bytes at {@code iova} mapped to {@code pa} (read/write) in a fresh UNMANAGED
     * domain of {@code master}: a run that crosses leaf tables allocates table pages. The undo
     * unmaps and replaces the domain by a fresh one.
     */
    public InFreshDomainScenario map(String master, long iova, long pa, long size) {
        return new InFreshDomainScenario("map 0x" + Long.toHexString(size) + " at 0x" + Long.toHexString(iova) + " " + master,
                master, iova, size) {
            @Override
            public void run() {
                domain.map(iova, pa, size, Prot.READ | Prot.WRITE);
            }

            @Override
            public void undo() {
                domain.unmap(iova, size);
                drop();
                fresh();
            }
        };
    }

    /**
     * {@code size} bytes at {@code iova}, mapped to {@code pa} in a fresh UNMANAGED domain of
     * {@code master}, unmapped; the run must unmap all of them. The undo maps them again.
     */
    public InFreshDomainScenario unmap(String master, long iova, long pa, long size) {
        InFreshDomainScenario s = new InFreshDomainScenario("unmap 0x" + Long.toHexString(size) + " at 0x"
                + Long.toHexString(iova) + " " + master, master, iova, size) {
            @Override
            public void run() {
                long n = domain.unmap(iova, size);
                if (n != size) {
                    throw new AssertionError(name() + ": unmapped 0x" + Long.toHexString(n) + " of 0x" + Long.toHexString(size));
                }
            }

            @Override
            public void undo() {
                domain.map(iova, pa, size, Prot.READ | Prot.WRITE);
            }

            @Override
            public Set<String> keptUntilUndo(String point) {
                return Set.of();
            }
        };
        s.domain.map(iova, pa, size, Prot.READ | Prot.WRITE);
        return s;
    }

    // ---------------------------------------------------------------- the DMA API

    /**
     * dma_map_sg of {@code sg} for {@code master} on a fresh DMA domain (user-allocated and attached,
     * so that the DMA API manages it): one IOVA range for the list, whose segments the mapping
     * splits into pages of the domain; its first map allocates the domain's DMA cookie. The undo
     * unmaps and replaces the domain by a fresh one. The IOVA window watched is where a first
     * mapping of the list went, found before the sweep on a domain of its own.
     */
    public DmaSgScenario mapSg(String master, List<SgEntry> sg) {
        return new DmaSgScenario(master, sg);
    }

    /** dma_map_sg in a DMA domain of its own, which {@link #close} detaches and frees. */
    public final class DmaSgScenario extends Base implements AutoCloseable {
        private final String master;
        private final List<SgEntry> sg;
        private final long window;
        private final long windowSize;
        private final long step;
        private IommuDomain domain;
        private List<DmaSegment> segments;

        DmaSgScenario(String master, List<SgEntry> sg) {
            super("dma_map_sg of " + sg.size() + " entries " + master);
            this.master = master;
            this.sg = List.copyOf(sg);
            fresh();
            List<DmaSegment> first = dma.device(master).mapSg(sg, DmaDirection.BIDIRECTIONAL);
            long lo = Long.MAX_VALUE;
            long hi = 0;
            for (DmaSegment s : first) {
                lo = Math.min(lo, s.dmaAddress());
                hi = Math.max(hi, s.dmaAddress() + s.length());
            }
            dma.device(master).unmapSg(first, DmaDirection.BIDIRECTIONAL);
            this.step = Long.lowestOneBit(domain.pgsizeBitmap());
            this.window = (lo & -step) - step;
            this.windowSize = ((hi + step - 1) & -step) + step - window;
            drop();
            fresh();
        }

        private void fresh() {
            domain = allocAttached(master, DomainType.DMA);
        }

        private void drop() {
            detachFree(domain, master);
            domain = null;
        }

        @Override
        public void run() {
            segments = dma.device(master).mapSg(sg, DmaDirection.BIDIRECTIONAL);
        }

        @Override
        public void undo() {
            if (segments != null) {
                dma.device(master).unmapSg(segments, DmaDirection.BIDIRECTIONAL);
                segments = null;
            }
            drop();
            fresh();
        }

        @Override
        public SortedMap<String, String> state() {
            return snapshot().mappings("dma domain", domain, window, windowSize, step).build();
        }

        @Override
        public Set<String> keptUntilUndo(String point) {
            return Set.of("pages ");
        }

        @Override
        public void close() {
            drop();
        }
    }
}
