package io.iommulab.testiommu.impl;

import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dt.DtNode;
import io.iommulab.testiommu.fake.FakeNode;
import java.util.ArrayList;
import java.util.List;

/** A DMA master as the core would hand it to a driver. */
public final class FakeMaster implements IommuMaster {

    private final FakeNode node;
    private final int rid;
    public final List<FwspecEntry> fwspec = new ArrayList<>();
    private volatile Object priv;

    public FakeMaster(String path, int rid) {
        this.node = new FakeNode(path);
        this.rid = rid;
    }

    @Override
    public String name() {
        return node.path();
    }

    @Override
    public DtNode node() {
        return node;
    }

    @Override
    public int requesterId() {
        return rid;
    }

    @Override
    public List<FwspecEntry> fwspec() {
        return fwspec;
    }

    @Override
    public Object priv() {
        return priv;
    }

    @Override
    public void setPriv(Object priv) {
        this.priv = priv;
    }
}
