package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code iommu:iommus}, {@code devices}, {@code groups} and {@code domains} show: the engine's
 * IOMMU nodes, masters, groups and domains as DTOs (the sysfs of this core). It reads the engine's
 * own collections, so the engine calls it under its lock; it changes nothing.
 */
final class CoreViews {

    private final Map<String, IommuInstance> instances;
    private final Masters masters;
    private final Map<Integer, GroupImpl> groups;
    private final Map<Integer, DomainImpl> domains;

    private final java.util.function.Function<IommuDriver, String> origins;
    private final java.util.function.Predicate<IommuDriver> retiring;

    CoreViews(Map<String, IommuInstance> instances, Masters masters, Map<Integer, GroupImpl> groups,
            Map<Integer, DomainImpl> domains, java.util.function.Function<IommuDriver, String> origins,
            java.util.function.Predicate<IommuDriver> retiring) {
        this.origins = origins;
        this.retiring = retiring;
        this.instances = instances;
        this.masters = masters;
        this.groups = groups;
        this.domains = domains;
    }

    List<IommuNodeDTO> iommus() {
        List<IommuNodeDTO> out = new ArrayList<>();
        for (IommuInstance inst : instances.values()) {
            IommuDriver d = inst.driver;
            String reason = d != null && retiring.test(d)
                    ? "live update: the old code runs until the next " + d.name() + " takes over" : inst.reason;
            out.add(new IommuNodeDTO(inst.path, inst.node.compatible(), d != null ? d.name() : null, inst.state.text(),
                    reason, inst.streams, d != null ? origins.apply(d) : null));
        }
        return out;
    }

    List<DeviceDTO> devices() {
        List<DeviceDTO> out = new ArrayList<>();
        for (MasterImpl m : masters.all()) {
            out.add(device(m));
        }
        return out;
    }

    DeviceDTO device(MasterImpl m) {
        List<StreamRefDTO> refs = new ArrayList<>();
        for (StreamRef r : m.dma.streams()) {
            refs.add(new StreamRefDTO(r.iommu(), r.sid()));
        }
        GroupImpl g = m.group;
        DomainImpl d = g != null ? g.domain : null;
        return new DeviceDTO(m.name(), refs, m.state.text(), m.reason, g != null ? g.id() : null,
                d != null ? d.id() : null, d != null ? d.typeName() : null);
    }

    List<GroupDTO> groups() {
        List<GroupDTO> out = new ArrayList<>();
        for (GroupImpl g : groups.values()) {
            List<String> devs = new ArrayList<>();
            for (MasterImpl m : g.members) {
                devs.add(m.name());
            }
            DomainImpl def = g.defaultDomain;
            DomainImpl cur = g.domain;
            out.add(new GroupDTO(g.id(), devs, def != null ? def.id() : null, cur != null ? cur.id() : null,
                    cur != null ? cur.typeName() : null));
        }
        return out;
    }

    /** @return the blocks as DTOs, each with its domain's type and the devices attached to that domain now */
    List<io.iommulab.api.dto.IommuPageDTO> iommuPages(List<io.iommulab.core.impl.sanitize.IommuPages.Block> blocks) {
        List<io.iommulab.api.dto.IommuPageDTO> out = new ArrayList<>(blocks.size());
        for (io.iommulab.core.impl.sanitize.IommuPages.Block b : blocks) {
            int id = b.domain() != null ? b.domain().id() : -1;
            DomainImpl d = id >= 0 ? domains.get(id) : null;
            List<String> devs = new ArrayList<>();
            if (d != null) {
                for (GroupImpl g : groups.values()) {
                    if (g.domain == d) {
                        for (MasterImpl m : g.members) {
                            devs.add(m.name());
                        }
                    }
                }
            }
            out.add(new io.iommulab.api.dto.IommuPageDTO(b.pa(), b.size(), b.owner(), b.iommu(), id >= 0 ? id : null,
                    id < 0 ? null : d != null ? d.typeName() : "freed", devs));
        }
        return out;
    }

    List<DomainDTO> domains() {
        List<DomainDTO> out = new ArrayList<>();
        for (DomainImpl d : domains.values()) {
            List<Integer> gs = new ArrayList<>();
            for (GroupImpl g : groups.values()) {
                if (g.domain == d) {
                    gs.add(g.id());
                }
            }
            long start = d.geometry() != null ? d.geometry().apertureStart() : 0;
            long end = d.geometry() != null ? d.geometry().apertureEnd() : 0;
            out.add(new DomainDTO(d.id(), d.typeName(), d.driver(), gs, d.pgsizeBitmap(), start, end, d.mappedBytes()));
        }
        return out;
    }
}
