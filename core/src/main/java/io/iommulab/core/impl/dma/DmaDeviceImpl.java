package io.iommulab.core.impl.dma;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaBuffer;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.GatherImpl;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iommu_dma_ops of one device. Every call looks up the domain the device's group is attached
 * to now (no lock), so an attach elsewhere is seen at once. What it maps is recorded in the
 * engine's {@link DmaDebug}, and an unmap must match a record there before anything changes.
 */
final class DmaDeviceImpl implements DmaDevice {

    private static final Logger LOG = LoggerFactory.getLogger(DmaDeviceImpl.class);

    private final DmaApiImpl api;
    private final String name;
    private final boolean pci;

    DmaDeviceImpl(DmaApiImpl api, String name, boolean pci) {
        this.api = api;
        this.name = name;
        this.pci = pci;
    }

    @Override
    public String name() {
        return name;
    }

    private DmaDebug debug() {
        return api.engine().dmaDebug();
    }

    /** @return the current domain if the DMA API can use it (DMA, DMA-FQ or identity) */
    private DomainImpl domain(String op) {
        DomainImpl d = api.engine().currentDomain(name);
        DomainType t = d.type();
        if (!t.isDma() && t != DomainType.IDENTITY) {
            throw new IommuException(Errno.EINVAL, name + " is attached to " + d.typeName() + " domain " + d.id()
                    + "; " + op + " needs a DMA or identity domain");
        }
        return d;
    }

    private static void checkSize(String op, long size) {
        if (size <= 0) {
            throw new IommuException(Errno.EINVAL, op + " of size " + size);
        }
    }

    private DmaDebug.Entry entry(DomainImpl d, DmaDebug.Type type, DmaDirection dir, long dma, long size, long iova,
            long iovaSize, List<SgEntry> entries, List<DmaSegment> segments) {
        return new DmaDebug.Entry(name, d.id(), type, dir, dma, size, iova, iovaSize, entries, segments);
    }

    @Override
    public long mapPage(long paddr, long size, DmaDirection dir) {
        checkSize("dma_map_page", size);
        DomainImpl d = domain("dma_map_page");
        List<SgEntry> piece = List.of(new SgEntry(paddr, size));
        if (d.type() == DomainType.IDENTITY) {
            debug().add(entry(d, DmaDebug.Type.SINGLE, dir, paddr, size, paddr, 0, piece,
                    List.of(new DmaSegment(paddr, size))));
            return paddr;
        }
        IovaCookie c = api.cookie(d, name);
        long mask = c.granule - 1;
        long off = paddr & mask;
        long len = (size + off + mask) & ~mask;
        long iova = c.allocIova(len, pci);
        try {
            d.map(iova, paddr - off, len, dir.prot());
        } catch (RuntimeException e) {
            c.freeIova(iova, len);
            throw e;
        }
        debug().add(entry(d, DmaDebug.Type.SINGLE, dir, iova + off, size, iova, len, piece,
                List.of(new DmaSegment(iova + off, size))));
        return iova + off;
    }

    @Override
    public void unmapPage(long dmaAddress, long size, DmaDirection dir) {
        checkSize("dma_unmap_page", size);
        DomainImpl d = domain("dma_unmap_page");
        undo(d, debug().claim(name, d.id(), DmaDebug.Type.SINGLE, dmaAddress, size, dir, List.of(), -1));
    }

    /**
     * __iommu_dma_unmap of what {@code e} holds; the record goes back if the unmap fails (nothing
     * changed then).
     */
    private void undo(DomainImpl d, DmaDebug.Entry e) {
        if (d.type() == DomainType.IDENTITY) {
            return;
        }
        try {
            unmap(d, e.iova(), e.iovaSize());
        } catch (RuntimeException ex) {
            debug().add(e);
            throw ex;
        }
    }

    /** __iommu_dma_unmap: the IOVA range goes back to the allocator at once (strict) or after the next flush (DMA-FQ). */
    private void unmap(DomainImpl d, long iova, long len) {
        IovaCookie c = api.cookie(d);
        boolean queued = d.type() == DomainType.DMA_FQ;
        long start = queued ? System.nanoTime() : 0;
        GatherImpl gather = new GatherImpl(d, queued);
        long unmapped = d.unmap(iova, len, gather);
        if (unmapped != len) {
            // someone unmapped part of it behind the DMA API's back (iommu_unmap of its IOVA): the range is freed anyway
            LOG.warn("{}: unmapped 0x{} of 0x{} bytes at IOVA 0x{}", name, Long.toHexString(unmapped),
                    Long.toHexString(len), Long.toHexString(iova));
        }
        if (queued) {
            c.queueIova(iova, len, start);
        } else {
            c.freeIova(iova, len);
        }
    }

    @Override
    public List<DmaSegment> mapSg(List<SgEntry> sg, DmaDirection dir) {
        if (sg.isEmpty()) {
            throw new IommuException(Errno.EINVAL, "dma_map_sg of an empty list for " + name);
        }
        long bytes = 0;
        for (SgEntry e : sg) {
            checkSize("dma_map_sg entry", e.length());
            bytes += e.length();
        }
        DomainImpl d = domain("dma_map_sg");
        if (d.type() == DomainType.IDENTITY) {
            List<DmaSegment> out = new ArrayList<>(sg.size());
            for (SgEntry e : sg) {
                out.add(new DmaSegment(e.paddr(), e.length()));
            }
            debug().add(entry(d, DmaDebug.Type.SG, dir, out.get(0).dmaAddress(), bytes, out.get(0).dmaAddress(), 0, sg, out));
            return out;
        }
        IovaCookie c = api.cookie(d, name);
        long mask = c.granule - 1;
        // iommu_dma_map_sg: each segment padded to whole granules, all in one IOVA range
        long total = 0;
        for (SgEntry e : sg) {
            long off = e.paddr() & mask;
            total += (e.length() + off + mask) & ~mask;
        }
        long iova = c.allocIova(total, pci);
        long mapped = 0;
        try {
            for (SgEntry e : sg) {
                long off = e.paddr() & mask;
                long len = (e.length() + off + mask) & ~mask;
                d.map(iova + mapped, e.paddr() - off, len, dir.prot());
                mapped += len;
            }
        } catch (RuntimeException ex) {
            if (mapped > 0) {
                d.unmap(iova, mapped);
            }
            c.freeIova(iova, total);
            throw ex;
        }
        List<DmaSegment> out = finaliseSg(sg, iova, mask);
        debug().add(entry(d, DmaDebug.Type.SG, dir, out.get(0).dmaAddress(), bytes, iova, total, sg, out));
        return out;
    }

    /**
     * __finalise_sg: a segment that starts on a granule boundary joins the previous output segment
     * when that one ended on a granule boundary, so the device sees one longer segment.
     */
    private static List<DmaSegment> finaliseSg(List<SgEntry> sg, long iova, long mask) {
        List<DmaSegment> out = new ArrayList<>(sg.size());
        long dma = iova;
        long curLen = 0;
        for (SgEntry e : sg) {
            long off = e.paddr() & mask;
            long len = e.length();
            long iovaLen = (len + off + mask) & ~mask;
            if (curLen != 0 && off == 0) {
                curLen += len;
                out.set(out.size() - 1, new DmaSegment(out.get(out.size() - 1).dmaAddress(), curLen));
            } else {
                out.add(new DmaSegment(dma + off, len));
                curLen = len;
            }
            dma += iovaLen;
            if (len + off < iovaLen) {
                curLen = 0; // ends inside a granule: the next segment cannot continue it
            }
        }
        return out;
    }

    @Override
    public void unmapSg(List<DmaSegment> segments, DmaDirection dir) {
        if (segments.isEmpty()) {
            throw new IommuException(Errno.EINVAL, "dma_unmap_sg of an empty list for " + name);
        }
        DomainImpl d = domain("dma_unmap_sg");
        // size -1: an sg list is checked by its segments, and a refusal names no size
        undo(d, debug().claim(name, d.id(), DmaDebug.Type.SG, segments.get(0).dmaAddress(), -1, dir, segments, -1));
    }

    @Override
    public void flush() {
        DomainImpl d = api.engine().currentDomain(name);
        if (d.type() == DomainType.DMA_FQ) {
            api.cookie(d).flush();
        }
    }

    /**
     * iommu_dma_alloc, contiguous: a block of the page allocator as large as the size rounded up to
     * the CPU page and the domain's granule, mapped read-write at an IOVA of that size.
     */
    @Override
    public DmaBuffer allocCoherent(long size) {
        checkSize("dma_alloc_coherent", size);
        DomainImpl d = domain("dma_alloc_coherent");
        boolean identity = d.type() == DomainType.IDENTITY;
        IovaCookie c = identity ? null : api.cookie(d, name);
        long unit = Math.max(Math.max(api.engine().config().cpuPageSize(), PageAllocator.PAGE_SIZE), identity ? 1 : c.granule);
        if (size > Long.MAX_VALUE / 2 - unit) {
            throw new IommuException(Errno.ENOMEM, String.format("dma_alloc_coherent of 0x%x bytes for %s: more than "
                    + "the address space", size, name));
        }
        long alloc = (size + unit - 1) & -unit;
        int order = 64 - Long.numberOfLeadingZeros((alloc / PageAllocator.PAGE_SIZE) - 1);
        PageAllocator pages = api.engine().machine().pages();
        long pa;
        try {
            pa = pages.allocPages(order, "dma_alloc_coherent:" + name);
        } catch (IommuException e) {
            throw new IommuException(e.errno() == Errno.EINVAL ? Errno.ENOMEM : e.errno(), String.format(
                    "dma_alloc_coherent of 0x%x bytes for %s: %s", size, name, e.getMessage()), e);
        }
        List<SgEntry> piece = List.of(new SgEntry(pa, size));
        if (identity) {
            debug().add(entry(d, DmaDebug.Type.COHERENT, DmaDirection.BIDIRECTIONAL, pa, size, pa, 0, piece,
                    List.of(new DmaSegment(pa, size))));
            return new DmaBuffer(pa, pa, size);
        }
        long iova;
        try {
            iova = c.allocIova(alloc, pci);
        } catch (RuntimeException e) {
            pages.freePages(pa);
            throw e;
        }
        try {
            d.map(iova, pa, alloc, Prot.READ | Prot.WRITE);
        } catch (RuntimeException e) {
            c.freeIova(iova, alloc);
            pages.freePages(pa);
            throw e;
        }
        debug().add(entry(d, DmaDebug.Type.COHERENT, DmaDirection.BIDIRECTIONAL, iova, size, iova, alloc, piece,
                List.of(new DmaSegment(iova, size))));
        return new DmaBuffer(pa, iova, size);
    }

    /** iommu_dma_free: unmap (a DMA-FQ domain frees the IOVA after the next flush), then the pages go back. */
    @Override
    public void freeCoherent(DmaBuffer buffer) {
        DomainImpl d = domain("dma_free_coherent");
        DmaDebug.Entry e = debug().claim(name, d.id(), DmaDebug.Type.COHERENT, buffer.dmaAddress(), buffer.size(),
                DmaDirection.BIDIRECTIONAL, List.of(), buffer.paddr());
        undo(d, e);
        api.engine().machine().pages().freePages(e.entries().get(0).paddr());
    }

    @Override
    public List<DmaMappingDTO> mappings() {
        List<DmaMappingDTO> out = new ArrayList<>();
        for (DmaDebug.Entry e : debug().entries(name)) {
            out.add(e.dto());
        }
        return out;
    }

    @Override
    public IovaDomainDTO iovaDomain() {
        DomainImpl d = domain("the IOVA allocator's view");
        if (d.type() == DomainType.IDENTITY) {
            throw new IommuException(Errno.EINVAL, name + " is attached to identity domain " + d.id()
                    + ", where DMA addresses are physical addresses: there is no IOVA allocator");
        }
        return IovaView.of(name, api.cookie(d, name));
    }

    @Override
    public String toString() {
        return "dma device " + name;
    }
}
