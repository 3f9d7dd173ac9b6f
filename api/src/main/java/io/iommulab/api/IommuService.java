package io.iommulab.api;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.SanitizerDTO;
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

    /**
     * @return how many control-path calls (domain allocation, attach, detach, free) wait now for a
     *         live update to finish: for a driver's next version, or for the page-table code its
     *         domains need ({@code LiveUpdateDTO.callsWaited} counts them afterwards)
     */
    int waitingCalls();

    /**
     * The DMA sanitizer: on or off, transactions checked, findings by kind and the bounded history,
     * the flush-queue exposure of lazy domains. Off unless {@code iommulab.iommu.sanitize} is set or
     * {@link #setSanitizer} turned it on.
     */
    SanitizerDTO sanitizer();

    /**
     * Turns the DMA sanitizer on (it attaches to the machine's bus monitor and shadows every map
     * and unmap from then on) or off (it detaches; nothing is checked or shadowed).
     *
     * @return its state afterwards
     */
    SanitizerDTO setSanitizer(boolean on);

    /** Forgets the sanitizer's findings and counters (the shadows of what is mapped stay). */
    void clearSanitizer();

    /**
     * Fault injection on one IOMMU, as Linux's fault-injection knobs: its driver's
     * {@code PlatformDevice.shouldFail(point)} answers true for the next {@code count} occurrences.
     *
     * @param iommu an IOMMU node: DT path, unique node name or path suffix, or label
     * @param point an injection point, e.g. {@code skip-invalidate}
     * @param count occurrences to fail; -1 every one until cleared; 0 clears it
     * @return the point's state afterwards
     * @throws io.iommulab.api.error.IommuException ENODEV naming an unknown IOMMU, EINVAL an unknown
     *         point or a count below -1
     */
    InjectionDTO inject(String iommu, String point, long count);

    /** @return every injection point that is set, or failed something since it was set */
    List<InjectionDTO> injections();

    /**
     * @return every block IOMMU drivers hold from the page allocator now (their page tables), by physical
     *         address, each with its IOMMU and the domain it belongs to
     * @since 1.3
     */
    List<io.iommulab.api.dto.IommuPageDTO> iommuPages();
}
