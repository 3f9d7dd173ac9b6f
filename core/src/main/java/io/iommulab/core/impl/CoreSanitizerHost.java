package io.iommulab.core.impl;

import io.iommulab.api.machine.DmaMaster;
import io.iommulab.core.impl.sanitize.Sanitizer;
import java.util.Map;

/**
 * What the DMA sanitizer needs of the core: the domain a master translates through, who owns a
 * stream, what is injected on an IOMMU. Read without the engine's lock (volatile and fixed state
 * only), as the sanitizer runs on the thread doing DMA.
 */
final class CoreSanitizerHost implements Sanitizer.Host {

    private final Masters masters;
    private final Map<String, IommuInstance> instances;
    private final Injections injections;

    CoreSanitizerHost(Masters masters, Map<String, IommuInstance> instances, Injections injections) {
        this.masters = masters;
        this.instances = instances;
        this.injections = injections;
    }

    @Override
    public DomainImpl domainOf(DmaMaster dma) {
        MasterImpl m = masters.of(dma);
        GroupImpl g = m != null ? m.group : null;
        return g != null ? g.domain : null;
    }

    @Override
    public Sanitizer.StreamOwner owner(String iommu, int sid) {
        IommuInstance inst = instances.get(iommu);
        MasterImpl[] ms = inst != null ? inst.mastersOn(sid) : null;
        if (ms == null || ms.length == 0) {
            return new Sanitizer.StreamOwner(null, null);
        }
        StringBuilder names = new StringBuilder();
        DomainImpl d = null;
        for (MasterImpl m : ms) {
            names.append(names.length() == 0 ? "" : " ").append(m.name());
            GroupImpl g = m.group;
            if (d == null && g != null) {
                d = g.domain;
            }
        }
        return new Sanitizer.StreamOwner(names.toString(), d);
    }

    @Override
    public String injected(String iommu) {
        return injections.note(iommu);
    }
}
