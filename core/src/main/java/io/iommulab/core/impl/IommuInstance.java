package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.IommuHardware;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** One IOMMU node of the board and what the core knows of it (the platform device and its binding). */
final class IommuInstance {

    static final String PROBED = "probed";
    static final String DEFERRED = "deferred";
    static final String FAILED = "failed";
    static final String DISABLED = "disabled";

    final IommuHardware hw;
    final DtNode node;
    final String path;
    final boolean available;
    /** stream ids masters use on this IOMMU, ascending */
    final List<Integer> streams;
    /** masters by stream id (index), for fault reports; null entries for unused ids */
    final MasterImpl[][] mastersBySid;

    // below: changed under the engine lock; driver is read by fault reporting too
    String state;
    String reason;
    volatile IommuDriver driver;
    IommuDevice device;
    PlatformDeviceImpl pdev;
    final Set<IommuDriver> failedDrivers = new HashSet<>();
    /** a hardware model answers at this node (hardware can be plugged in and out with its bundle) */
    boolean modelled;

    IommuInstance(IommuHardware hw, List<Integer> streams, MasterImpl[][] mastersBySid) {
        this.hw = hw;
        this.node = hw.node();
        this.path = node.path();
        this.available = node.isAvailable();
        this.streams = streams;
        this.mastersBySid = mastersBySid;
        this.modelled = hw.model() != null;
        if (available) {
            state = DEFERRED;
            reason = "no driver for " + compatibleText();
        } else {
            state = DISABLED;
            reason = "status is not okay" + (hw.reason() != null ? " (" + hw.reason() + ")" : "");
        }
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
        return sid >= 0 && sid < mastersBySid.length ? mastersBySid[sid] : null;
    }
}
