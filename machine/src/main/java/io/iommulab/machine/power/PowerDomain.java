package io.iommulab.machine.power;

import io.iommulab.api.dt.DtNode;
import java.util.List;

/**
 * One power domain: a DT node that other nodes name in {@code power-domains} (on Apple SoCs a PMGR
 * power-state register). Software only switches it through the machine's powerOn.
 *
 * <p>{@link #on} is volatile: MMIO and DMA check it on every access without a lock.
 */
public final class PowerDomain {
    private final DtNode node;
    private final boolean alwaysOn;
    private volatile List<PowerDomain> parents = List.of();
    private volatile boolean on;

    PowerDomain(DtNode node, boolean alwaysOn) {
        this.node = node;
        this.alwaysOn = alwaysOn;
        this.on = false; // PowerDomains powers always-on domains at boot, parents first
    }

    /** @return the domain's DT node */
    public DtNode node() {
        return node;
    }

    /** @return the domain's DT path */
    public String path() {
        return node.path();
    }

    /** @return true if the node has {@code apple,always-on} */
    public boolean alwaysOn() {
        return alwaysOn;
    }

    /** @return the domains this one depends on (its own {@code power-domains}) */
    public List<PowerDomain> parents() {
        return parents;
    }

    void parents(List<PowerDomain> p) {
        parents = List.copyOf(p);
    }

    /** @return true if the domain is powered */
    public boolean isOn() {
        return on;
    }

    void set(boolean value) {
        on = value;
    }
}
