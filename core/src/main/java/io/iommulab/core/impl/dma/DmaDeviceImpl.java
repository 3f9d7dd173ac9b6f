package io.iommulab.core.impl.dma;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.GatherImpl;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iommu_dma_ops of one device. Every call looks up the domain the device's group is attached
 * to now (no lock), so an attach elsewhere is seen at once.
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

    @Override
    public long mapPage(long paddr, long size, DmaDirection dir) {
        checkSize("dma_map_page", size);
        DomainImpl d = domain("dma_map_page");
        if (d.type() == DomainType.IDENTITY) {
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
        return iova + off;
    }

    @Override
    public void unmapPage(long dmaAddress, long size, DmaDirection dir) {
        checkSize("dma_unmap_page", size);
        DomainImpl d = domain("dma_unmap_page");
        if (d.type() == DomainType.IDENTITY) {
            return;
        }
        unmap(d, dmaAddress, size);
    }

    /** __iommu_dma_unmap */
    private void unmap(DomainImpl d, long dmaAddress, long size) {
        IovaCookie c = api.cookie(d);
        long mask = c.granule - 1;
        long off = dmaAddress & mask;
        long iova = dmaAddress - off;
        long len = (size + off + mask) & ~mask;
        if (!c.isAllocationStart(iova)) {
            throw new IommuException(Errno.EINVAL, "DMA address 0x" + Long.toHexString(dmaAddress) + " of " + name
                    + " was not returned by the DMA API of domain " + d.id());
        }
        boolean queued = d.type() == DomainType.DMA_FQ;
        long start = queued ? System.nanoTime() : 0;
        GatherImpl gather = new GatherImpl(d, queued);
        long unmapped = d.unmap(iova, len, gather);
        if (unmapped == 0) {
            throw new IommuException(Errno.EINVAL, "DMA address 0x" + Long.toHexString(dmaAddress) + " size 0x"
                    + Long.toHexString(size) + " of " + name + " is not mapped in domain " + d.id());
        }
        if (unmapped != len) {
            LOG.warn("{}: unmapped 0x{} of 0x{} bytes at DMA address 0x{}", name, Long.toHexString(unmapped),
                    Long.toHexString(len), Long.toHexString(dmaAddress));
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
        for (SgEntry e : sg) {
            checkSize("dma_map_sg entry", e.length());
        }
        DomainImpl d = domain("dma_map_sg");
        if (d.type() == DomainType.IDENTITY) {
            List<DmaSegment> out = new ArrayList<>(sg.size());
            for (SgEntry e : sg) {
                out.add(new DmaSegment(e.paddr(), e.length()));
            }
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
        return finaliseSg(sg, iova, mask);
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
        if (d.type() == DomainType.IDENTITY) {
            return;
        }
        long start = segments.get(0).dmaAddress();
        DmaSegment last = segments.get(segments.size() - 1);
        long end = last.dmaAddress() + last.length();
        unmap(d, start, end - start);
    }

    @Override
    public void flush() {
        DomainImpl d = api.engine().currentDomain(name);
        if (d.type() == DomainType.DMA_FQ) {
            api.cookie(d).flush();
        }
    }

    @Override
    public String toString() {
        return "dma device " + name;
    }
}
