package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.error.Errno;
import io.iommulab.api.lab.Lab;
import io.iommulab.campaign.op.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The DMA API's operations against the oracle: {@code dma_map_page} and {@code dma_map_sg} give
 * addresses inside the aperture that keep the buffer's offset and overlap no live mapping (identity:
 * the physical address; an unmanaged or blocked domain: EINVAL), with the segments Linux's
 * {@code __finalise_sg} makes; unmaps release them (into the flush queue on DMA-FQ); the oracle
 * follows, and the ranges are probed.
 */
final class DmaApiOps {
    private final Lab lab;
    private final Facts facts;
    private final World world;
    private final Probe probe;
    private final Map<String, DmaDirection[]> directions = new HashMap<>();

    DmaApiOps(Lab lab, Facts facts, World world, Probe probe) {
        this.lab = lab;
        this.facts = facts;
        this.world = world;
        this.probe = probe;
    }

    private boolean inWindow(long off, long len) {
        return off >= 0 && len >= 0 && off + len <= facts.windowSize() && off + len >= off;
    }

    private DmaDevice dmaDevice(String dev) {
        return lab.dma().device(dev);
    }

    Mismatch dmaMap(Step step, Op.DmaMap op) {
        Facts.Master m = facts.master(op.dev());
        if (m == null || op.handle() >= World.HANDLES || world.handles(m.path())[op.handle()] != null
                || !inWindow(op.pa(), op.len()) || op.len() <= 0) {
            return step.skip();
        }
        step.ran("dma-map");
        World.Current cur = world.current(m.group());
        long pa = facts.windowBase() + op.pa();
        Errno expected = cur.type().isDma() || cur.type() == DomainType.IDENTITY ? null : Errno.EINVAL;
        Step.Outcome<Long> call = step.call(expected, () -> dmaDevice(m.path()).mapPage(pa, op.len(), op.dir()));
        if (call.done()) {
            return call.mismatch();
        }
        long addr = call.value();
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
        return probe.points(step, cur, base - g, base, base + len - g, base + len);
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

    Mismatch sgMap(Step step, Op.SgMap op) {
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
        Step.Outcome<List<DmaSegment>> call = step.call(expected, () -> dmaDevice(m.path()).mapSg(sg, op.dir()));
        if (call.done()) {
            return call.mismatch();
        }
        List<DmaSegment> segs = call.value();
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
        return probe.points(step, cur, base - g, base, base + total - g, base + total);
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

    Mismatch dmaUnmap(Step step, Op.DmaUnmap op) {
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
        return probe.points(step, cur, h.iova, h.iova + h.len - g);
    }

    Mismatch flush(Step step, Op.Flush op) {
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
}
