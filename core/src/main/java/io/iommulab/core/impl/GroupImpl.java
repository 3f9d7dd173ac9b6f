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
    private Object iommuData;
    private Runnable iommuDataRelease;

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
    public synchronized void setIommuData(Object data, Runnable release) {
        iommuData = data;
        iommuDataRelease = release;
    }

    @Override
    public synchronized Object iommuData() {
        return iommuData;
    }

    /** The driver data and its release callback, as a driver set them. */
    record IommuData(Object data, Runnable release) {
    }

    /**
     * Live update: takes the outgoing driver's data off the group without running its release
     * callback (the group is not released: the next version of the driver sets its own data).
     *
     * @return what was there, for {@link #restoreIommuData} if the takeover fails
     */
    synchronized IommuData takeIommuData() {
        IommuData d = new IommuData(iommuData, iommuDataRelease);
        iommuData = null;
        iommuDataRelease = null;
        return d;
    }

    /** Puts back what {@link #takeIommuData} took (a failed takeover), replacing the new driver's data. */
    synchronized void restoreIommuData(IommuData d) {
        iommuData = d.data();
        iommuDataRelease = d.release();
    }

    /** The group is released: run the driver's release callback once (iommu_group_release). */
    void release() {
        Runnable r;
        synchronized (this) {
            r = iommuDataRelease;
            iommuData = null;
            iommuDataRelease = null;
        }
        if (r != null) {
            r.run();
        }
    }

    @Override
    public String toString() {
        return "group " + id;
    }
}
