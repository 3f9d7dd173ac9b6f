package io.iommulab.api.driver;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** An iommu_group: the unit of isolation; all its devices share one domain. Owned by the core. */
@ProviderType
public interface IommuGroup {

    int id();

    /** @return the devices in the group */
    List<IommuMaster> devices();

    /**
     * iommu_group_set_iommudata: attaches driver data to the group, with a callback the core runs
     * once when the group is released (its last device left), as Linux runs the release function
     * of the iommu data. Replaces earlier data without running the earlier callback.
     *
     * @param data    driver data (e.g. the stream map of the group's devices)
     * @param release run when the group is released, may be null
     */
    void setIommuData(Object data, Runnable release);

    /** @return iommu_group_get_iommudata: the driver data, or null */
    Object iommuData();
}
