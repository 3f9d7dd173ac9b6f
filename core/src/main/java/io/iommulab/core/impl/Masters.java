package io.iommulab.core.impl;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.lib.dt.NodeNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The board's DMA masters, in the machine's order, and how a name a user gives finds one: the DT
 * path, else a unique node name (with or without unit address), path suffix or DT label, as
 * {@link NodeNames} resolves them. The set is fixed when the core starts; each master's state
 * changes under the engine's lock.
 */
final class Masters {

    private final List<MasterImpl> all;
    private final Map<String, MasterImpl> byPath = new HashMap<>();
    /** by the machine's object, for the DMA sanitizer's look-up on every transaction */
    private final Map<DmaMaster, MasterImpl> byMaster = new java.util.IdentityHashMap<>();
    private final List<DtNode> nodes;

    Masters(List<DmaMaster> dmaMasters) {
        List<MasterImpl> ms = new ArrayList<>(dmaMasters.size());
        List<DtNode> ns = new ArrayList<>(dmaMasters.size());
        for (DmaMaster dm : dmaMasters) {
            MasterImpl m = new MasterImpl(dm);
            ms.add(m);
            ns.add(m.node());
            byPath.put(m.name(), m);
            byMaster.put(dm, m);
        }
        this.all = List.copyOf(ms);
        this.nodes = List.copyOf(ns);
    }

    /** @return every master, in the machine's order */
    List<MasterImpl> all() {
        return all;
    }

    /** @return the core's master of the machine's {@code dma}, or null (fixed when the core starts: no lock) */
    MasterImpl of(DmaMaster dma) {
        return byMaster.get(dma);
    }

    /**
     * @return the master called {@code name}
     * @throws IommuException ENODEV when no master has that name; EINVAL (from {@link NodeNames})
     *         when several do, e.g. "usb@702280000" on a two-die tree, listing them
     */
    MasterImpl resolve(String name) {
        MasterImpl m = name == null ? null : byPath.get(name);
        if (m != null) {
            return m;
        }
        return NodeNames.resolve("device", name, nodes).map(n -> byPath.get(n.path()))
                .orElseThrow(() -> new IommuException(Errno.ENODEV, "no DMA master named '" + (name == null ? "" : name) + "'"));
    }

    /**
     * @return the master called {@code name}, which must be probed (in a group)
     * @throws IommuException ENODEV naming its state and reason when it is not
     */
    MasterImpl probed(String name) {
        MasterImpl m = resolve(name);
        // state is written under the engine's lock; a racing reader sees either state, both consistent
        if (m.state != ProbeState.PROBED || m.group == null) {
            throw new IommuException(Errno.ENODEV, "device " + m.name() + " is " + m.state
                    + (m.reason != null ? ": " + m.reason : ""));
        }
        return m;
    }
}
