package io.iommulab.core.impl.shell;

import io.iommulab.api.IommuService;
import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.dto.ReservedRegionDTO;
import io.iommulab.api.dto.ResvRegionsDTO;
import io.iommulab.core.impl.IommuCore;
import io.iommulab.core.impl.IommuCoreEngine;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code iommu:resv}: a device's reserved regions (iommu_get_resv_regions: what its IOMMU driver
 * reserves, e.g. the DART's PCIe MSI doorbell, arm-smmu's software MSI window), shown as Linux's
 * {@code /sys/kernel/iommu_groups/N/reserved_regions} shows them.
 */
@Component(service = ResvCommands.class, property = {"osgi.command.scope=iommu", "osgi.command.function=resv"})
public final class ResvCommands {

    private static final String[] PROT_NAMES = {"READ", "WRITE", "CACHE", "NOEXEC", "MMIO", "PRIV"};

    private final IommuCoreEngine engine;

    @Activate
    public ResvCommands(@Reference(target = "(component.name=io.iommulab.core.impl.IommuCore)") IommuService core) {
        this(((IommuCore) core).engine());
    }

    /** For tests: commands over an engine built without OSGi. Not a constructor, so SCR sees one. */
    public static ResvCommands over(IommuCoreEngine engine) {
        return new ResvCommands(engine);
    }

    private ResvCommands(IommuCoreEngine engine) {
        this.engine = engine;
    }

    @Descriptor("the device's reserved regions (iommu_get_resv_regions) as sysfs's reserved_regions lists them: start, "
            + "end, type")
    public ResvRegionsDTO resv(@Descriptor("device: DT path, unique node name or path suffix, or label") String dev) {
        List<ReservedRegion> rs = new ArrayList<>(engine.resvRegions(dev));
        String name = engine.canonicalName(dev);
        rs.sort(Comparator.comparingLong(ReservedRegion::start));
        List<ReservedRegionDTO> out = new ArrayList<>(rs.size());
        for (ReservedRegion r : rs) {
            out.add(new ReservedRegionDTO(r.start(), r.start() + r.length() - 1, sysfsType(r.type()),
                    "IOMMU_RESV_" + r.type().name(), prot(r.prot())));
        }
        return new ResvRegionsDTO(name, engine.device(name).group(), out);
    }

    /** iommu_group_resv_type_string */
    static String sysfsType(ReservedRegion.Type t) {
        return switch (t) {
            case DIRECT -> "direct";
            case DIRECT_RELAXABLE -> "direct-relaxable";
            case RESERVED -> "reserved";
            case MSI, SW_MSI -> "msi";
        };
    }

    /** @return the IOMMU_* flags set, joined by | (none: "0") */
    static String prot(int prot) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < PROT_NAMES.length; bit++) {
            if ((prot & (1 << bit)) != 0) {
                sb.append(sb.length() > 0 ? "|" : "").append(PROT_NAMES[bit]);
            }
        }
        return sb.length() > 0 ? sb.toString() : "0";
    }
}
