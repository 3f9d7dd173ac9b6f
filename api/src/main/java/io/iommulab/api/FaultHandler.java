package io.iommulab.api;

import io.iommulab.api.dto.FaultDTO;
import org.osgi.annotation.versioning.ConsumerType;

/** iommu_fault_handler_t: set on a domain, called for each fault reported on it. */
@ConsumerType
@FunctionalInterface
public interface FaultHandler {

    /** @return true if handled (Linux: returns 0), false to let the core log it (-ENOSYS) */
    boolean onFault(IommuDomain domain, FaultDTO fault);
}
