package io.iommulab.compare.concurrency;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One concurrency run on one IOMMU instance of a board (or of its twin for another backend): the
 * masters on that IOMMU are attached to ONE DMA domain, {@link #MAPPERS} mappers change it while
 * every master does DMA and the prober (a master of the same IOMMU on its own domain) probes its
 * IOVAs; then everything is checked and undone.
 *
 * <p>Two ways for the masters to behave:
 * <ul>
 * <li>{@link Mode#LEASED}: as correct drivers' devices, a master uses a page only while its state
 * cannot change (it holds a lease the mappers wait for), so every transfer has one right outcome;
 * the DMA sanitizer runs and must find nothing;</li>
 * <li>{@link Mode#RACING}: masters use pages while they change; a transfer is judged when the
 * page kept one state for all of it (its DMA racing a map or unmap is what the sanitizer reports
 * as a device's bug, so it is off here). Races of a walk and its IOTLB fill with the unmap and
 * invalidation of the same page happen only this way.</li>
 * </ul>
 *
 * <p>At the end: the page table (iova_to_phys) and the hardware (a DMA through the IOMMU model's
 * walk) give exactly the oracle's mappings; everything is unmapped, after which both give nothing,
 * the domain holds 0 bytes; the masters go back to their default domains, the domain is freed and
 * the page allocator holds, owner by owner, exactly what it held before the domain existed.
 */
final class ConcurrencyRun {

    static final int MAPPERS = 8;

    enum Mode { LEASED, RACING }

    /**
     * Where a run goes: an IOMMU of the board, or of its twin for another backend, and the type of
     * the shared domain ({@code DMA}, or {@code DMA_FQ}: the DMA API's unmaps then wait in its
     * flush queue, and a freed IOVA is handed out again only after the queue's flush).
     *
     * @param backend the hardware model (the board's own, or the model of a twin)
     * @param iommu   DT path of the IOMMU whose masters are used
     * @param name    short name, in test names and log lines
     */
    record Target(String backend, String iommu, String name, DomainType type) {
        @Override
        public String toString() {
            return backend + " " + name;
        }
    }

    /**
     * @param millis      wall time of the concurrent part
     * @param counts      what was done, by kind
     * @param failures    what the oracle did not allow, by kind
     * @param first       the first failures, in words
     * @param sanitizer   the lab's sanitizer at the end
     */
    record Report(Target target, Mode mode, long seed, int opsPerMapper, long millis, Map<String, Long> counts,
            Map<String, Long> failures, List<String> first, List<String> traces, SanitizerDTO sanitizer, String layout) {

        long failureCount() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String toString() {
            return String.format("%s %s %s %s seed=0x%x: %d ops/mapper x %d mappers in %d ms; %s; failures %s%s; sanitizer %s"
                    + " (%d transactions checked)", target, target.iommu(), target.type(), mode, seed, opsPerMapper, MAPPERS, millis, counts, failures,
                    first.isEmpty() ? "" : " " + first, sanitizer.enabled() ? sanitizer.tally() : "off",
                    sanitizer.transactions()) + (traces.isEmpty() ? "" : "\n" + String.join("\n", traces));
        }
    }

    private final MachineFactory machines;
    private final io.iommulab.api.lab.LabFactory labs;

    ConcurrencyRun(MachineFactory machines, io.iommulab.api.lab.LabFactory labs) {
        this.machines = machines;
        this.labs = labs;
    }

    Report run(DeviceTree board, Target target, Mode mode, long seed, int opsPerMapper) {
        return run(board, target, mode, seed, opsPerMapper, null);
    }

    /**
     * @param inject an injection point set on the IOMMU for all of the run (every occurrence, from
     *               after the domain is attached), e.g. {@code skip-invalidate}; null for none
     */
    Report run(DeviceTree board, Target target, Mode mode, long seed, int opsPerMapper, String inject) {
        byte[] twin = machines.twin(board, target.backend());
        DetachedMachine m = machines.bootDetached(board.source() + " (" + target.backend() + " twin)", twin, Map.of());
        Map<String, String> config = Map.of("iommulab.iommu.sanitize", String.valueOf(mode == Mode.LEASED),
                "iommulab.iommu.trace", "false");
        try (Lab lab = labs.open(m, config)) {
            return run(lab, target, mode, seed, opsPerMapper, inject);
        }
    }

    private Report run(Lab lab, Target target, Mode mode, long seed, int opsPerMapper, String inject) {
        String iommu = target.iommu();
        List<DmaMaster> masters = new ArrayList<>();
        DmaMaster prober = null;
        for (DmaMaster dm : lab.machine().masters()) {
            if (!dm.streams().stream().map(StreamRef::iommu).allMatch(iommu::equals)) {
                continue;
            }
            if (dm.name().contains("/probe@")) {
                prober = dm;
            } else {
                masters.add(dm);
            }
        }
        if (masters.isEmpty() || prober == null || masters.size() + 1 > Agent.SLOTS) {
            throw new IllegalArgumentException(iommu + ": needs 1.." + (Agent.SLOTS - 1) + " masters and a probe@ master, has "
                    + masters + " and " + prober);
        }
        List<String> names = masters.stream().map(DmaMaster::name).toList();
        Map<String, Long> baseline = lab.machine().pages().pagesByOwner();
        IommuDomain domain = lab.iommu().domainAlloc(names.get(0), target.type());
        for (String n : names) {
            lab.iommu().attachGroup(domain, n);
        }
        Layout layout = new Layout(domain.pgsizeBitmap(), domain.geometry().apertureEnd(), lab.machine().ram().get(0).base(),
                MAPPERS);
        if (inject != null) {
            lab.iommu().inject(iommu, inject, -1);
        }
        Oracle oracle = layout.oracle();
        for (int p = oracle.page(layout.dmaBase), end = oracle.pages(); p < end; p++) {
            oracle.acquire(p);
            oracle.release(p, Oracle.UNKNOWN, 0, 0); // what the DMA API's allocator hands out is not ours to know yet
        }
        Tally tally = new Tally();
        AtomicBoolean stop = new AtomicBoolean();
        List<Mapper> mappers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < MAPPERS; i++) {
            Mapper mp = new Mapper(i, domain, masters.get(0), lab.machine().memory(), lab.dma(), names, oracle, layout, tally, seed * 31 + i, opsPerMapper, stop);
            mappers.add(mp);
            threads.add(new Thread(mp, "mapper-" + i));
        }
        List<Thread> agents = new ArrayList<>();
        for (int i = 0; i < masters.size(); i++) {
            agents.add(new Thread(new Agent(masters.get(i), i, false, mode == Mode.RACING, oracle, layout,
                    lab.machine().memory(), tally, seed * 131 + i, stop), "agent-" + i));
        }
        agents.add(new Thread(new Agent(prober, Agent.SLOTS - 1, true, false, oracle, layout, lab.machine().memory(), tally,
                seed * 131 + 99, stop), "prober"));
        long t0 = System.nanoTime();
        agents.forEach(Thread::start);
        threads.forEach(Thread::start);
        join(threads);
        stop.set(true);
        join(agents);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (inject != null) {
            lab.iommu().inject(iommu, inject, 0);
        }

        // the tables and the hardware against the oracle (a flush queue drained first: its IOVAs
        // are unmapped, but their IOTLB entries may live until its flush), then everything undone
        lab.dma().device(names.get(0)).flush();
        verify(lab, domain, masters.get(0), oracle, layout, tally, "after the run");
        for (Mapper mp : mappers) {
            try {
                mp.unmapAll();
            } catch (RuntimeException e) {
                tally.fail(Tally.FINAL_STATE, "unmapping everything: " + e);
            }
        }
        lab.dma().device(names.get(0)).flush();
        verify(lab, domain, masters.get(0), oracle, layout, tally, "after unmapping everything");
        DomainDTO dto = lab.iommu().domains().stream().filter(d -> d.id() == domain.id()).findFirst().orElseThrow();
        if (dto.mappedBytes() != 0) {
            tally.fail(Tally.FINAL_STATE, "domain " + domain.id() + " still holds 0x" + Long.toHexString(dto.mappedBytes())
                    + " bytes after everything was unmapped");
        }
        for (String n : names) {
            lab.iommu().detachGroup(domain, n);
        }
        domain.free();
        Map<String, Long> after = lab.machine().pages().pagesByOwner();
        if (!after.equals(baseline)) {
            tally.fail(Tally.FINAL_STATE, "pages by owner " + after + ", before the domain " + baseline);
        }
        return new Report(target, mode, seed, opsPerMapper, millis, tally.counts(), tally.failureCounts(),
                tally.firstFailures(), tally.traces(), lab.iommu().sanitizer(), layout.toString());
    }

    /**
     * Every page of the windows: iova_to_phys (the page table as software walks it) and a DMA read by
     * the first master (the hardware's walk, or its IOTLB) give what the oracle holds. Only with
     * every thread stopped: a page the DMA API released is unmapped then.
     */
    private static void verify(Lab lab, IommuDomain domain, DmaMaster master, Oracle oracle, Layout layout, Tally tally,
            String when) {
        int bad = 0;
        for (int p = 0; p < oracle.pages(); p++) {
            long iova = oracle.iova(p);
            boolean mapped = oracle.stateOf(p) == Oracle.MAPPED;
            long want = mapped ? oracle.pa(p) + 8 : 0;
            long got = domain.iovaToPhys(iova + 8);
            if (got != want) {
                tally.fail(Tally.FINAL_STATE, String.format("%s: iova_to_phys(0x%x) = 0x%x, the oracle says 0x%x", when, iova + 8,
                        got, want));
                bad++;
            }
            boolean readable = mapped && (oracle.prot(p) & Prot.READ) != 0;
            DmaResult r = master.read(0, iova + 8, 8);
            if (r.ok() != readable) {
                tally.fail(Tally.FINAL_STATE, String.format("%s: a DMA read at 0x%x %s, the oracle says %s", when, iova + 8,
                        r.ok() ? "got through" : "faulted (" + r.fault() + ")", mapped ? "mapped " + oracle.prot(p) : "unmapped"));
                bad++;
            } else if (readable) {
                byte[] mem = new byte[8];
                lab.machine().memory().read(oracle.pa(p) + 8, mem, 0, 8);
                if (!Arrays.equals(mem, r.data())) {
                    tally.fail(Tally.FINAL_STATE, String.format("%s: a DMA read at 0x%x gave other data than 0x%x holds", when,
                            iova + 8, oracle.pa(p) + 8));
                    bad++;
                }
            }
            if (bad > 20) {
                return;
            }
        }
        tally.add("verified pages", oracle.pages());
    }

    private static void join(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + t.getName(), e);
            }
        }
    }
}
