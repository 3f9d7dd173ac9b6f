package io.iommulab.core.impl.dma;

import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.DmaRangeDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * kernel/dma/debug.c for the core: every mapping the DMA API made and has not undone, per device,
 * and the checks an unmap must pass against it (check_unmap), with dma-debug's wording. Unlike
 * dma-debug a failed check is an error and the unmap does not happen: nothing changes. Kept by the
 * engine, so it outlives the DMA API service and every driver's live update; a freed domain takes
 * its entries with it (its IOVAs went with its cookie).
 */
public final class DmaDebug {

    /** dma-debug's entry types (type2name) */
    public enum Type {
        SINGLE("single"), SG("scatter-gather"), COHERENT("coherent");

        final String label;

        Type(String label) {
            this.label = label;
        }
    }

    /**
     * One mapping.
     *
     * @param device     DT path
     * @param domain     domain id it was mapped in
     * @param type       how it was mapped
     * @param dir        its direction (coherent: bidirectional)
     * @param dmaAddress what the device was given (sg: the first segment's address)
     * @param size       bytes asked for
     * @param iova       first IOVA held, granule-aligned
     * @param iovaSize   IOVA bytes held (0 on an identity domain)
     * @param entries    physical pieces
     * @param segments   what the device uses
     */
    public record Entry(String device, int domain, Type type, DmaDirection dir, long dmaAddress, long size, long iova,
            long iovaSize, List<SgEntry> entries, List<DmaSegment> segments) {

        public Entry {
            entries = List.copyOf(entries);
            segments = List.copyOf(segments);
        }

        DmaMappingDTO dto() {
            List<DmaRangeDTO> e = new ArrayList<>(entries.size());
            for (SgEntry s : entries) {
                e.add(new DmaRangeDTO(s.paddr(), s.length()));
            }
            List<DmaRangeDTO> g = new ArrayList<>(segments.size());
            for (DmaSegment s : segments) {
                g.add(new DmaRangeDTO(s.dmaAddress(), s.length()));
            }
            return new DmaMappingDTO(device, domain, type.label, name(dir), dmaAddress, size, iova, iovaSize, e, g);
        }
    }

    /** per device: DMA address → the entries there (several only on an identity domain, where it is the PA) */
    private final Map<String, TreeMap<Long, List<Entry>>> byDevice = new ConcurrentHashMap<>();

    /** @return the direction as the shell writes it: to-device, from-device, bidirectional */
    public static String name(DmaDirection dir) {
        return switch (dir) {
            case TO_DEVICE -> "to-device";
            case FROM_DEVICE -> "from-device";
            case BIDIRECTIONAL -> "bidirectional";
        };
    }

    /** add_dma_entry */
    void add(Entry e) {
        TreeMap<Long, List<Entry>> m = byDevice.computeIfAbsent(e.device(), d -> new TreeMap<>());
        synchronized (m) {
            m.computeIfAbsent(e.dmaAddress(), a -> new ArrayList<>(1)).add(e);
        }
    }

    /**
     * check_unmap, then the entry leaves the record: an unmap holding it is the only one that can undo
     * that mapping. The caller {@link #add}s it back if the unmap then fails.
     *
     * @param segments for {@link Type#SG}: the segments to unmap; otherwise ignored
     * @param paddr    for {@link Type#COHERENT}: the CPU address the buffer is freed with; otherwise ignored
     * @throws IommuException EINVAL in dma-debug's words when nothing of {@code device} is mapped at
     *         {@code dmaAddress}, or it was mapped with another function, size, scatterlist or
     *         direction, or in another domain than {@code domain}
     */
    Entry claim(String device, int domain, Type type, long dmaAddress, long size, DmaDirection dir,
            List<DmaSegment> segments, long paddr) {
        TreeMap<Long, List<Entry>> m = byDevice.get(device);
        if (m == null) {
            throw notAllocated(device, dmaAddress, size);
        }
        synchronized (m) {
            List<Entry> at = m.get(dmaAddress);
            if (at == null) {
                throw notAllocated(device, dmaAddress, size);
            }
            Entry e = best(at, domain, type, size, dir, segments);
            String where = String.format("[device address=0x%016x] ", dmaAddress);
            if (e.type() != type) {
                throw refuse(device, "frees DMA memory with wrong function " + where + "[size=" + e.size()
                        + " bytes] [mapped as " + e.type().label + "] [unmapped as " + type.label + "]");
            }
            if (type == Type.SG && e.segments().size() != segments.size()) {
                throw refuse(device, "frees DMA sg list with different entry count " + where + "[map count="
                        + e.segments().size() + "] [unmap count=" + segments.size() + "]");
            }
            if (type == Type.SG && !e.segments().equals(segments)) {
                throw refuse(device, "frees a DMA sg list other than the one mapped there " + where + "[mapped "
                        + segments(e.segments()) + "] [unmapped " + segments(segments) + "]");
            }
            if (type != Type.SG && e.size() != size) {
                throw refuse(device, "frees DMA memory with different size " + where + "[map size=" + e.size()
                        + " bytes] [unmap size=" + size + " bytes]");
            }
            if (type == Type.COHERENT && e.entries().get(0).paddr() != paddr) {
                throw refuse(device, String.format("frees DMA memory with different CPU address %s[size=%d bytes] "
                        + "[cpu alloc address=0x%x] [cpu free address=0x%x]", where, e.size(), e.entries().get(0).paddr(), paddr));
            }
            if (e.dir() != dir) {
                throw refuse(device, "frees DMA memory with different direction " + where + "[size=" + e.size()
                        + " bytes] [mapped with " + dmaName(e.dir()) + "] [unmapped with " + dmaName(dir) + "]");
            }
            if (e.domain() != domain) {
                throw new IommuException(Errno.EINVAL, String.format("DMA address 0x%x of %s was mapped in domain %d; "
                        + "%s is attached to domain %d now", dmaAddress, device, e.domain(), device, domain));
            }
            at.remove(e);
            if (at.isEmpty()) {
                m.remove(dmaAddress);
            }
            return e;
        }
    }

    /**
     * @return the entry that matches best (hash_bucket_find): one of the domain the device is in
     *         first, since another domain's IOVA allocator may have handed out the same address to a
     *         mapping made before the device moved; then the same scatterlist, type, size and direction
     */
    private static Entry best(List<Entry> at, int domain, Type type, long size, DmaDirection dir,
            List<DmaSegment> segments) {
        Entry best = at.get(0);
        int score = -1;
        for (Entry e : at) {
            int s = (e.domain() == domain ? 16 : 0) + (type == Type.SG && e.segments().equals(segments) ? 8 : 0)
                    + (e.type() == type ? 4 : 0) + (e.size() == size ? 2 : 0) + (e.dir() == dir ? 1 : 0);
            if (s > score) {
                best = e;
                score = s;
            }
        }
        return best;
    }

    /**
     * "DMA-API: DEV: device driver tries to free DMA memory it has not allocated [device address=...] [size=...]"
     *
     * @param size the size of the free, or -1 when it gave none (then not named)
     */
    public static IommuException notAllocated(String device, long dmaAddress, long size) {
        return refuse(device, String.format("tries to free DMA memory it has not allocated [device address=0x%016x]",
                dmaAddress) + (size < 0 ? "" : " [size=" + size + " bytes]"));
    }

    private static IommuException refuse(String device, String what) {
        return new IommuException(Errno.EINVAL, "DMA-API: " + device + ": device driver " + what);
    }

    private static String segments(List<DmaSegment> segments) {
        StringBuilder sb = new StringBuilder();
        for (DmaSegment g : segments) {
            sb.append(sb.length() > 0 ? ", " : "").append(String.format("0x%x+0x%x", g.dmaAddress(), g.length()));
        }
        return sb.toString();
    }

    private static String dmaName(DmaDirection dir) {
        return "DMA_" + dir.name();
    }

    /** @return the device's entries, by DMA address */
    public List<Entry> entries(String device) {
        TreeMap<Long, List<Entry>> m = byDevice.get(device);
        List<Entry> out = new ArrayList<>();
        if (m != null) {
            synchronized (m) {
                m.values().forEach(out::addAll);
            }
        }
        return out;
    }

    /** @return every device's entries, by device then DMA address */
    public List<Entry> all() {
        List<Entry> out = new ArrayList<>();
        for (String d : new java.util.TreeSet<>(byDevice.keySet())) {
            out.addAll(entries(d));
        }
        return out;
    }

    /** The domain was freed: its mappings went with it (dma-debug reports them when the device is released). */
    public void domainFreed(int domain) {
        for (TreeMap<Long, List<Entry>> m : byDevice.values()) {
            synchronized (m) {
                m.values().removeIf(at -> {
                    at.removeIf(e -> e.domain() == domain);
                    return at.isEmpty();
                });
            }
        }
    }
}
