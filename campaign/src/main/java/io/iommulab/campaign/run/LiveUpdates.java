package io.iommulab.campaign.run;

import io.iommulab.api.dto.IommuNodeDTO;
import java.util.List;

/**
 * Live updates of a backend's bundles under the running labs (the container's
 * {@code iommu:liveupdate}); there are none outside the container.
 */
public interface LiveUpdates {

    /** @return the bundles whose code drives these IOMMUs: their drivers, and the page-table formats those use */
    List<String> bundles(List<IommuNodeDTO> iommus);

    /** Updates {@code bundle} from its own location and waits until its drivers were taken over. */
    void update(String bundle) throws Exception;
}
