package io.iommulab.api.machine;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The simulated machine: a booted board. Software reaches hardware only through what this gives
 * out (memory, MMIO windows, interrupt lines, power); never through a reference to a model.
 */
@ProviderType
public interface Machine {

    /** @return the board's device tree */
    DeviceTree deviceTree();

    /** @return RAM regions from the {@code memory} nodes */
    List<RamRegion> ram();

    PhysicalMemory memory();

    PageAllocator pages();

    /**
     * ioremap of {@code reg} entry {@code index} of a node.
     *
     * @throws io.iommulab.api.error.IommuException ENODEV naming the node if it has no such entry
     *         or nothing is mapped there
     */
    MmioWindow ioremap(DtNode node, int index);

    /**
     * platform_get_irq: interrupt {@code index} of a node, through {@code interrupt-parent}.
     *
     * @throws io.iommulab.api.error.IommuException ENODEV naming the node if it has no such interrupt
     */
    IrqLine irq(DtNode node, int index);

    /**
     * dev_pm_domain_attach for a device being bound: powers on the power domains of the node and of
     * its bus ancestors, parents first, and keeps them on until {@link #pmDomainDetach}. Attaching
     * an attached node again does nothing.
     *
     * @throws io.iommulab.api.error.IommuException EPROBE_DEFER naming the domain when one of them
     *         is not available (its node is disabled); nothing is powered then
     */
    void pmDomainAttach(DtNode node);

    /**
     * dev_pm_domain_detach for a device being unbound: its hold on its domains ends, and every
     * domain nothing else needs (no other bound device, no subdomain on, not always-on) powers off,
     * subdomains before their parents. Detaching a node that is not attached does nothing.
     */
    void pmDomainDetach(DtNode node);

    /**
     * The old name of {@link #pmDomainAttach}.
     *
     * @deprecated use {@link #pmDomainAttach}, and {@link #pmDomainDetach} when the device goes
     */
    @Deprecated
    default void powerOn(DtNode node) {
        pmDomainAttach(node);
    }

    /** @return true if every power domain the node and its ancestors need is on (true without domains) */
    boolean isPowered(DtNode node);

    /** @return IOMMU hardware instances (nodes with {@code #iommu-cells}) in DT order */
    List<IommuHardware> iommuHardware();

    /** @return every DMA master in DT order */
    List<DmaMaster> masters();

    /** @return the master with this DT path */
    Optional<DmaMaster> master(String path);

    /**
     * The simulator's debug view of one IOMMU's hardware model: its counters (IOTLB hits and misses,
     * walks, faults, invalidations), as {@link io.iommulab.api.hw.IommuModel#counters()} gives them.
     * Real hardware has no such port; drivers never use it, tools (shells, benchmarks, comparisons) do.
     *
     * @param iommuPath DT path of the IOMMU node
     * @return the counters; empty if the node has no model
     * @throws io.iommulab.api.error.IommuException ENODEV if no IOMMU node has this path
     */
    Map<String, Long> hardwareCounters(String iommuPath);

    /**
     * The simulator's debug view of one IOMMU's walk: what its hardware model gives for stream
     * {@code sid} at {@code iova} from its registers and the tables in memory now, without its
     * IOTLB ({@link io.iommulab.api.hw.IommuModel#walk}). Real hardware has no such port; drivers
     * never use it, tools (a differential campaign checking the tables against what software
     * mapped) do. Nothing is counted, latched or signalled.
     *
     * @param iommuPath DT path of the IOMMU node
     * @return the walk
     * @throws io.iommulab.api.error.IommuException ENODEV if no IOMMU node has this path or it has
     *         no model, EOPNOTSUPP if its model offers no walk
     * @since 1.4
     */
    io.iommulab.api.hw.TableWalk hardwareWalk(String iommuPath, int sid, long iova);

    /**
     * The simulator's debug view of one IOMMU's IOTLB, as {@link #hardwareCounters} is of its
     * counters: the entries its model caches now ({@link io.iommulab.api.hw.IommuModel#iotlbEntries}).
     * Real hardware has no such port; drivers never use it, tools do.
     *
     * @param iommuPath DT path of the IOMMU node
     * @return the entries; empty if the node has no model
     * @throws io.iommulab.api.error.IommuException ENODEV if no IOMMU node has this path
     * @since 1.5
     */
    List<io.iommulab.api.hw.IotlbEntry> iotlbEntries(String iommuPath);

    /**
     * Attaches a tool to the bus's debug port (the DMA sanitizer): it sees every transaction and
     * every stale IOTLB hit from then on, and models start checking their IOTLB hits. Null detaches
     * it. Real hardware has no such port; drivers never use it.
     */
    void setBusMonitor(BusMonitor monitor);

    /**
     * @return the machine's fail-nth countdown ({@code machine:fail-nth}): the injection points of its
     *         page allocator, interrupt lines and hardware models, and those the software running on it
     *         (core, drivers) asks through it
     * @since 1.4
     */
    FailNth failNth();

    /**
     * The simulator's view of the interrupt handlers requested now, as {@code /proc/interrupts} lists
     * them: by line name ({@code "aic:781"}), the name each handler was requested with, in request
     * order; lines without a handler are left out. Tools check with it that software freed what it
     * requested.
     *
     * @since 1.4
     */
    Map<String, List<String>> irqHandlers();
}
