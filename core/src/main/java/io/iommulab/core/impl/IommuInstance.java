package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One IOMMU node of the board and what the core knows of it (the platform device and its binding). */
final class IommuInstance {

    final IommuHardware hw;
    final DtNode node;
    final String path;
    final boolean available;
    /** stream ids masters use on this IOMMU, ascending */
    final List<Integer> streams;
    /**
     * masters by stream id, for fault reports: a map, not a table indexed by the id, because an id
     * is whatever the tree's {@code iommus} cell says (a 0x7fffffff would make a table of 2^31 entries)
     */
    final Map<Integer, MasterImpl[]> mastersBySid;

    // below: changed under the engine lock; driver is read by fault reporting too
    ProbeState state;
    String reason;
    volatile IommuDriver driver;
    IommuDevice device;
    PlatformDeviceImpl pdev;
    final Set<IommuDriver> failedDrivers = new HashSet<>();
    /** a hardware model answers at this node (hardware can be plugged in and out with its bundle) */
    boolean modelled;
    /** what {@code iommu:inject} set for the driver of this node (it stays across rebinds), and the machine's fail-nth */
    final FaultInjection injection;

    IommuInstance(IommuHardware hw, List<Integer> streams, Map<Integer, MasterImpl[]> mastersBySid, FailNth failNth) {
        this.hw = hw;
        this.injection = new FaultInjection(failNth, hw.node().path());
        this.node = hw.node();
        this.path = node.path();
        this.available = node.isAvailable();
        this.streams = streams;
        this.mastersBySid = mastersBySid;
        this.modelled = hw.model() != null;
        if (available) {
            state = ProbeState.DEFERRED;
            reason = "no driver for " + compatibleText();
        } else {
            state = ProbeState.DISABLED;
            reason = "status is not okay" + (hw.reason() != null ? " (" + hw.reason() + ")" : "");
        }
    }

    /** @return the instance for {@code hw}, with the stream ids and the masters on each that its iommus specifiers name */
    static IommuInstance of(IommuHardware hw, List<MasterImpl> masters, FailNth failNth) {
        String path = hw.node().path();
        TreeSet<Integer> sids = new TreeSet<>();
        Map<Integer, List<MasterImpl>> bySid = new HashMap<>();
        for (MasterImpl m : masters) {
            for (StreamRef ref : m.dma.streams()) {
                if (ref.iommu().equals(path) && ref.sid() >= 0) {
                    sids.add(ref.sid());
                    List<MasterImpl> l = bySid.computeIfAbsent(ref.sid(), k -> new ArrayList<>());
                    if (!l.contains(m)) {
                        l.add(m);
                    }
                }
            }
        }
        Map<Integer, MasterImpl[]> table = new HashMap<>();
        bySid.forEach((sid, l) -> table.put(sid, l.toArray(new MasterImpl[0])));
        return new IommuInstance(hw, List.copyOf(sids), Map.copyOf(table), failNth);
    }

    String compatibleText() {
        List<String> c = node.compatible();
        return c.isEmpty() ? "(no compatible)" : String.join(", ", c);
    }

    String firstCompatible() {
        List<String> c = node.compatible();
        return c.isEmpty() ? "no compatible" : c.get(0);
    }

    /** @return index of the first node compatible the driver lists (of_match order), -1 if none */
    int matchIndex(IommuDriver d) {
        List<String> c = node.compatible();
        List<String> table = d.compatibles();
        for (int i = 0; i < c.size(); i++) {
            if (table.contains(c.get(i))) {
                return i;
            }
        }
        return -1;
    }

    MasterImpl[] mastersOn(int sid) {
        return mastersBySid.get(sid);
    }
}
