package io.iommulab.api.driver;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** An iommu_group: the unit of isolation; all its devices share one domain. Owned by the core. */
@ProviderType
public interface IommuGroup {

    int id();

    /** @return the devices in the group */
    List<IommuMaster> devices();
}
