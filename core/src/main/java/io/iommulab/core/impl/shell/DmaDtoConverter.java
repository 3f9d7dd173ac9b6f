package io.iommulab.core.impl.shell;

import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.DmaRangeDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.dto.IovaRangeDTO;
import io.iommulab.api.dto.IovaRcacheDTO;
import io.iommulab.lib.cmdline.TextTable;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats the records of the {@code dma:} scope for the interactive shell (the launcher's
 * {@code --json} writes the records themselves): a mapping as Linux shows a scatterlist after
 * dma_map_sg, a list of mappings as dma-debug's dump, an IOVA domain as its ranges. Conversion to
 * records is not offered.
 */
@Component(service = Converter.class, property = {Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.DmaMappingDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.IovaDomainDTO"})
public final class DmaDtoConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof DmaMappingDTO m) {
            return level == PART ? m.type() + " 0x" + Long.toHexString(m.dmaAddress()) : mapping(m);
        }
        if (target instanceof IovaDomainDTO d) {
            return level == PART ? "IOVA space of domain " + d.domain() : iova(d);
        }
        if (target instanceof List<?> l && !l.isEmpty() && level == INSPECT && l.stream().allMatch(DmaMappingDTO.class::isInstance)) {
            TextTable t = new TextTable("DEVICE", "DOMAIN", "TYPE", "DIRECTION", "DMA", "SIZE", "PADDR", "IOVA");
            for (Object o : l) {
                DmaMappingDTO m = (DmaMappingDTO) o;
                t.row(m.device(), String.valueOf(m.domain()), m.type(), m.direction(), ranges(m.segments()), hex(m.size()),
                        ranges(m.entries()), m.iovaSize() == 0 ? "-" : hex(m.iova()) + "+" + hex(m.iovaSize()));
            }
            return t.toString();
        }
        return null;
    }

    /**
     * e.g. {@code /soc/usb@382280000 domain 2: single to-device pa 0x800000000+0x4000 -> dma 0xffffc000+0x4000
     * (IOVA 0xffffc000+0x4000)}; a scatterlist lists its entries, then its DMA segments as Linux's sg list
     */
    static String mapping(DmaMappingDTO m) {
        StringBuilder sb = new StringBuilder(m.device()).append(" domain ").append(m.domain()).append(": ").append(m.type())
                .append(' ').append(m.direction());
        String iova = m.iovaSize() == 0 ? " (identity: the DMA address is the physical address)"
                : " (IOVA " + hex(m.iova()) + "+" + hex(m.iovaSize()) + ")";
        if (!m.type().equals("scatter-gather")) {
            return sb.append(" pa ").append(ranges(m.entries())).append(" -> dma ").append(ranges(m.segments())).append(iova)
                    .toString();
        }
        sb.append(' ').append(m.entries().size()).append(m.entries().size() == 1 ? " entry" : " entries").append(" -> ")
                .append(m.segments().size()).append(m.segments().size() == 1 ? " segment" : " segments").append(iova)
                .append('\n');
        for (int i = 0; i < m.entries().size(); i++) {
            DmaRangeDTO e = m.entries().get(i);
            sb.append("  entry[").append(i).append("] pa ").append(hex(e.address())).append(" length ").append(hex(e.length()))
                    .append('\n');
        }
        for (int i = 0; i < m.segments().size(); i++) {
            DmaRangeDTO g = m.segments().get(i);
            sb.append("  sg[").append(i).append("] dma_address=").append(hex(g.address())).append(" dma_length=")
                    .append(hex(g.length())).append('\n');
        }
        return sb.toString();
    }

    /** A summary line, the ranges from the first IOVA to the last, the rcaches. */
    static String iova(IovaDomainDTO d) {
        StringBuilder sb = new StringBuilder(d.device()).append(": domain ").append(d.domain()).append(" (")
                .append(d.domainType()).append("), IOVA ").append(hex(d.start())).append('-').append(hex(d.end()))
                .append(" in ").append(hex(d.granule())).append(" granules: allocated ").append(hex(d.allocated()))
                .append(", queued ").append(hex(d.queued())).append(", cached ").append(hex(d.cached()))
                .append(", reserved ").append(hex(d.reserved())).append(", free ").append(hex(d.free()));
        if (d.domainType().equals("DMA-FQ")) {
            sb.append("; flush queue flushed ").append(d.flushes()).append(" times");
        }
        sb.append('\n');
        TextTable t = new TextTable("START", "END", "SIZE", "KIND");
        for (IovaRangeDTO r : d.ranges()) {
            t.row(hex(r.start()), hex(r.start() + r.size() - 1), hex(r.size()), r.kind());
        }
        sb.append(t).append("rcaches:");
        for (IovaRcacheDTO c : d.rcaches()) {
            sb.append(' ').append(hex(c.size())).append(' ').append(c.cached()).append('/').append(c.capacity());
        }
        return sb.append('\n').toString();
    }

    private static String ranges(List<DmaRangeDTO> rs) {
        StringBuilder sb = new StringBuilder();
        for (DmaRangeDTO r : rs) {
            sb.append(sb.length() > 0 ? "," : "").append(hex(r.address())).append('+').append(hex(r.length()));
        }
        return sb.toString();
    }

    private static String hex(long v) {
        return Args.hex(v);
    }
}
