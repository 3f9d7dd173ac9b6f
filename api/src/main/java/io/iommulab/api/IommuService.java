package io.iommulab.api;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.TraceEventDTO;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The IOMMU core. Devices are named by DT path; a unique node name or label (e.g.
 * {@code usb@382280000}, {@code dwc3_0}) is accepted too.
 */
@ProviderType
public interface IommuService {

    List<IommuNodeDTO> iommus();

    List<DeviceDTO> devices();

    List<GroupDTO> groups();

    List<DomainDTO> domains();

    /** @return the domain the device's group is attached to */
    IommuDomain domainOf(String device);

    /**
     * Allocates a domain of {@code type} from the device's driver (iommu_paging_domain_alloc, or
     * the driver's identity/blocked domain). Not attached.
     */
    IommuDomain domainAlloc(String device, DomainType type);

    /** iommu_attach_group: attach the device's group to {@code domain} (EBUSY if not on its default). */
    void attachGroup(IommuDomain domain, String device);

    /** iommu_detach_group: the group goes back to its default domain. */
    void detachGroup(IommuDomain domain, String device);

    /** Faults reported so far, oldest first (bounded history). */
    List<FaultDTO> faults();

    /** Trace events so far, oldest first (bounded ring). */
    List<TraceEventDTO> trace();

    /** Empties the trace ring and the fault history. */
    void clearTrace();

    /** @return live updates of drivers so far, oldest first (bounded history) */
    List<LiveUpdateDTO> liveUpdates();
}
