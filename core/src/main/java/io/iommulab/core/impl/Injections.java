package io.iommulab.core.impl;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.dt.NodeNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code iommu:inject}: the fault-injection points of each IOMMU instance, set, cleared and listed
 * by the node a person names. It takes no engine lock: each instance's points are its own
 * ({@link FaultInjection}), and the instances are fixed for the core's life.
 */
final class Injections {

    /** the core's log category, as before this part left IommuCoreEngine (users filter on it) */
    private static final Logger LOG = LoggerFactory.getLogger(IommuCoreEngine.class);

    private final Map<String, IommuInstance> instances;

    /** @param instances the engine's IOMMU instances by node path (fixed once the engine is built) */
    Injections(Map<String, IommuInstance> instances) {
        this.instances = instances;
    }

    InjectionDTO set(String iommu, String point, long count) {
        IommuInstance inst = instance(iommu);
        InjectionDTO d = inst.injection.set(inst.path, point, count);
        LOG.info("{}: fault injection {}: the driver is told to fail {}", inst.path, point,
                count < 0 ? "every occurrence" : count == 0 ? "none" : "the next " + count + " occurrence(s)");
        return d;
    }

    /**
     * {@code iommu:inject IOMMU off}: clears every point of the IOMMU.
     *
     * @return the points as they were cleared (remaining 0, with what they failed)
     */
    List<InjectionDTO> off(String iommu) {
        IommuInstance inst = instance(iommu);
        List<InjectionDTO> out = new ArrayList<>();
        for (InjectionDTO d : inst.injection.list(inst.path)) {
            out.add(new InjectionDTO(d.iommu(), d.point(), 0, d.failed()));
        }
        inst.injection.off();
        LOG.info("{}: fault injection off", inst.path);
        return out;
    }

    List<InjectionDTO> list() {
        List<InjectionDTO> out = new ArrayList<>();
        for (IommuInstance inst : instances.values()) {
            out.addAll(inst.injection.list(inst.path));
        }
        return out;
    }

    /** @return what is injected on the IOMMU at {@code path} now (for the sanitizer's findings), or null */
    String note(String path) {
        IommuInstance inst = instances.get(path);
        return inst != null ? inst.injection.note() : null;
    }

    /** @return the IOMMU node a person means: path, unique name or suffix, or label */
    private IommuInstance instance(String name) {
        IommuInstance byPath = name == null ? null : instances.get(name);
        if (byPath != null) {
            return byPath;
        }
        List<DtNode> nodes = new ArrayList<>();
        instances.values().forEach(i -> nodes.add(i.node));
        return NodeNames.resolve("IOMMU", name, nodes).map(n -> instances.get(n.path()))
                .orElseThrow(() -> new IommuException(Errno.ENODEV, "no IOMMU node named '" + (name == null ? "" : name) + "'"));
    }
}
