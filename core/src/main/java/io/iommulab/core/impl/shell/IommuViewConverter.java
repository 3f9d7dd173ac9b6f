package io.iommulab.core.impl.shell;

import io.iommulab.api.dto.FaultHandlerDTO;
import io.iommulab.api.dto.ReservedRegionDTO;
import io.iommulab.api.dto.ResvRegionsDTO;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats the records of {@code iommu:resv} (as sysfs's reserved_regions) and {@code iommu:faulthandler}
 * for the interactive shell. Conversion to records is not offered.
 */
@Component(service = Converter.class, property = {Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.ResvRegionsDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.FaultHandlerDTO"})
public final class IommuViewConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof ResvRegionsDTO r) {
            return level == PART ? r.regions().size() + " reserved regions of " + r.device() : resv(r);
        }
        if (target instanceof FaultHandlerDTO h) {
            return handler(h);
        }
        return null;
    }

    /** A line naming the device and group, then one line per region as reserved_regions prints it. */
    static String resv(ResvRegionsDTO r) {
        int n = r.regions().size();
        StringBuilder sb = new StringBuilder(r.device()).append(" (group ").append(r.group()).append("): ").append(n)
                .append(n == 1 ? " reserved region\n" : " reserved regions\n");
        for (ReservedRegionDTO g : r.regions()) {
            sb.append(String.format("0x%016x 0x%016x %s\n", g.start(), g.end(), g.type()));
        }
        return sb.toString();
    }

    /** e.g. "/soc/usb@382280000: domain 2 fault handler: count, 3 faults handled" */
    static String handler(FaultHandlerDTO h) {
        String s = h.device() + ": domain " + h.domain() + " fault handler: " + h.handler();
        return h.handler().equals("log") || h.handler().equals("count")
                ? s + ", " + h.handled() + (h.handled() == 1 ? " fault handled" : " faults handled") : s;
    }
}
