package io.iommulab.api.lab;

import io.iommulab.api.machine.DetachedMachine;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Opens labs: an IOMMU core of its own over a detached machine, bound to the IOMMU driver services
 * registered now and as they come and go (the same drivers the registered core uses). Registered
 * by the core bundle.
 */
@ProviderType
public interface LabFactory {
    /**
     * Opens a lab: probes every IOMMU node of the machine with its driver, then every master.
     *
     * @param machine a detached machine; the lab closes it when it is closed
     * @param config  core settings under their framework property names ({@code iommulab.iommu.strict},
     *                {@code iommulab.iommu.default-domain}, {@code iommulab.cpu-page-size},
     *                {@code iommulab.iommu.trace}, {@code iommulab.iommu.sanitize}), and the lab's own
     *                {@code iommulab.iommu.fq-timeout-ms} (how long its DMA API's flush queues hold
     *                IOVAs before their timer flushes them, 10 ms by default); unset ones take the
     *                defaults, not the running core's values
     * @throws io.iommulab.api.error.IommuException EINVAL naming a bad setting (the machine is then closed)
     */
    Lab open(DetachedMachine machine, Map<String, String> config);
}
