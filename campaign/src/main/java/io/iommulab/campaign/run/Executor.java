package io.iommulab.campaign.run;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.campaign.oracle.DomainModel;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.OpCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs operations on one lab and holds the lab to the oracle ({@link World}, {@link DomainModel}).
 * Each operation's result must be what the oracle says: the errno exactly when one is due,
 * success otherwise. Then what it changed is checked three ways at the addresses it touched and
 * around them: {@code iova_to_phys} of the domain and the hardware model's own walk of the tables
 * for every stream attached to the domain ({@link Probe}), and for DMA operations the transaction
 * itself, whose data is read back from memory ({@link Transactions}). With the lab's DMA sanitizer
 * on, any finding is a mismatch. The first disagreement is returned as a {@link Mismatch}; the run
 * then stops (the lab is no longer what the oracle knows). Domains and {@code iommu_map} are here,
 * the DMA API in {@link DmaApiOps}.
 */
public final class Executor {

    private final Lab lab;
    private final Facts facts;
    private final World world;
    private final LiveUpdates updater;
    private final long seed;
    private final Counters counters = new Counters();
    private final Probe probe;
    private final Transactions transactions;
    private final DmaApiOps dmaApi;
    private final Map<String, Long> baseline;
    private long findings;
    private SplittableRandom rnd;

    /**
     * @param updater runs live updates, or null: {@code liveupdate} operations are skipped (outside the container)
     * @param seed    seeds the data moved and the addresses sampled (with the operation's index)
     */
    public Executor(Lab lab, Facts facts, LiveUpdates updater, long seed) {
        this.lab = lab;
        this.facts = facts;
        this.world = new World(facts);
        this.updater = updater;
        this.seed = seed;
        this.probe = new Probe(lab, facts, world, counters);
        this.transactions = new Transactions(lab, facts, world, counters);
        this.dmaApi = new DmaApiOps(lab, facts, world, probe);
        for (Facts.Group g : facts.groups().values()) {
            IommuDomain d = lab.iommu().domainOf(g.devices().get(0));
            world.defaults.put(g.id(), d);
            world.defaultModels.put(g.id(), d.type().isDma() ? new DomainModel(d.pgsizeBitmap()) : null);
            transactions.watch(d);
        }
        SanitizerDTO s = lab.iommu().sanitizer();
        this.findings = s.total();
        this.baseline = new TreeMap<>(lab.machine().pages().pagesByOwner());
    }

    public Counters counters() {
        return counters;
    }

    /** @return the lab's page allocator by owner when the run began (after the calibration) */
    public Map<String, Long> baselinePages() {
        return baseline;
    }

    /**
     * Runs {@code op}, the {@code index}-th of the run, and checks it.
     *
     * @return the disagreement, or null
     */
    public Mismatch run(long index, Op op) {
        rnd = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L));
        Step step = new Step(index, op, counters);
        try {
            Mismatch m = dispatch(step, op);
            if (m == null && step.ran && (op instanceof Op.Dma || op instanceof Op.Map || op instanceof Op.DmaMap
                    || op instanceof Op.SgMap)) {
                m = sanitizer(step); // what makes a finding: a transaction, a map of an IOMMU's memory
            }
            return m;
        } catch (IommuException e) {
            return step.fail("errno", "expected success, got " + e.errno() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return step.fail("crash", e.getClass().getName() + ": " + e.getMessage());
        }
    }

    private Mismatch dispatch(Step step, Op op) {
        if (op instanceof Op.Alloc a) {
            return alloc(step, a);
        } else if (op instanceof Op.Free f) {
            return free(step, f);
        } else if (op instanceof Op.Attach a) {
            return attach(step, a);
        } else if (op instanceof Op.Detach d) {
            return detach(step, d);
        } else if (op instanceof Op.Map m) {
            return map(step, m);
        } else if (op instanceof Op.Unmap u) {
            return unmap(step, u);
        } else if (op instanceof Op.DmaMap d) {
            return dmaApi.dmaMap(step, d);
        } else if (op instanceof Op.SgMap sg) {
            return dmaApi.sgMap(step, sg);
        } else if (op instanceof Op.DmaUnmap u) {
            return dmaApi.dmaUnmap(step, u);
        } else if (op instanceof Op.Flush f) {
            return dmaApi.flush(step, f);
        } else if (op instanceof Op.Dma d) {
            return transactions.dma(step, d, rnd);
        } else if (op instanceof Op.Check) {
            return probe.checkAll(step, rnd);
        } else if (op instanceof Op.LiveUpdate l) {
            return liveUpdate(step, l);
        } else if (op instanceof Op.Inject i) {
            return inject(step, i);
        }
        throw new IllegalArgumentException("not an operation: " + op);
    }

    // ---------------------------------------------------------------- domains

    private Mismatch alloc(Step step, Op.Alloc a) {
        Facts.Master m = facts.master(a.dev());
        if (m == null || a.slot() >= World.SLOTS || world.slots[a.slot()] != null) {
            return step.skip();
        }
        step.ran("alloc");
        Errno expected = facts.alloc().get(m.path()).get(a.type());
        Step.Outcome<IommuDomain> call = step.call(expected, () -> lab.iommu().domainAlloc(m.path(), a.type()));
        IommuDomain d = call.value();
        if (call.done()) {
            if (d != null) {
                d.free(); // allocated where the oracle says it must not be
            }
            return call.mismatch();
        }
        DomainModel model = null;
        if (a.type().isPaging()) {
            Facts.Paging p = facts.paging().get(m.path());
            DomainGeometry g = d.geometry();
            if (p == null || d.pgsizeBitmap() != p.bitmap() || g.apertureStart() != p.apertureStart()
                    || g.apertureEnd() != p.apertureEnd()) {
                return step.fail("domain", String.format("page sizes 0x%x, aperture %s; calibrated %s", d.pgsizeBitmap(), g, p));
            }
            model = new DomainModel(d.pgsizeBitmap());
        }
        World.Slot s = new World.Slot(d, a.type(), m.path(), m.signature(), model);
        s.table = facts.mapBeforeAttach() == null;
        world.slots[a.slot()] = s;
        transactions.watch(d);
        return null;
    }

    private Mismatch free(Step step, Op.Free f) {
        World.Slot s = f.slot() < World.SLOTS ? world.slots[f.slot()] : null;
        if (s == null) {
            return step.skip();
        }
        step.ran("free");
        Errno expected = world.attached.containsValue(f.slot()) ? Errno.EBUSY : null;
        Step.Outcome<Void> call = step.run(expected, () -> s.domain.free());
        if (call.done()) {
            return call.mismatch();
        }
        world.slots[f.slot()] = null;
        if (s.holds) {
            world.held.merge(s.bound, -1, Integer::sum);
        }
        transactions.forget(s.domain);
        for (World.Handle[] hs : world.handles.values()) {
            for (int i = 0; i < hs.length; i++) {
                if (hs[i] != null && hs[i].domain == s.domain) {
                    hs[i] = null; // gone with the domain's DMA-API cookie
                }
            }
        }
        return null;
    }

    private Mismatch attach(Step step, Op.Attach a) {
        Facts.Master m = facts.master(a.dev());
        World.Slot s = a.slot() < World.SLOTS ? world.slots[a.slot()] : null;
        if (m == null || s == null) {
            return step.skip();
        }
        step.ran("attach");
        int group = m.group();
        String sig = facts.groups().get(group).signature();
        Integer on = world.attached.get(group);
        Errno expected = null;
        if (!facts.sameDriver(s.allocSignature, group)) {
            expected = Errno.EINVAL; // the core refuses another driver's domain before it looks at the group
        } else if (on != null && on == a.slot()) {
            expected = null;
        } else if (on != null) {
            expected = Errno.EBUSY;
        } else if (s.type.isPaging() && s.bound != null && !s.bound.equals(sig) && facts.rebindErrno() != null) {
            expected = facts.rebindErrno();
        } else {
            // where a fresh domain of its IOMMUs attaches: those it was bound to, else those it was allocated for
            expected = facts.attachErrno(Facts.kind(s.type), s.bound != null ? s.bound : s.allocSignature, group);
            if (expected == null && s.type.isPaging() && !s.holds) {
                Integer cap = facts.capacity().get(sig);
                if (cap != null && world.held.getOrDefault(sig, 0) >= cap) {
                    expected = facts.capacityErrno();
                }
            }
        }
        boolean bindingOnly = expected != null && expected != Errno.EBUSY && facts.sameDriver(s.allocSignature, group)
                && (on == null);
        Step.Outcome<Void> call = step.run(expected, () -> lab.iommu().attachGroup(s.domain, m.path()));
        Mismatch bad = s.loose && bindingOnly && call.error() == null ? null : call.mismatch();
        if (bad != null || call.error() != null) {
            return bad;
        }
        if (s.loose && bindingOnly) {
            s.bound = sig; // the live update left it unbound: this attach bound it here
        }
        s.loose = false;
        world.attached.put(group, a.slot());
        if (s.type.isPaging()) {
            if (s.bound == null) {
                s.bound = sig;
            }
            s.table = true;
            if (!s.holds && facts.capacity().containsKey(sig)) {
                s.holds = true;
                world.held.merge(sig, 1, Integer::sum);
            }
        }
        return probe.sample(step, world.current(group), rnd);
    }

    private Mismatch detach(Step step, Op.Detach d) {
        Facts.Master m = facts.master(d.dev());
        World.Slot s = d.slot() < World.SLOTS ? world.slots[d.slot()] : null;
        if (m == null || s == null) {
            return step.skip();
        }
        step.ran("detach");
        Integer on = world.attached.get(m.group());
        Errno expected = on != null && on == d.slot() ? null : Errno.EINVAL;
        Step.Outcome<Void> call = step.run(expected, () -> lab.iommu().detachGroup(s.domain, m.path()));
        if (call.done()) {
            return call.mismatch();
        }
        world.attached.remove(m.group());
        return probe.sample(step, world.current(m.group()), rnd);
    }

    // ---------------------------------------------------------------- iommu_map / iommu_unmap

    private Mismatch map(Step step, Op.Map op) {
        World.Slot s = op.slot() < World.SLOTS ? world.slots[op.slot()] : null;
        if (s == null || s.type.isDma() || !inWindow(op.pa(), op.size())) {
            return step.skip();
        }
        step.ran("map");
        long pa = facts.windowBase() + op.pa();
        Errno expected = null;
        Facts.Paging p = s.model == null ? null : facts.paging().get(s.allocDev);
        if (!s.type.isPaging()) {
            expected = Errno.EINVAL;
        } else if ((op.prot() & (Prot.READ | Prot.WRITE)) == 0 || op.size() == 0) {
            expected = Errno.EINVAL;
        } else if (((op.iova() | pa | op.size()) & (p.minPage() - 1)) != 0) {
            expected = Errno.EINVAL;
        } else if (!new DomainGeometry(p.apertureStart(), p.apertureEnd(), true).contains(op.iova(), op.size())) {
            expected = Errno.ERANGE;
        } else if (!s.table) {
            expected = facts.mapBeforeAttach();
        } else if (s.model.overlaps(op.iova(), op.size())) {
            expected = Errno.EEXIST;
        }
        Step.Outcome<Void> call = step.run(expected, () -> s.domain.map(op.iova(), pa, op.size(), op.prot()));
        if (call.mismatch() != null) {
            return call.mismatch();
        }
        if (call.error() == null) {
            s.model.map(op.iova(), pa, op.size(), op.prot());
        }
        if (s.model == null) {
            return null;
        }
        // a failed map leaves every mapping as it was: the same points are checked either way
        long min = s.model.minPage();
        long first = op.iova() & -min;
        long last = (op.iova() + Math.max(op.size(), 1) - 1) & -min;
        return probe.points(step, world.current(s), first - min, first, Probe.middle(first, last, min), last, last + min);
    }

    private Mismatch unmap(Step step, Op.Unmap op) {
        World.Slot s = op.slot() < World.SLOTS ? world.slots[op.slot()] : null;
        if (s == null || s.type.isDma()) {
            return step.skip();
        }
        step.ran("unmap");
        Errno expected = null;
        long min = s.model == null ? 0 : s.model.minPage();
        if (!s.type.isPaging() || op.size() == 0 || ((op.iova() | op.size()) & (min - 1)) != 0) {
            expected = Errno.EINVAL;
        }
        Step.Outcome<Long> call = step.call(expected, () -> s.domain.unmap(op.iova(), op.size()));
        if (call.done()) {
            return call.mismatch();
        }
        long n = call.value();
        long[] allowed = s.model.unmapOutcomes(op.iova(), op.size());
        if (Arrays.binarySearch(allowed, n) < 0) {
            return step.fail("unmap", String.format("unmapped 0x%x bytes; the mappings allow %s", n, hex(allowed)));
        }
        s.model.unmap(op.iova(), n, false);
        long end = op.iova() + op.size();
        return probe.points(step, world.current(s), op.iova(), op.iova() + n - min, op.iova() + n, end - min, end);
    }

    // ---------------------------------------------------------------- live update, injection, sanitizer

    private Mismatch liveUpdate(Step step, Op.LiveUpdate op) {
        if (updater == null || !facts.bundles().contains(op.bundle())) {
            return step.skip();
        }
        step.ran("liveupdate");
        int mark = lab.iommu().liveUpdates().size();
        try {
            updater.update(op.bundle());
        } catch (Exception e) {
            return step.fail("live-update", "iommu:liveupdate " + op.bundle() + " failed: " + e.getMessage());
        }
        counters.liveUpdates++;
        for (int i = 0; i < World.SLOTS; i++) {
            World.Slot s = world.slots[i];
            if (s != null && s.type.isPaging() && !world.attached.containsValue(i)) {
                s.loose = true;
            }
        }
        List<LiveUpdateDTO> done = lab.iommu().liveUpdates();
        for (LiveUpdateDTO u : done.subList(Math.min(mark, done.size()), done.size())) {
            if (!u.adopted() || u.mismatches() != 0) {
                return step.fail("live-update", String.format("%s %s -> %s: adopted %s (%s), %d mismatches", u.driver(), u.from(),
                        u.to(), u.adopted(), u.reason(), u.mismatches()));
            }
        }
        return probe.checkAll(step, rnd);
    }

    private Mismatch inject(Step step, Op.Inject op) {
        try {
            lab.iommu().inject(op.iommu(), op.point(), op.count());
        } catch (IommuException e) {
            return step.skip(); // no such IOMMU on this board, or no such point
        }
        step.ran("inject");
        return null;
    }

    /** With the lab's DMA sanitizer on, a finding is a mismatch. */
    private Mismatch sanitizer(Step step) {
        SanitizerDTO s = lab.iommu().sanitizer();
        long total = s.total();
        if (total == findings) {
            return null;
        }
        findings = total;
        List<SanitizerFindingDTO> h = s.history();
        SanitizerFindingDTO f = h.isEmpty() ? null : h.get(h.size() - 1);
        return step.fail("sanitizer", s.tally() + (f == null ? "" : ": " + f.kind() + " " + f.iommu() + " sid " + f.stream()
                + " iova 0x" + Long.toHexString(f.iova()) + ": cached " + f.cached() + ", now " + f.current()
                + (f.detail() == null ? "" : "; " + f.detail()) + (f.due() == null ? "" : "; due: " + f.due())));
    }

    // ---------------------------------------------------------------- the end

    /**
     * Puts everything back: every group on its default domain, every DMA-API mapping unmapped,
     * every flush queue drained, every campaign domain freed; then the page allocator must hold no
     * block of an owner that was not there when the run began (a freed domain's tables are gone).
     *
     * @return the first disagreement (an unexpected errno, a leak), or null
     */
    public Mismatch finish(long index) {
        Step step = new Step(index, new Op.Check(), counters);
        try {
            for (Map.Entry<Integer, Integer> e : new ArrayList<>(world.attached.entrySet())) {
                World.Slot s = world.slots[e.getValue()];
                lab.iommu().detachGroup(s.domain, facts.groups().get(e.getKey()).devices().get(0));
                world.attached.remove(e.getKey());
            }
            for (Facts.Master m : facts.masters()) {
                World.Handle[] hs = world.handles(m.path());
                for (int i = 0; i < hs.length; i++) {
                    if (hs[i] != null && hs[i].domain == world.current(m.group()).domain()) {
                        Mismatch bad = dmaApi.dmaUnmap(step, new Op.DmaUnmap(m.path(), i));
                        if (bad != null) {
                            return bad;
                        }
                    }
                }
                lab.dma().device(m.path()).flush();
            }
            for (int i = 0; i < World.SLOTS; i++) {
                if (world.slots[i] != null) {
                    Mismatch bad = free(step, new Op.Free(i));
                    if (bad != null) {
                        return bad;
                    }
                }
            }
            for (DomainModel dm : world.defaultModels.values()) {
                if (dm != null && dm.mappedBytes() != 0) {
                    return step.fail("leak", "a default domain still maps 0x" + Long.toHexString(dm.mappedBytes())
                            + " bytes after every DMA-API mapping was unmapped");
                }
            }
        } catch (IommuException e) {
            return step.fail("errno", "putting the lab back: " + e.errno() + ": " + e.getMessage());
        }
        Map<String, Long> now = lab.machine().pages().pagesByOwner();
        for (Map.Entry<String, Long> e : now.entrySet()) {
            if (!baseline.containsKey(e.getKey()) && e.getValue() != 0) {
                return step.fail("leak", e.getValue() + " page(s) of " + e.getKey() + " still allocated after every campaign"
                        + " domain was freed (" + OpCodec.format(step.op) + ")");
            }
        }
        return sanitizer(step);
    }

    private boolean inWindow(long off, long len) {
        return off >= 0 && len >= 0 && off + len <= facts.windowSize() && off + len >= off;
    }

    private static String hex(long[] v) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(v[i]));
        }
        return b.append('}').toString();
    }
}
