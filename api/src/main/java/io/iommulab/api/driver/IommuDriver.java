package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An IOMMU driver (= platform_driver + struct iommu_ops), registered as a service. The core binds
 * each IOMMU node to the driver whose {@link #compatibles()} contains the first matching entry of
 * the node's {@code compatible} list, and unbinds (remove) when the service goes away.
 */
@ConsumerType
public interface IommuDriver {

    /** @return driver name, e.g. {@code "apple-dart"} */
    String name();

    /** @return the of_match_table: compatible strings, in priority order */
    List<String> compatibles();

    /**
     * Platform probe: bring the hardware up and return the instance.
     *
     * @throws io.iommulab.api.error.IommuException the instance stays "failed" with this message
     */
    IommuDevice probe(PlatformDevice pdev);

    /** Platform remove: quiesce the hardware; the core has released every master first. */
    void remove(IommuDevice iommu);

    /**
     * of_xlate: one IOMMU specifier of {@code dev} naming {@code iommu}. Called once per entry before
     * probeDevice; usually records the stream in the master's private data.
     */
    void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args);

    /** probe_device: accept the master (ENODEV if this driver does not handle it). */
    void probeDevice(IommuMaster dev);

    /** release_device: drop per-device state; the device is detached. */
    void releaseDevice(IommuMaster dev);

    /** device_group: the driver decides; masters sharing a stream must get one group. */
    default IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        return dev.isPci() ? groups.pci(dev) : groups.generic(dev);
    }

    /** def_domain_type: a type this device needs, or null for the core's default. */
    default DomainType defDomainType(IommuMaster dev) {
        return null;
    }

    /**
     * domain_alloc_paging: a new paging domain (UNMANAGED, DMA or DMA_FQ) suitable for {@code dev}.
     */
    DomainOps domainAllocPaging(IommuMaster dev);

    /** identity_domain: null if the hardware cannot bypass. */
    default DomainOps identityDomain() {
        return null;
    }

    /** blocked_domain: null if not supported. */
    default DomainOps blockedDomain() {
        return null;
    }

    /** get_resv_regions */
    default List<ReservedRegion> getResvRegions(IommuMaster dev) {
        return List.of();
    }

    /** capable */
    default boolean capable(IommuMaster dev, Capability cap) {
        return false;
    }
}
