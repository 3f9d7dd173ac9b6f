package io.iommulab.core.impl;

import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.machine.DmaMaster;
import java.util.List;
import java.util.Set;

/** struct device of a DMA master with its iommu fwspec, group and private driver data. */
final class MasterImpl implements IommuMaster {

    final DmaMaster dma;
    private final String name;
    private final int requesterId;
    private volatile List<FwspecEntry> fwspec = List.of();
    private volatile Object priv;

    // below: changed under the engine lock
    volatile ProbeState state = ProbeState.DEFERRED;
    volatile String reason = "not probed yet";
    volatile GroupImpl group;
    IommuDriver driver;
    /** set when the failure cannot change while the board stays as it is (disabled IOMMU, bad reference) */
    boolean permanentFailure;
    /** the drivers a driver-reported failure happened with; retried when that set changes */
    Set<IommuDriver> failedWith;

    MasterImpl(DmaMaster dma) {
        this.dma = dma;
        this.name = dma.name();
        this.requesterId = dma.requesterId();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DtNode node() {
        return dma.node();
    }

    @Override
    public int requesterId() {
        return requesterId;
    }

    @Override
    public List<FwspecEntry> fwspec() {
        return fwspec;
    }

    void setFwspec(List<FwspecEntry> entries) {
        fwspec = List.copyOf(entries);
    }

    @Override
    public Object priv() {
        return priv;
    }

    @Override
    public void setPriv(Object p) {
        priv = p;
    }

    @Override
    public String toString() {
        return name;
    }
}
