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

    // ---- live update: the next version of a driver takes over running hardware ----

    /**
     * Live update, outgoing side: records what this instance runs (domains, their tables, the
     * streams attached) and lets go of its software resources (the interrupt handler), leaving the
     * hardware exactly as it is: registers, tables and IOTLB keep translating. Called once, when
     * the next version of the driver is ready to take over, before the domains are paused: this
     * code keeps serving map, unmap and iova_to_phys on them until the next version's ops take
     * over (streams, groups and domains do not change meanwhile: the control path waits).
     *
     * @return the record, or null if this driver keeps none (the next one then reads the hardware)
     */
    default PreservedIommu preserve(IommuDevice iommu) {
        return null;
    }

    /**
     * Live update, incoming side: takes over a running instance without resetting it. The record
     * is what the previous driver preserved; when it is null, or of a schema or version this
     * driver does not know, the driver reads the running state from the hardware (registers, and
     * tables in memory), as a kdump kernel or a driver adopting a bootloader's locked DART does.
     * Runs before the domains are paused, while the previous driver still maps and unmaps: it
     * reads, and writes nothing that driver's TLB maintenance uses.
     * It tells the core which of the two it used ({@link PlatformDevice#restoredFrom}).
     *
     * @throws io.iommulab.api.error.IommuException when the running state cannot be trusted (the
     *         core then removes and re-probes the instance, with a warning saying why); EOPNOTSUPP
     *         when the driver cannot take over at all
     */
    default IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        throw new io.iommulab.api.error.IommuException(io.iommulab.api.error.Errno.EOPNOTSUPP,
                name() + " cannot take over a running IOMMU");
    }

    /**
     * Live update: a paging domain of the previous driver, re-opened on its tables in memory (no
     * table is allocated, cleared or written). Runs before the domains are paused, while the
     * previous driver still maps and unmaps into the tables, so the ops must not keep anything
     * read from inside them (roots, levels and configuration do not change). With the domains
     * paused, the core then attaches the domain's devices again, which writes the same values the
     * hardware already holds. If the takeover fails after this, the
     * core does not free the returned ops (their tables are still the previous driver's) but
     * abandons the instances {@link #restore} returned ({@link #abandon}), which releases what the
     * restored domains hold in software.
     *
     * @throws io.iommulab.api.error.IommuException when the tables cannot be found or trusted
     */
    default DomainOps restoreDomain(DomainHandover domain) {
        throw new io.iommulab.api.error.IommuException(io.iommulab.api.error.Errno.EOPNOTSUPP,
                name() + " cannot take over a running domain");
    }

    /**
     * Live update: the core gave up a takeover after {@link #restore} returned this instance (a
     * later instance, a master, a domain or the switch failed). The driver forgets the instance
     * and the domains {@link #restoreDomain} re-opened on it, and writes nothing: the registers and
     * the tables are still the previous driver's, which keeps running them (the core may try the
     * takeover again with the same records). The core frees the interrupt handlers requested
     * through the instance's platform device. The default removes the instance ({@link #remove}),
     * which resets the hardware; a driver that implements {@link #restore} implements this.
     *
     * @since 1.5
     */
    default void abandon(IommuDevice iommu) {
        remove(iommu);
    }

    /**
     * {@link #restoreDomain(DomainHandover)}, told which of the driver's instances are the ones being
     * taken over with the domain: the instances {@link #restore} returned for the same core. A driver
     * serves every core at once (the registered one and each lab, each over its own machine, often
     * of the same board), so a domain that runs on no stream must find its home among these, never
     * on another machine's IOMMU of the same name and the same table address. The core calls this
     * one; the default forgets the instances.
     *
     * @param iommus the new instances of the core taking the domain over
     * @since 1.5
     */
    default DomainOps restoreDomain(DomainHandover domain, java.util.List<IommuDevice> iommus) {
        return restoreDomain(domain);
    }
}
