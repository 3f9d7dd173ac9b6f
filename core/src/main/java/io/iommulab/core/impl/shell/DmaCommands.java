package io.iommulab.core.impl.shell;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaBuffer;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.DmaRangeDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.core.impl.IommuCore;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.dma.DmaDebug;
import io.iommulab.lib.cmdline.Memparse;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code dma:} shell scope: the DMA API as a driver calls it (dma_map_page, dma_map_sg,
 * dma_alloc_coherent and their undoing), what it has mapped (dma-debug's entries) and each DMA
 * domain's IOVA allocator. Arguments are parsed here so errors name the argument; what the DMA API
 * refuses (an unmap of what it did not map, with dma-debug's words) changes nothing.
 */
@Component(service = DmaCommands.class, property = {
    "osgi.command.scope=dma",
    "osgi.command.function=map", "osgi.command.function=unmap", "osgi.command.function=mapsg",
    "osgi.command.function=unmapsg", "osgi.command.function=alloc", "osgi.command.function=free",
    "osgi.command.function=mappings", "osgi.command.function=iova"})
public final class DmaCommands {

    private static final String DIRECTIONS = "to-device, from-device or bidirectional";

    private final IommuCoreEngine engine;
    private final DmaApi dma;

    @Activate
    public DmaCommands(@Reference(target = "(component.name=io.iommulab.core.impl.IommuCore)") IommuService core,
            @Reference(target = "(component.name=io.iommulab.core.impl.dma.DmaApiComponent)") DmaApi dma) {
        this(((IommuCore) core).engine(), dma);
    }

    /** For tests: commands over an engine and a DMA API built without OSGi. Not a constructor, so SCR sees one. */
    public static DmaCommands over(IommuCoreEngine engine, DmaApi dma) {
        return new DmaCommands(engine, dma);
    }

    private DmaCommands(IommuCoreEngine engine, DmaApi dma) {
        this.engine = engine;
        this.dma = dma;
    }

    @Descriptor("dma_map_page: map a physical buffer for the device's DMA; shows the DMA address it gets")
    public DmaMappingDTO map(
            @Descriptor("device: DT path, unique node name or path suffix, or label") String dev,
            @Descriptor("physical address of the buffer, in RAM (decimal or 0x hex, K/M/G/T suffix)") String paddr,
            @Descriptor("size in bytes, 1 or more") String size,
            @Descriptor("direction: to-device, from-device or bidirectional") String dir) {
        long p = Memparse.parse("PADDR", paddr).value();
        long s = Memparse.parse("SIZE", size).within(1, Long.MAX_VALUE);
        DmaDirection d = direction(dir);
        ram("PADDR", p, s);
        DmaDevice dd = dma.device(dev);
        return last(dd, "single", dd.mapPage(p, s, d));
    }

    @Descriptor("dma_unmap_page of what dma:map mapped (the same DMA address, size and direction); shows what stays mapped")
    public List<DmaMappingDTO> unmap(
            @Descriptor("device") String dev,
            @Descriptor("the DMA address dma:map showed") String iova,
            @Descriptor("the size it was mapped with") String size,
            @Descriptor("the direction it was mapped with: to-device, from-device or bidirectional") String dir) {
        long a = Memparse.parse("IOVA", iova).value();
        long s = Memparse.parse("SIZE", size).within(1, Long.MAX_VALUE);
        DmaDirection d = direction(dir);
        DmaDevice dd = dma.device(dev);
        dd.unmapPage(a, s, d);
        return dd.mappings();
    }

    @Descriptor("dma_map_sg: map a scatterlist into one IOVA range; shows the DMA segments after merging")
    public DmaMappingDTO mapsg(
            @Descriptor("device") String dev,
            @Descriptor("direction: to-device, from-device or bidirectional") String dir,
            @Descriptor("the scatterlist: PADDR:LEN for each entry, in RAM") String... entries) {
        DmaDirection d = direction(dir);
        if (entries.length == 0) {
            throw new IommuException(Errno.EINVAL, "argument SG: no entries (give PADDR:LEN for each)");
        }
        List<SgEntry> sg = new ArrayList<>(entries.length);
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i];
            int colon = e.indexOf(':');
            if (colon < 0) {
                throw new IommuException(Errno.EINVAL, "argument SG " + i + ": '" + e + "' is not PADDR:LEN");
            }
            long p = Memparse.parse("PADDR of SG " + i, e.substring(0, colon)).value();
            long n = Memparse.parse("LEN of SG " + i, e.substring(colon + 1)).within(1, Long.MAX_VALUE);
            ram("SG " + i, p, n);
            sg.add(new SgEntry(p, n));
        }
        DmaDevice dd = dma.device(dev);
        return last(dd, "scatter-gather", dd.mapSg(sg, d).get(0).dmaAddress());
    }

    @Descriptor("dma_unmap_sg of the scatterlist dma:map-sg mapped at a DMA address; shows what stays mapped")
    public List<DmaMappingDTO> unmapsg(
            @Descriptor("device") String dev,
            @Descriptor("the DMA address of its first segment, as dma:map-sg showed it") String iova,
            @Descriptor("the direction it was mapped with: to-device, from-device or bidirectional") String dir) {
        long a = Memparse.parse("IOVA", iova).value();
        DmaDirection d = direction(dir);
        DmaDevice dd = dma.device(dev);
        DmaMappingDTO m = at(dd, a, "scatter-gather");
        // no scatterlist there: the DMA API says what is (another kind of mapping, or nothing)
        dd.unmapSg(m != null ? segments(m) : List.of(new DmaSegment(a, 1)), d);
        return dd.mappings();
    }

    @Descriptor("dma_alloc_coherent: allocate zeroed pages for the device (owner dma_alloc_coherent:DEV) and map them "
            + "read-write; shows their physical and DMA address")
    public DmaMappingDTO alloc(
            @Descriptor("device") String dev,
            @Descriptor("size in bytes, 1 or more (rounded up to whole pages)") String size) {
        long s = Memparse.parse("SIZE", size).within(1, Long.MAX_VALUE);
        DmaDevice dd = dma.device(dev);
        return last(dd, "coherent", dd.allocCoherent(s).dmaAddress());
    }

    @Descriptor("dma_free_coherent of a buffer dma:alloc gave the device; shows what stays mapped")
    public List<DmaMappingDTO> free(
            @Descriptor("device") String dev,
            @Descriptor("the buffer's DMA address, as dma:alloc showed it") String iova) {
        long a = Memparse.parse("IOVA", iova).value();
        DmaDevice dd = dma.device(dev);
        DmaMappingDTO m = at(dd, a, "coherent");
        if (m == null) {
            m = at(dd, a, null);
            if (m == null) {
                throw DmaDebug.notAllocated(dd.name(), a, -1);
            }
        }
        // what is there, as dma_free_coherent would be told it: another kind is refused naming both
        dd.freeCoherent(new DmaBuffer(m.entries().get(0).address(), a, m.size()));
        return dd.mappings();
    }

    @Descriptor("what the DMA API has mapped for every device and not undone (dma-debug's entries)")
    public List<DmaMappingDTO> mappings() {
        return dma.mappings();
    }

    @Descriptor("what the DMA API has mapped for a device and not undone (dma-debug's entries)")
    public List<DmaMappingDTO> mappings(@Descriptor("device") String dev) {
        return dma.device(dev).mappings();
    }

    @Descriptor("the IOVA allocator of the device's DMA domain: allocated, queued, cached and reserved ranges, the free "
            + "holes, the rcaches and the flush queue")
    public IovaDomainDTO iova(@Descriptor("device") String dev) {
        return dma.device(dev).iovaDomain();
    }

    /** @return the direction named by the shell's word for it */
    static DmaDirection direction(String dir) {
        switch (dir.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "to-device": return DmaDirection.TO_DEVICE;
            case "from-device": return DmaDirection.FROM_DEVICE;
            case "bidirectional": return DmaDirection.BIDIRECTIONAL;
            default: throw new IommuException(Errno.EINVAL, "argument DIR: '" + dir + "' is not " + DIRECTIONS);
        }
    }

    /** Refuses a buffer that is not all in one RAM region of the board. */
    private void ram(String what, long pa, long len) {
        StringBuilder regions = new StringBuilder();
        for (RamRegion r : engine.machine().ram()) {
            if (Long.compareUnsigned(pa, r.base()) >= 0 && Long.compareUnsigned(pa - r.base(), r.size()) < 0
                    && Long.compareUnsigned(len, r.size() - (pa - r.base())) <= 0) {
                return;
            }
            regions.append(regions.length() > 0 ? ", " : "").append(String.format("0x%x-0x%x", r.base(), r.end() - 1));
        }
        throw new IommuException(Errno.EINVAL, String.format("argument %s: 0x%x+0x%x is not in the board's RAM (%s)", what,
                pa, len, regions.length() > 0 ? regions : "none"));
    }

    /** @return the newest mapping of the device at DMA address {@code a} of that type (on identity, one PA may be mapped twice) */
    private static DmaMappingDTO last(DmaDevice dd, String type, long a) {
        DmaMappingDTO found = null;
        for (DmaMappingDTO m : dd.mappings()) {
            if (m.dmaAddress() == a && m.type().equals(type)) {
                found = m;
            }
        }
        if (found == null) {
            throw new IllegalStateException(dd.name() + ": the DMA API did not record its " + type + " mapping at 0x"
                    + Long.toHexString(a));
        }
        return found;
    }

    /** @return the device's first mapping at DMA address {@code a} of that type (any type if null), or null */
    private static DmaMappingDTO at(DmaDevice dd, long a, String type) {
        for (DmaMappingDTO m : dd.mappings()) {
            if (m.dmaAddress() == a && (type == null || m.type().equals(type))) {
                return m;
            }
        }
        return null;
    }

    private static List<DmaSegment> segments(DmaMappingDTO m) {
        List<DmaSegment> out = new ArrayList<>(m.segments().size());
        for (DmaRangeDTO r : m.segments()) {
            out.add(new DmaSegment(r.address(), r.length()));
        }
        return out;
    }
}
