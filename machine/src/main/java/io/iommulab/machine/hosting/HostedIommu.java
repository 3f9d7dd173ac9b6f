package io.iommulab.machine.hosting;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.machine.mmio.MmioBlock;
import java.util.List;

/**
 * One IOMMU node of the board (a node with {@code #iommu-cells}) and the model currently
 * implementing it, if any. DMA masters hold this object and read {@link #model()} per transaction,
 * so a model that arrives or leaves later takes effect without rebuilding the masters.
 *
 * <p>{@link #model} is volatile; the other fields change together under the {@link ModelHost} lock
 * and are published by the volatile write of {@code model} (written last).
 */
public final class HostedIommu {
    private final DtNode node;
    private IommuModelFactory factory;
    private List<MmioBlock> blocks = List.of();
    private String reason;
    private volatile IommuModel model;

    HostedIommu(DtNode node, String reason) {
        this.node = node;
        this.reason = reason;
    }

    /** @return the IOMMU's DT node */
    public DtNode node() {
        return node;
    }

    /** @return the DT path */
    public String path() {
        return node.path();
    }

    /** @return the model translating for this IOMMU, or null */
    public IommuModel model() {
        return model;
    }

    /** @return the factory that made the model, or null */
    public synchronized IommuModelFactory factory() {
        return factory;
    }

    /** @return why there is no model, or null */
    public synchronized String reason() {
        return reason;
    }

    /** @return the register blocks the model mapped */
    public synchronized List<MmioBlock> blocks() {
        return blocks;
    }

    synchronized void attach(IommuModelFactory f, IommuModel m, List<MmioBlock> b) {
        factory = f;
        blocks = List.copyOf(b);
        reason = null;
        model = m;
    }

    synchronized void detach(String why) {
        model = null;
        factory = null;
        blocks = List.of();
        reason = why;
    }

    /** @return the api view */
    public synchronized IommuHardware describe() {
        return new IommuHardware(node, factory != null ? factory.name() : null, reason);
    }
}
