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

    /** Powers on every power domain a node names (and their parents), as dev_pm_domain_attach. */
    void powerOn(DtNode node);

    /** @return true if every power domain the node names is on (true for a node without domains) */
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
}
