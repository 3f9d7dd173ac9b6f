package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * struct iommu_group. Membership and domains change under the engine's lock; the current domain is
 * volatile so the DMA API and fault reporting read it without locking.
 */
final class GroupImpl implements IommuGroup {

    final IommuCoreEngine engine;
    private final int id;
    final CopyOnWriteArrayList<MasterImpl> members = new CopyOnWriteArrayList<>();
    /** driver whose devices are in the group (set by the first member) */
    IommuDriver driver;
    volatile DomainImpl defaultDomain;
    volatile DomainImpl domain;

    GroupImpl(IommuCoreEngine engine, int id) {
        this.engine = engine;
        this.id = id;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public List<IommuMaster> devices() {
        return Collections.unmodifiableList(members);
    }

    @Override
    public String toString() {
        return "group " + id;
    }
}
