package io.iommulab.machine.shell;

import io.iommulab.api.cmdline.TextTable;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats the machine: records of {@code io.iommulab.api.dto} for the interactive shell (the
 * launcher's {@code --json} writes the records themselves). Conversion to records is not offered.
 */
@Component(service = Converter.class, property = {Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.IotlbDTO"})
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
