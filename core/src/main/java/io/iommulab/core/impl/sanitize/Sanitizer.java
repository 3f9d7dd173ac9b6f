package io.iommulab.core.impl.sanitize;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.TraceRing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DMA sanitizer of one IOMMU core: software's half of catching stale IOTLB entries, DMA after
 * unmap and isolation escapes as they happen. Off by default; on, it is the machine's
 * {@link BusMonitor} (so the models check their IOTLB hits and the bus tells it every transaction)
 * and every paging domain carries a {@link DomainShadow} of what software mapped.
 *
 * <p>Per successful transaction piece of master M, whose group is on domain D:
 * <ul>
 * <li>a piece the model already reported as a stale IOTLB hit (same thread, IOMMU, stream and
 * IOVA: the model reports before the bus tells the piece) is that one finding, nothing more;</li>
 * <li>{@code page-table-write}: a write overlapping a block an IOMMU driver holds (its tables);</li>
 * <li>D identity: nothing else (passthrough by configuration; it reaches all memory by design,
 * so it also owns nothing another domain's DMA could escape into); D blocked: {@code isolation}
 * (nothing may get through);</li>
 * <li>D paging: the IOVA maps the piece's address in D's shadow: fine (the common case, one
 * skip-list look-up); maps another address: {@code isolation} if that memory is mapped only into
 * other domains; not mapped but waiting in D's flush queue: the documented exposure, counted;
 * otherwise {@code dma-after-unmap}.</li>
 * </ul>
 * A stale IOTLB hit the model reports is a {@code stale-translation} finding unless it is the flush
 * queue's exposure (the IOVA waits in the queue, or the queue's flush came after the hit) or an
 * invalidation covering the entry came after the hit (it was in flight, not left stale). An iommu_map of a live table page or of an IOMMU's registers is a
 * {@code map-of-iommu-memory} finding and a warning.
 */
public final class Sanitizer implements BusMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(Sanitizer.class);
    /** findings kept */
    public static final int HISTORY = 1024;
    /** kinds of findings */
    public static final String STALE = "stale-translation";
    public static final String AFTER_UNMAP = "dma-after-unmap";
    public static final String ISOLATION = "isolation";
    public static final String PAGE_TABLE_WRITE = "page-table-write";
    public static final String MAP_OF_IOMMU_MEMORY = "map-of-iommu-memory";
    /** flush-queue figures kept of freed domains */
    private static final int FREED_FQ_KEPT = 64;
    /** what a report without a way to ask is taken as: the entry is still cached */
    private static final BooleanSupplier STILL_CACHED = () -> true;

    /** What the sanitizer needs of its core. */
    public interface Host {
        /** @return the domain the master's group is attached to now, or null (not probed); no lock, quick */
        DomainImpl domainOf(DmaMaster master);

        /** @return the masters on an IOMMU's stream and their group's domain */
        StreamOwner owner(String iommu, int sid);

        /** @return what is injected into the IOMMU's driver that explains a finding (e.g. skipped invalidations), or null */
        String injected(String iommu);
    }

    /**
     * @param devices DT paths of the masters on the stream, space-separated, or null
     * @param domain  the domain their group is attached to, or null
     */
    public record StreamOwner(String devices, DomainImpl domain) {
    }

    /** A stale hit reported on this thread, whose transaction piece comes next. */
    private static final class Mark {
        boolean armed;
        String iommu;
        int sid;
        long iova;
        /** the flush-queue domain whose window the hit was translated in (its piece is exposure), or null: a finding */
        DomainShadow window;
    }

    private final Machine machine;
    private final Host host;
    private final TraceRing trace;
    private final long startNs;
    private final IommuPages pages;
    private final List<RegRange> iommuRegs = new ArrayList<>();
    private final List<String> iommuRegOwners = new ArrayList<>();
    private final Findings findings;
    private final LongAdder transactions = new LongAdder();
    private final LongAdder staleReports = new LongAdder();
    private final ThreadLocal<Mark> marks = ThreadLocal.withInitial(Mark::new);
    /** marks armed and not yet consumed: while 0, a transaction does not look at its thread's mark */
    private final AtomicInteger armed = new AtomicInteger();
    private volatile boolean enabled;
    /** every live paging domain's shadow (copy on write, under the engine's lock) */
    private volatile DomainShadow[] shadows = new DomainShadow[0];
    /** flush-queue figures of freed DMA-FQ domains, the newest kept */
    private final Map<Integer, FlushQueueDTO> freedQueues = new LinkedHashMap<>();

    public Sanitizer(Machine machine, Host host, TraceRing trace, long startNs, IommuPages pages) {
        this.machine = machine;
        this.host = host;
        this.trace = trace;
        this.startNs = startNs;
        this.pages = pages;
        this.findings = new Findings(HISTORY, trace);
        for (IommuHardware hw : machine.iommuHardware()) {
            if (!hw.node().isAvailable()) {
                // Not a device (Linux creates none): no registers the machine maps, and its reg was
                // only checked for its format, so it may not even translate to a CPU address.
                continue;
            }
            List<RegRange> regs;
            try {
                regs = hw.node().reg();
            } catch (DeviceTreeException e) {
                // No CPU address (under a bus without ranges, as the board check allows): no
                // registers on the bus for a transaction to reach.
                continue;
            }
            for (RegRange r : regs) {
                if (r.size() > 0) {
                    iommuRegs.add(r);
                    iommuRegOwners.add(hw.node().path());
                }
            }
        }
    }

    public boolean enabled() {
        return enabled;
    }

    // ---------------------------------------------------------------- on/off, domains (under the engine's lock)

    /**
     * Turns it on or off. On: every paging domain gets a shadow (one that already maps something
     * is incomplete: what it mapped before is asked of its page table), then the bus monitor is
     * attached. Off: detached, shadows dropped.
     */
    public void setEnabled(boolean on, Collection<DomainImpl> domains) {
        if (on == enabled) {
            return;
        }
        if (on) {
            List<DomainShadow> all = new ArrayList<>();
            for (DomainImpl d : domains) {
                DomainShadow s = shadow(d, false);
                if (s != null) {
                    all.add(s);
                }
            }
            shadows = all.toArray(new DomainShadow[0]);
            enabled = true;
            machine.setBusMonitor(this);
            LOG.info("DMA sanitizer on: {} paging domain(s) shadowed, {} IOMMU page-table block(s) live", all.size(),
                    pages.count());
        } else {
            machine.setBusMonitor(null);
            enabled = false;
            for (DomainImpl d : domains) {
                d.setShadow(null);
            }
            shadows = new DomainShadow[0];
            LOG.info("DMA sanitizer off");
        }
    }

    /** A domain was made: shadowed from its first map while the sanitizer is on. */
    public void domainCreated(DomainImpl d) {
        if (!enabled) {
            return;
        }
        DomainShadow s = shadow(d, true);
        if (s != null) {
            DomainShadow[] now = java.util.Arrays.copyOf(shadows, shadows.length + 1);
            now[now.length - 1] = s;
            shadows = now;
        }
    }

    /** A domain is gone (its flush queue was drained first): its shadow goes, its flush-queue figures stay. */
    public void domainDestroyed(DomainImpl d) {
        DomainShadow s = d.shadow();
        if (s == null) {
            return;
        }
        d.setShadow(null);
        s.markFreed();
        List<DomainShadow> rest = new ArrayList<>();
        for (DomainShadow x : shadows) {
            if (x != s) {
                rest.add(x);
            }
        }
        shadows = rest.toArray(new DomainShadow[0]);
        if (s.type() == DomainType.DMA_FQ) {
            synchronized (freedQueues) {
                freedQueues.put(s.domain(), s.flushQueue());
                if (freedQueues.size() > FREED_FQ_KEPT) {
                    freedQueues.remove(freedQueues.keySet().iterator().next());
                }
            }
        }
    }

    private static DomainShadow shadow(DomainImpl d, boolean fresh) {
        if (!d.type().isPaging() || d.isFreed()) {
            return null;
        }
        DomainShadow s = new DomainShadow(d.id(), d.type());
        d.setShadow(s);
        // a map that finished before the shadow was set (so it saw none) has counted its bytes by now
        if (!fresh && d.mappedBytes() != 0) {
            s.incomplete();
        }
        return s;
    }

    // ---------------------------------------------------------------- software's side: map, unmap, flush

    /** iommu_map succeeded in a shadowed domain: shadow it; a map of IOMMU memory is a finding. */
    public void mapped(DomainImpl d, DomainShadow s, long iova, long pa, long size, int prot) {
        s.map(iova, pa, size, prot);
        IommuPages.Block b = pages.overlapping(pa, size);
        String what = null;
        String iommu = null;
        if (b != null) {
            what = String.format("a live page-table page: block 0x%x+0x%x held by %s", b.pa(), b.size(), b.owner());
        } else {
            for (int i = 0; i < iommuRegs.size(); i++) {
                RegRange r = iommuRegs.get(i);
                if (Long.compareUnsigned(pa, r.address() + r.size()) < 0 && Long.compareUnsigned(r.address(), pa + size) < 0) {
                    iommu = iommuRegOwners.get(i);
                    what = String.format("the registers of %s (0x%x+0x%x)", iommu, r.address(), r.size());
                    break;
                }
            }
        }
        if (what != null) {
            findings.add(new SanitizerFindingDTO(0, MAP_OF_IOMMU_MEMORY, iommu, -1, null, null, iova,
                    String.format("0x%x+0x%x %s", pa, size, perms(prot)), what, null, now(), d.id(),
                    "iommu_map by domain " + d.id() + " gives DMA access to IOMMU memory"), true);
        }
    }

    /** iommu_unmap released a range of a shadowed domain ({@code queued}: invalidated later by its flush queue). */
    public void unmapped(DomainShadow s, long iova, long size, boolean queued) {
        s.unmap(iova, size, queued, System.nanoTime());
    }

    /** @return the token of a flush-queue flush that begins now (flush_iotlb_all of a DMA-FQ domain) */
    public long flushBegin(DomainShadow s) {
        return s.flushBegin();
    }

    /**
     * The flush succeeded: the windows of what was queued before {@code token} close now.
     *
     * @param timed true if the queue's timer was armed for what it held (due at {@code dueNs}):
     *              a flush after that is the timer running late, which the bound allows for
     */
    public void flushed(DomainShadow s, long token, long queueTimeoutNs, boolean timed, long dueNs) {
        s.flushed(token, System.nanoTime(), queueTimeoutNs, timed, dueNs);
    }

    // ---------------------------------------------------------------- the bus

    @Override
    public void transaction(DmaMaster master, int stream, long iova, int len, Access access, long paddr, String fault) {
        if (fault != null) {
            if (armed.get() != 0) {
                reportedStale(master, stream, iova, len); // a mark left for this piece goes with it
            }
            return;
        }
        transactions.increment();
        if (armed.get() != 0) {
            Mark m = reportedStale(master, stream, iova, len);
            if (m != null) {
                // checked by the model, which found it stale: its one finding, or the queue's exposure
                if (m.window != null) {
                    m.window.exposed();
                }
                return;
            }
        }
        DomainImpl d = host.domainOf(master);
        if (access == Access.WRITE) {
            IommuPages.Block b = pages.overlapping(paddr, len);
            if (b != null) {
                finding(PAGE_TABLE_WRITE, master, stream, access, iova, hex(paddr) + " write",
                        String.format("a live page-table page: block 0x%x+0x%x held by %s", b.pa(), b.size(), b.owner()),
                        null, d, "a device wrote into IOMMU page tables");
            }
        }
        if (d == null) {
            return;
        }
        switch (d.type()) {
            case IDENTITY:
                return;
            case BLOCKED:
                finding(ISOLATION, master, stream, access, iova, hex(paddr) + " " + access.name().toLowerCase(),
                        "blocked (domain " + d.id() + " reaches nothing)", null, d,
                        "a transaction got through a blocked domain");
                return;
            default:
                paging(d, master, stream, iova, len, access, paddr);
        }
    }

    private void paging(DomainImpl d, DmaMaster master, int stream, long iova, int len, Access access, long paddr) {
        DomainShadow s = d.shadow();
        if (s == null) {
            return; // the sanitizer is being turned on or off
        }
        DomainShadow.Range r = s.covering(iova);
        if (r != null) {
            if (r.paOf(iova) == paddr) {
                return;
            }
            // translated to other memory than software mapped this IOVA to
            if (!s.mapsPa(paddr, len)) {
                DomainShadow other = otherOwner(s, paddr, len);
                if (other != null) {
                    finding(ISOLATION, master, stream, access, iova, hex(paddr) + " " + access.name().toLowerCase(),
                            String.format("mapped to 0x%x in domain %d; 0x%x is mapped only in domain %d", r.paOf(iova),
                                    d.id(), paddr, other.domain()), null, d,
                            "reached memory of domain " + other.domain() + change(d, iova));
                }
            }
            return;
        }
        if (s.queued(iova)) {
            s.exposed();
            return;
        }
        if (!s.complete() && d.softwareTranslation(iova) != 0) {
            return; // mapped before the sanitizer came on (or cannot tell now)
        }
        DomainShadow other = otherOwner(s, paddr, len);
        String detail = "released" + change(d, iova)
                + (d.type() == DomainType.DMA_FQ && s.lastFlushNs() != 0
                        ? String.format("; its flush queue flushed at %s, the window is closed", ms(s.lastFlushNs() - startNs)) : "")
                + (other != null ? String.format("; 0x%x is now mapped in domain %d", paddr, other.domain()) : "")
                + note(master, stream);
        finding(AFTER_UNMAP, master, stream, access, iova, hex(paddr) + " " + access.name().toLowerCase(),
                "not mapped in domain " + d.id() + " (" + d.typeName() + ")",
                d.type() == DomainType.DMA_FQ ? "flush_iotlb_all of domain " + d.id() + "'s flush queue"
                        : "iotlb_sync of domain " + d.id() + " after the unmap", d, detail);
    }

    @Override
    public void staleTranslation(StaleTranslation st) {
        staleTranslation(st, STILL_CACHED);
    }

    /**
     * A stale IOTLB hit. In a flush-queue domain, on an IOVA waiting in the queue, it is the
     * queue's documented exposure; so it is once the window has closed if the flush's invalidation
     * came after the hit (the entry is no longer cached: it was in flight at the flush). Asked in
     * that order, the queue first: an entry still cached after the window closed was left stale.
     * Elsewhere a hit an invalidation overtook is no stale translation either (its piece is checked
     * as any other: a DMA that raced its unmap).
     */
    @Override
    public void staleTranslation(StaleTranslation st, BooleanSupplier stillCached) {
        Mark m = marks.get();
        if (m.armed && m.sid == st.sid() && m.iova == st.iova() && m.iommu.equals(st.iommu())) {
            return; // the same hit reported again before its piece went through: one hit, counted once
        }
        staleReports.increment();
        StreamOwner owner = host.owner(st.iommu(), st.sid());
        DomainImpl d = owner != null ? owner.domain() : null;
        DomainShadow s = d != null ? d.shadow() : null;
        if (s != null && d.type() == DomainType.DMA_FQ && s.covering(st.iova()) == null
                && (s.queued(st.iova()) || !stillCached.getAsBoolean())) {
            arm(m, st, s); // the flush queue's documented exposure: counted when the piece goes through
            return;
        }
        if (!stillCached.getAsBoolean()) {
            return; // an invalidation covering the entry came after the hit: nothing was left stale
        }
        String current = st.currentFault() != null ? "not mapped (" + st.currentFault() + ")"
                : hex(st.currentPa()) + " " + perms(st.currentPerms());
        String injected = host.injected(st.iommu());
        String detail = st.cause() + (d != null ? change(d, st.iova()) : "")
                + (injected != null ? "; " + injected : "");
        findings.add(new SanitizerFindingDTO(0, STALE, st.iommu(), st.sid(), owner != null ? owner.devices() : null,
                st.access() == null ? null : st.access().name().toLowerCase(), st.iova(),
                hex(st.cachedPa()) + " " + perms(st.cachedPerms()), current, st.due(), now(),
                d != null ? d.id() : null, detail), false);
        arm(m, st, null);
    }

    /** Marks the hit this thread reported: its piece, which comes next, is a finding already or ({@code window}) exposure. */
    private void arm(Mark m, StaleTranslation st, DomainShadow window) {
        if (!m.armed) {
            m.armed = true;
            armed.incrementAndGet();
        }
        m.iommu = st.iommu();
        m.sid = st.sid();
        m.iova = st.iova();
        m.window = window;
    }

    /** @return the mark if this piece is the one whose stale hit this thread reported just before, else null (consumes the mark) */
    private Mark reportedStale(DmaMaster master, int stream, long iova, int len) {
        Mark m = marks.get();
        if (!m.armed) {
            return null;
        }
        m.armed = false;
        armed.decrementAndGet();
        StreamRef ref = master.streams().get(stream);
        return ref.sid() == m.sid && Long.compareUnsigned(m.iova - iova, len) < 0 && ref.iommu().equals(m.iommu) ? m : null;
    }

    /** @return another domain's shadow that maps {@code [pa, pa + len)}, or null */
    private DomainShadow otherOwner(DomainShadow mine, long pa, long len) {
        for (DomainShadow s : shadows) {
            if (s != mine && s.mapsPa(pa, len)) {
                return s;
            }
        }
        return null;
    }

    /** "; iommu_unmap 0x4000 @0x200000 by domain 3 at 12.345 ms, no invalidation since", from the trace */
    private String change(DomainImpl d, long iova) {
        if (!trace.enabled()) {
            return "; no trace to tell when the table changed (iommulab.iommu.trace is off)";
        }
        TraceRing.Change c = trace.lastChange(d.id(), iova);
        if (c == null) {
            return "; no map or unmap of domain " + d.id() + " covering it in the trace";
        }
        return "; " + c + (c.unmap() ? ", no invalidation since" : " (the last change software made there)");
    }

    private String note(DmaMaster master, int stream) {
        String n = host.injected(master.streams().get(stream).iommu());
        return n != null ? "; " + n : "";
    }

    private void finding(String kind, DmaMaster master, int stream, Access access, long iova, String cached,
            String current, String due, DomainImpl d, String detail) {
        StreamRef ref = master.streams().get(stream);
        findings.add(new SanitizerFindingDTO(0, kind, ref.iommu(), ref.sid(), master.name(),
                access.name().toLowerCase(), iova, cached, current, due, now(), d != null ? d.id() : null, detail), false);
    }

    // ---------------------------------------------------------------- what iommu:sanitize shows

    /** @return the state, figures and findings */
    public SanitizerDTO state() {
        List<FlushQueueDTO> fq = new ArrayList<>();
        synchronized (freedQueues) {
            fq.addAll(freedQueues.values());
        }
        for (DomainShadow s : shadows) {
            if (s.type() == DomainType.DMA_FQ) {
                fq.add(s.flushQueue());
            }
        }
        fq.sort(java.util.Comparator.comparingInt(FlushQueueDTO::domain));
        return new SanitizerDTO(enabled, transactions.sum(), staleReports.sum(), findings.byKind(), findings.dropped(), fq,
                findings.history());
    }

    /** Forgets findings and counters; the shadows stay (they are what is mapped, not what was found). */
    public void clear() {
        findings.clear();
        transactions.reset();
        staleReports.reset();
        synchronized (freedQueues) {
            freedQueues.clear();
        }
        for (DomainShadow s : shadows) {
            s.clearStats();
        }
    }

    private long now() {
        return System.nanoTime() - startNs;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String perms(int prot) {
        String p = ((prot & Prot.READ) != 0 ? "r" : "") + ((prot & Prot.WRITE) != 0 ? "w" : "");
        return p.isEmpty() ? "none" : p;
    }

    /** 12.345 ms */
    static String ms(long ns) {
        return String.format("%d.%03d ms", ns / 1_000_000, (ns / 1000) % 1000);
    }
}
