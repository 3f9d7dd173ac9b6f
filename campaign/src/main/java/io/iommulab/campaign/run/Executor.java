package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.campaign.oracle.DomainModel;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.OpCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs operations on one lab and holds the lab to the oracle ({@link World}, {@link DomainModel}).
 * Each operation's result must be what the oracle says: the errno exactly when one is due,
 * success otherwise. Then what it changed is checked three ways at the addresses it touched and
 * around them: {@code iova_to_phys} of the domain, the hardware model's own walk of the tables
 * for every stream attached to the domain ({@code Machine.hardwareWalk}), and for DMA operations
 * the transaction itself, whose data is read back from memory (or written there first for reads).
 * A fault on a paging domain must reach the domain's fault handler. With the lab's DMA sanitizer
 * on, any finding is a mismatch. The first disagreement is returned as a {@link Mismatch}; the run
 * then stops (the lab is no longer what the oracle knows).
 */
public final class Executor {

    private final Lab lab;
    private final Facts facts;
    private final World world;
    private final LiveUpdates updater;
    private final long seed;
    private final Counters counters = new Counters();
    /** faults the driver reported, per domain (its fault handler counts them) */
    private final Map<IommuDomain, long[]> reported = new IdentityHashMap<>();
    private final Map<String, DmaDirection[]> directions = new HashMap<>();
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
        for (Facts.Group g : facts.groups().values()) {
            IommuDomain d = lab.iommu().domainOf(g.devices().get(0));
            world.defaults.put(g.id(), d);
            world.defaultModels.put(g.id(), d.type().isDma() ? new DomainModel(d.pgsizeBitmap()) : null);
            watch(d);
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

    private void watch(IommuDomain d) {
        long[] n = new long[1];
        reported.put(d, n);
        d.setFaultHandler((dom, f) -> {
            n[0]++;
            return true;
        });
    }

    /**
     * Runs {@code op}, the {@code index}-th of the run, and checks it.
     *
     * @return the disagreement, or null
     */
    public Mismatch run(long index, Op op) {
        rnd = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L));
        Step step = new Step(index, op);
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
            return dmaMap(step, d);
        } else if (op instanceof Op.SgMap sg) {
            return sgMap(step, sg);
        } else if (op instanceof Op.DmaUnmap u) {
            return dmaUnmap(step, u);
        } else if (op instanceof Op.Flush f) {
            return flush(step, f);
        } else if (op instanceof Op.Dma d) {
            return dma(step, d);
        } else if (op instanceof Op.Check) {
            return checkAll(step);
        } else if (op instanceof Op.LiveUpdate l) {
            return liveUpdate(step, l);
        } else if (op instanceof Op.Inject i) {
            return inject(step, i);
        }
        throw new IllegalArgumentException("not an operation: " + op);
    }

    /** One operation being run: its index, its line (made only when something is reported), whether it ran. */
    private final class Step {
        final long index;
        final Op op;
        boolean ran;

        Step(long index, Op op) {
            this.index = index;
            this.op = op;
        }

        Mismatch fail(String check, String detail) {
            return new Mismatch(index, OpCodec.format(op), check, detail);
        }

        /** the operation was not for this lab's state: nothing to check */
        Mismatch skip() {
            counters.skipped++;
            return null;
        }

        void ran(String name) {
            ran = true;
            counters.op(name);
        }
    }

    /** Compares the outcome of a call with the errno the oracle expects (null: success). */
    private static Mismatch expect(Step step, Errno expected, IommuException got) {
        Errno e = got == null ? null : got.errno();
        if (e == expected) {
            return null;
        }
        return step.fail("errno", "expected " + (expected == null ? "success" : expected.name()) + ", got "
                + (got == null ? "success" : e + ": " + got.getMessage()));
    }

    // ---------------------------------------------------------------- domains

    private Mismatch alloc(Step step, Op.Alloc a) {
        Facts.Master m = facts.master(a.dev());
        if (m == null || a.slot() >= World.SLOTS || world.slots[a.slot()] != null) {
            return step.skip();
        }
        step.ran("alloc");
        Errno expected = facts.alloc().get(m.path()).get(a.type());
        IommuDomain d = null;
        IommuException got = null;
        try {
            d = lab.iommu().domainAlloc(m.path(), a.type());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null || got != null) {
            if (got != null) {
                counters.error(got.errno().name());
            } else if (d != null) {
                d.free();
            }
            return bad;
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
        watch(d);
        return null;
    }

    private Mismatch free(Step step, Op.Free f) {
        World.Slot s = f.slot() < World.SLOTS ? world.slots[f.slot()] : null;
        if (s == null) {
            return step.skip();
        }
        step.ran("free");
        Errno expected = world.attached.containsValue(f.slot()) ? Errno.EBUSY : null;
        IommuException got = null;
        try {
            s.domain.free();
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
        }
        world.slots[f.slot()] = null;
        if (s.holds) {
            world.held.merge(s.bound, -1, Integer::sum);
        }
        reported.remove(s.domain);
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
        IommuException got = null;
        try {
            lab.iommu().attachGroup(s.domain, m.path());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = s.loose && bindingOnly && got == null ? null : expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
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
        return sample(step, world.current(group));
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
        IommuException got = null;
        try {
            lab.iommu().detachGroup(s.domain, m.path());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
        }
        world.attached.remove(m.group());
        return sample(step, world.current(m.group()));
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
        IommuException got = null;
        try {
            s.domain.map(op.iova(), pa, op.size(), op.prot());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
        } else {
            s.model.map(op.iova(), pa, op.size(), op.prot());
        }
        if (s.model == null) {
            return null;
        }
        // a failed map leaves every mapping as it was: the same points are checked either way
        long min = s.model.minPage();
        long first = op.iova() & -min;
        long last = (op.iova() + Math.max(op.size(), 1) - 1) & -min;
        return points(step, currentOf(s), first - min, first, middle(first, last, min), last, last + min);
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
        long n = 0;
        IommuException got = null;
        try {
            n = s.domain.unmap(op.iova(), op.size());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
        }
        long[] allowed = s.model.unmapOutcomes(op.iova(), op.size());
        if (Arrays.binarySearch(allowed, n) < 0) {
            return step.fail("unmap", String.format("unmapped 0x%x bytes; the mappings allow %s", n, hex(allowed)));
        }
        s.model.unmap(op.iova(), n, false);
        long end = op.iova() + op.size();
        return points(step, currentOf(s), op.iova(), op.iova() + n - min, op.iova() + n, end - min, end);
    }

    // ---------------------------------------------------------------- the DMA API

    private DmaDevice dmaDevice(String dev) {
        return lab.dma().device(dev);
    }

    private Mismatch dmaMap(Step step, Op.DmaMap op) {
        Facts.Master m = facts.master(op.dev());
        if (m == null || op.handle() >= World.HANDLES || world.handles(m.path())[op.handle()] != null
                || !inWindow(op.pa(), op.len()) || op.len() <= 0) {
            return step.skip();
        }
        step.ran("dma-map");
        World.Current cur = world.current(m.group());
        long pa = facts.windowBase() + op.pa();
        Errno expected = cur.type().isDma() || cur.type() == DomainType.IDENTITY ? null : Errno.EINVAL;
        long addr = 0;
        IommuException got = null;
        try {
            addr = dmaDevice(m.path()).mapPage(pa, op.len(), op.dir());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
        }
        List<DmaSegment> segs = List.of(new DmaSegment(addr, op.len()));
        directions.computeIfAbsent(m.path(), k -> new DmaDirection[World.HANDLES])[op.handle()] = op.dir();
        if (cur.type() == DomainType.IDENTITY) {
            world.handles(m.path())[op.handle()] = new World.Handle(cur.domain(), null, true, false, segs, pa, op.len());
            return addr == pa ? null : step.fail("dma-address", String.format("identity domain: DMA address 0x%x for"
                    + " physical 0x%x", addr, pa));
        }
        long g = cur.model().minPage();
        long off = pa & (g - 1);
        long base = addr - off;
        long len = (op.len() + off + g - 1) & -g;
        Mismatch m2 = newRange(step, cur, addr, off, base, len);
        if (m2 != null) {
            return m2;
        }
        cur.model().map(base, pa - off, len, op.dir().prot());
        world.handles(m.path())[op.handle()] = new World.Handle(cur.domain(), cur.model(), false, false, segs, base, len);
        return points(step, cur, base - g, base, base + len - g, base + len);
    }

    /** The checks of an IOVA range the DMA API handed out: the offset kept, inside the aperture, nothing mapped there. */
    private Mismatch newRange(Step step, World.Current cur, long addr, long off, long base, long len) {
        DomainGeometry geo = cur.domain().geometry();
        if ((addr & (cur.model().minPage() - 1)) != off) {
            return step.fail("dma-address", String.format("DMA address 0x%x does not keep the buffer's offset 0x%x in its page",
                    addr, off));
        }
        if (!geo.contains(base, len)) {
            return step.fail("dma-address", String.format("IOVA range 0x%x+0x%x outside the aperture %s", base, len, geo));
        }
        if (cur.model().overlaps(base, len)) {
            return step.fail("dma-address", String.format("IOVA range 0x%x+0x%x overlaps a live mapping of domain %d",
                    base, len, cur.domain().id()));
        }
        return null;
    }

    private Mismatch sgMap(Step step, Op.SgMap op) {
        Facts.Master m = facts.master(op.dev());
        if (m == null || op.handle() >= World.HANDLES || world.handles(m.path())[op.handle()] != null
                || op.buffers().isEmpty()) {
            return step.skip();
        }
        for (Op.Buffer b : op.buffers()) {
            if (!inWindow(b.pa(), b.len())) {
                return step.skip();
            }
        }
        step.ran("sg-map");
        World.Current cur = world.current(m.group());
        List<SgEntry> sg = new ArrayList<>();
        for (Op.Buffer b : op.buffers()) {
            sg.add(new SgEntry(facts.windowBase() + b.pa(), b.len()));
        }
        Errno expected = cur.type().isDma() || cur.type() == DomainType.IDENTITY ? null : Errno.EINVAL;
        List<DmaSegment> segs = null;
        IommuException got = null;
        try {
            segs = dmaDevice(m.path()).mapSg(sg, op.dir());
        } catch (IommuException e) {
            got = e;
        }
        Mismatch bad = expect(step, expected, got);
        if (bad != null) {
            return bad;
        }
        if (got != null) {
            counters.error(got.errno().name());
            return null;
        }
        directions.computeIfAbsent(m.path(), k -> new DmaDirection[World.HANDLES])[op.handle()] = op.dir();
        if (cur.type() == DomainType.IDENTITY) {
            List<DmaSegment> want = new ArrayList<>();
            sg.forEach(e -> want.add(new DmaSegment(e.paddr(), e.length())));
            world.handles(m.path())[op.handle()] = new World.Handle(cur.domain(), null, true, true, segs,
                    sg.get(0).paddr(), sg.get(0).length());
            return want.equals(segs) ? null : step.fail("dma-address", "identity domain: segments " + segs + " for " + sg);
        }
        long g = cur.model().minPage();
        long off0 = sg.get(0).paddr() & (g - 1);
        long base = segs.get(0).dmaAddress() - off0;
        long total = 0;
        for (SgEntry e : sg) {
            total += (e.length() + (e.paddr() & (g - 1)) + g - 1) & -g;
        }
        Mismatch m2 = newRange(step, cur, segs.get(0).dmaAddress(), off0, base, total);
        if (m2 != null) {
            return m2;
        }
        List<DmaSegment> want = finaliseSg(sg, base, g);
        if (!want.equals(segs)) {
            return step.fail("dma-address", "segments " + segs + ", expected " + want + " (iommu_dma_map_sg: one IOVA range,"
                    + " segments joined where a buffer starts on a page boundary after one that ends on one)");
        }
        long at = base;
        for (SgEntry e : sg) {
            long off = e.paddr() & (g - 1);
            long len = (e.length() + off + g - 1) & -g;
            cur.model().map(at, e.paddr() - off, len, op.dir().prot());
            at += len;
        }
        world.handles(m.path())[op.handle()] = new World.Handle(cur.domain(), cur.model(), false, true, segs, base, total);
        return points(step, cur, base - g, base, base + total - g, base + total);
    }

    /** Linux's __finalise_sg: the segments a device sees for a list mapped at {@code iova}. */
    static List<DmaSegment> finaliseSg(List<SgEntry> sg, long iova, long g) {
        List<DmaSegment> out = new ArrayList<>();
        long dma = iova;
        long curLen = 0;
        for (SgEntry e : sg) {
            long off = e.paddr() & (g - 1);
            long len = e.length();
            long iovaLen = (len + off + g - 1) & -g;
            if (curLen != 0 && off == 0) {
                curLen += len;
                DmaSegment last = out.get(out.size() - 1);
                out.set(out.size() - 1, new DmaSegment(last.dmaAddress(), curLen));
            } else {
                out.add(new DmaSegment(dma + off, len));
                curLen = len;
            }
            dma += iovaLen;
            if (len + off < iovaLen) {
                curLen = 0;
            }
        }
        return out;
    }

    private Mismatch dmaUnmap(Step step, Op.DmaUnmap op) {
        Facts.Master m = facts.master(op.dev());
        World.Handle h = m == null || op.handle() >= World.HANDLES ? null : world.handles(m.path())[op.handle()];
        if (h == null) {
            return step.skip();
        }
        World.Current cur = world.current(m.group());
        if (cur.domain() != h.domain) {
            return step.skip(); // its domain is not the master's now: it waits until the group is back
        }
        step.ran("dma-unmap");
        DmaDirection dir = directions.get(m.path())[op.handle()];
        DmaDevice dd = dmaDevice(m.path());
        if (h.sg) {
            dd.unmapSg(h.segments, dir);
        } else {
            dd.unmapPage(h.segments.get(0).dmaAddress(), h.segments.get(0).length(), dir);
        }
        world.handles(m.path())[op.handle()] = null;
        if (h.identity) {
            return null;
        }
        h.model.unmap(h.iova, h.len, cur.type() == DomainType.DMA_FQ);
        long g = h.model.minPage();
        return points(step, cur, h.iova, h.iova + h.len - g);
    }

    private Mismatch flush(Step step, Op.Flush op) {
        Facts.Master m = facts.master(op.dev());
        if (m == null) {
            return step.skip();
        }
        step.ran("flush");
        World.Current cur = world.current(m.group());
        dmaDevice(m.path()).flush();
        if (cur.type() == DomainType.DMA_FQ) {
            cur.model().flushed();
        }
        return null;
    }

    // ---------------------------------------------------------------- DMA

    /** One piece of a transaction: {@code len} bytes at {@code pa}. */
    private record Piece(long pa, int len) {
    }

    private Mismatch dma(Step step, Op.Dma op) {
        Facts.Master m = facts.master(op.dev());
        if (m == null || op.stream() >= m.streams().size()) {
            return step.skip();
        }
        World.Current cur = world.current(m.group());
        Long at = resolve(m, cur, op.at());
        if (at == null) {
            return step.skip();
        }
        long iova = at;
        int len = op.len();
        if (cur.type() == DomainType.IDENTITY && !inWindow(iova - facts.windowBase(), len)) {
            return step.skip(); // an identity domain reaches all memory: keep to the window
        }
        step.ran(op.write() ? "dma-write" : "dma-read");
        // what the oracle says the transaction reaches, up to where it must fault
        List<Piece> pieces = new ArrayList<>();
        boolean ambiguous = false;
        int need = op.write() ? Prot.WRITE : Prot.READ;
        long a = iova;
        long end = iova + len;
        if (cur.type() == DomainType.IDENTITY) {
            pieces.add(new Piece(iova, len));
            a = end;
        } else if (cur.type().isPaging()) {
            while (a < end) {
                DomainModel.Run r = cur.model().lookup(a);
                if (r == null || (facts.perms(cur.signature(), r.prot()) & need) == 0) {
                    ambiguous = cur.model().pending(a);
                    break;
                }
                long to = Math.min(end, r.end());
                pieces.add(new Piece(r.pa() + (a - r.iova()), (int) (to - a)));
                a = to;
            }
        }
        int expectBytes = (int) (a - iova);
        DmaMaster master = lab.machine().master(m.path()).orElseThrow();
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        long faultsBefore = reported(cur.domain());
        DmaResult r;
        if (op.write()) {
            r = master.write(op.stream(), iova, data);
        } else {
            for (Piece p : pieces) {
                byte[] fill = new byte[p.len()];
                rnd.nextBytes(fill);
                lab.machine().memory().write(p.pa(), fill, 0, fill.length);
            }
            r = master.read(op.stream(), iova, len);
        }
        if (ambiguous) {
            counters.exposures++;
            return null;
        }
        java.util.function.Supplier<String> where = () -> String.format("%s stream %d (%s sid %d) %s of %d at 0x%x, domain %d (%s)",
                m.path(), op.stream(), m.streams().get(op.stream()).iommu(), m.streams().get(op.stream()).sid(),
                op.write() ? "write" : "read", len, iova, cur.domain().id(), cur.type());
        if (r.ok() != (expectBytes == len) || r.bytes() != expectBytes) {
            return step.fail("dma", String.format("%s: expected %s, got %s", where.get(),
                    expectBytes == len ? "all " + len + " bytes moved" : expectBytes + " bytes then a fault",
                    r.ok() ? "all moved" : r.bytes() + " bytes then fault " + r.fault()));
        }
        counters.dmaBytes += expectBytes;
        Mismatch bad = op.write() ? checkWritten(step, where, pieces, data) : checkRead(step, where, pieces, r.data());
        if (bad != null) {
            return bad;
        }
        if (expectBytes < len) {
            counters.faults++;
            if (cur.type().isPaging()) {
                if (reported(cur.domain()) != faultsBefore) {
                    counters.faultsReported++;
                } else if (reportedWithoutMaster(m.streams().get(op.stream()).iommu(), iova + expectBytes)) {
                    counters.faultsUnattributed++;
                } else {
                    return step.fail("fault-report", where.get() + ": the fault at 0x" + Long.toHexString(iova + expectBytes)
                            + " was not reported to the core");
                }
            }
        }
        return null;
    }

    /**
     * @return true if the core's last fault is this one, reported by the IOMMU without a master it
     *         could name (the T8020 DART's ERROR register has 4 stream bits: a usb4 stream of 16 or
     *         more is reported as another, dart-facts §1.7), so it reached no domain
     */
    private boolean reportedWithoutMaster(String iommu, long iova) {
        List<io.iommulab.api.dto.FaultDTO> all = lab.iommu().faults();
        if (all.isEmpty()) {
            return false;
        }
        io.iommulab.api.dto.FaultDTO f = all.get(all.size() - 1);
        return f.iommu().equals(iommu) && f.iova() == iova && f.domain() == null;
    }

    private long reported(IommuDomain d) {
        long[] n = reported.get(d);
        return n == null ? 0 : n[0];
    }

    /** @return the IOVA a target names now, or null when it names nothing (skipped) */
    private Long resolve(Facts.Master m, World.Current cur, Op.Target t) {
        switch (t.kind()) {
            case IOVA:
                return t.offset();
            case HANDLE: {
                World.Handle h = t.index() < World.HANDLES ? world.handles(m.path())[(int) t.index()] : null;
                if (h == null) {
                    return null;
                }
                return h.iova + Long.remainderUnsigned(t.offset(), Math.max(1, h.len));
            }
            default: {
                if (cur.type() == DomainType.IDENTITY) {
                    return facts.windowBase() + Long.remainderUnsigned(t.offset(), facts.windowSize());
                }
                if (cur.model() == null) {
                    return t.offset();
                }
                DomainModel.Run r = cur.model().pick(t.index());
                return r == null ? null : r.iova() + Long.remainderUnsigned(t.offset(), r.len());
            }
        }
    }

    /** A write moved {@code data}: memory at each piece must hold it (a later piece wins where two alias). */
    private Mismatch checkWritten(Step step, java.util.function.Supplier<String> where, List<Piece> pieces, byte[] data) {
        int off = 0;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            byte[] mem = new byte[p.len()];
            lab.machine().memory().read(p.pa(), mem, 0, mem.length);
            for (int j = 0; j < mem.length; j++) {
                if (mem[j] != data[off + j] && !overwritten(pieces, i, p.pa() + j)) {
                    return step.fail("data", String.format("%s: memory at 0x%x holds 0x%02x, the device wrote 0x%02x", where.get(),
                            p.pa() + j, mem[j] & 0xff, data[off + j] & 0xff));
                }
            }
            off += p.len();
        }
        return null;
    }

    private static boolean overwritten(List<Piece> pieces, int i, long pa) {
        for (int k = i + 1; k < pieces.size(); k++) {
            Piece q = pieces.get(k);
            if (pa >= q.pa() && pa < q.pa() + q.len()) {
                return true;
            }
        }
        return false;
    }

    /** A read moved what memory held at each piece. */
    private Mismatch checkRead(Step step, java.util.function.Supplier<String> where, List<Piece> pieces, byte[] got) {
        int off = 0;
        for (Piece p : pieces) {
            byte[] mem = new byte[p.len()];
            lab.machine().memory().read(p.pa(), mem, 0, mem.length);
            if (!Arrays.equals(mem, 0, mem.length, got, off, off + mem.length)) {
                return step.fail("data", String.format("%s: the device read other bytes than memory holds at 0x%x", where.get(),
                        p.pa()));
            }
            off += p.len();
        }
        return null;
    }

    // ---------------------------------------------------------------- the three-way check

    private World.Current currentOf(World.Slot s) {
        return new World.Current(s.domain, s.type, s.model, s.bound != null ? s.bound : s.allocSignature);
    }

    private static long middle(long first, long last, long page) {
        return first + ((last - first) / 2 & -page);
    }

    /**
     * Checks {@code iovas} of a domain: {@code iova_to_phys} against the oracle, and the hardware
     * model's walk for every stream of every master attached to it.
     */
    private Mismatch points(Step step, World.Current d, long... iovas) {
        List<Facts.Stream> streams = world.streamsOn(d.domain());
        for (long iova : iovas) {
            if (iova < 0) {
                continue;
            }
            Mismatch m = point(step, d, streams, iova);
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private Mismatch point(Step step, World.Current d, List<Facts.Stream> streams, long iova) {
        counters.points++;
        long pa = 0;
        int perms = 0;
        if (d.type() == DomainType.IDENTITY) {
            pa = iova;
            perms = Prot.READ | Prot.WRITE;
        } else if (d.model() != null) {
            DomainModel.Run r = d.model().lookup(iova);
            if (r != null) {
                pa = r.pa() + (iova - r.iova());
                perms = facts.perms(d.signature(), r.prot());
            }
        }
        long phys = d.domain().iovaToPhys(iova);
        if (phys != pa) {
            return step.fail("iova_to_phys", String.format("domain %d (%s) IOVA 0x%x: expected %s, got 0x%x", d.domain().id(),
                    d.type(), iova, pa == 0 ? "not mapped (0)" : "0x" + Long.toHexString(pa), phys));
        }
        for (Facts.Stream s : streams) {
            counters.walks++;
            TableWalk w = lab.machine().hardwareWalk(s.iommu(), s.sid(), iova);
            boolean good = pa == 0 ? !w.ok() : w.ok() && w.paddr() == pa && w.perms() == perms;
            if (!good) {
                return step.fail("walk", String.format("%s sid %d, domain %d (%s) IOVA 0x%x: the model's walk gives %s,"
                        + " expected %s", s.iommu(), s.sid(), d.domain().id(), d.type(), iova,
                        w.ok() ? String.format("0x%x perms %d", w.paddr(), w.perms()) : "a fault (" + w.fault() + ")",
                        pa == 0 ? "a fault" : String.format("0x%x perms %d", pa, perms)));
            }
        }
        return null;
    }

    /** After an attach or detach: the group's domain as the hardware now sees it, at a few addresses. */
    private Mismatch sample(Step step, World.Current d) {
        if (d.type() == DomainType.IDENTITY) {
            return points(step, d, facts.windowBase() + rnd.nextLong(facts.windowSize()));
        }
        if (d.model() == null || d.model().runCount() == 0) {
            return points(step, d, rnd.nextLong(1L << 20) << 12);
        }
        DomainModel.Run r = d.model().pick(rnd.nextLong());
        return points(step, d, r.iova(), r.end() - d.model().minPage(), r.end());
    }

    /** Every mapping of every domain: the first and last page of each run (at most 256 runs a domain). */
    private Mismatch checkAll(Step step) {
        step.ran("check");
        List<World.Current> all = new ArrayList<>();
        for (World.Slot s : world.slots) {
            if (s != null) {
                all.add(currentOf(s));
            }
        }
        for (Facts.Group g : facts.groups().values()) {
            IommuDomain d = world.defaults.get(g.id());
            all.add(new World.Current(d, g.defaultType(), world.defaultModels.get(g.id()), g.signature()));
        }
        for (World.Current d : all) {
            if (d.model() == null) {
                Mismatch m = sample(step, d);
                if (m != null) {
                    return m;
                }
                continue;
            }
            int n = d.model().runCount();
            int stride = Math.max(1, n / 256);
            int i = 0;
            for (DomainModel.Run r : d.model().runs()) {
                if (i++ % stride != 0) {
                    continue;
                }
                Mismatch m = points(step, d, r.iova(), r.end() - d.model().minPage());
                if (m != null) {
                    return m;
                }
            }
        }
        return null;
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
        return checkAll(step);
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
        Step step = new Step(index, new Op.Check());
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
                        Mismatch bad = dmaUnmap(step, new Op.DmaUnmap(m.path(), i));
                        if (bad != null) {
                            return bad;
                        }
                    }
                }
                dmaDevice(m.path()).flush();
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
