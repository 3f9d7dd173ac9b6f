package io.iommulab.machine.shell;

import io.iommulab.api.dto.IommuPageDTO;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import io.iommulab.api.dto.PageOwnerDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.dto.RamRegionDTO;
import io.iommulab.lib.cmdline.TextTable;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats the machine: records of {@code io.iommulab.api.dto} for the interactive shell (the
 * launcher's {@code --json} writes the records themselves). Conversion to records is not offered.
 */
@Component(service = Converter.class, property = {Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.IotlbDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.RamDTO"})
public final class MachineDtoConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof IotlbDTO t) {
            return level == PART ? t.iommu() + " IOTLB" : iotlb(t);
        }
        if (target instanceof RamDTO r) {
            return level == PART ? r.pagesInUse() + " pages in use" : ram(r);
        }
        if (target instanceof List<?> l && !l.isEmpty() && level == INSPECT && l.stream().allMatch(IotlbDTO.class::isInstance)) {
            StringBuilder sb = new StringBuilder();
            for (Object o : l) {
                sb.append(iotlb((IotlbDTO) o));
            }
            return sb;
        }
        return null;
    }

    /** e.g. "/soc/iommu@382f00000 (apple-dart): 1 IOTLB entry" and a table of them. */
    static String iotlb(IotlbDTO t) {
        int n = t.entries().size();
        StringBuilder sb = new StringBuilder(t.iommu()).append(" (").append(t.model()).append("): ").append(n)
                .append(n == 1 ? " IOTLB entry\n" : " IOTLB entries\n");
        if (n == 0) {
            return sb.toString();
        }
        TextTable table = new TextTable("TAG", "IOVA", "PA", "SIZE", "PROT", "MASTERS");
        for (IotlbEntryDTO e : t.entries()) {
            table.row(tag(e), hex(e.iova()), hex(e.paddr()), hex(e.size()), e.prot(), String.join(" ", e.masters()));
        }
        return sb.append(table).toString();
    }

    /** The regions, the owners, then the IOMMU drivers' blocks with their domains. */
    static String ram(RamDTO r) {
        long mib = 0;
        for (RamRegionDTO g : r.regions()) {
            mib += g.size() >> 20;
        }
        StringBuilder sb = new StringBuilder("RAM: ").append(mib).append(" MiB in ").append(r.regions().size())
                .append(r.regions().size() == 1 ? " region" : " regions").append("; page allocator: ").append(r.pagesInUse())
                .append(" of ").append(r.totalPages()).append(" pages of ").append(r.pageSize() >> 10).append(" KiB in use\n");
        TextTable regions = new TextTable("BASE", "SIZE", "ALLOCATOR", "IN USE");
        for (RamRegionDTO g : r.regions()) {
            regions.row(hex(g.base()), hex(g.size()), g.allocatorSize() == 0 ? "-"
                    : hex(g.allocatorBase()) + "-" + hex(g.allocatorBase() + g.allocatorSize() - 1), String.valueOf(g.pagesInUse()));
        }
        sb.append(regions);
        if (!r.owners().isEmpty()) {
            TextTable owners = new TextTable("OWNER", "PAGES", "DOMAINS", "DEVICES");
            for (PageOwnerDTO o : r.owners()) {
                owners.row(o.owner(), String.valueOf(o.pages()), join(o.domains()), join(o.devices()));
            }
            sb.append(owners);
        }
        if (!r.iommuPages().isEmpty()) {
            TextTable tables = new TextTable("PAGE TABLE", "SIZE", "IOMMU", "DOMAIN", "DEVICES");
            for (IommuPageDTO p : r.iommuPages()) {
                tables.row(hex(p.paddr()), hex(p.size()), p.iommu(), p.domain() == null ? "-" : p.domain() + " (" + p.domainType()
                        + ")", join(p.devices()));
            }
            sb.append(tables);
        }
        return sb.toString();
    }

    private static String join(List<?> l) {
        if (l.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (Object o : l) {
            sb.append(sb.length() > 0 ? " " : "").append(o);
        }
        return sb.toString();
    }

    /** "sid 3", or "cb 1 asid 2" for a TLB tagged by ASID */
    private static String tag(IotlbEntryDTO e) {
        StringBuilder sb = new StringBuilder();
        if (e.sid() != null) {
            sb.append("sid ").append(e.sid());
        }
        if (e.context() != null) {
            sb.append(sb.length() > 0 ? " " : "").append("cb ").append(e.context());
        }
        if (e.asid() != null) {
            sb.append(sb.length() > 0 ? " " : "").append("asid ").append(e.asid());
        }
        return sb.toString();
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
