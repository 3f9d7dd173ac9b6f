package io.iommulab.machine.power;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One power domain (a genpd): on Apple SoCs a PMGR power-state register, a DT node with
 * {@code #power-domain-cells = <0>}; for a provider with cells, one index of it.
 *
 * <p>A domain is on while it is needed (genpd's rule): it is {@code apple,always-on}, a device
 * bound to it holds it, one of its subdomains is on, or it was switched on by hand. Its parents
 * (its own {@code power-domains}) are on whenever it is. {@link PowerDomains} keeps these
 * invariants under its lock; {@link #on} is volatile so MMIO and DMA can check it on every access
 * without a lock.
 */
public final class PowerDomain {
    private final DtNode node;
    private final String name;
    private final boolean alwaysOn;
    private final boolean available;
    private volatile List<PowerDomain> parents = List.of();
    private final List<PowerDomain> children = new ArrayList<>();
    /** consumer key → who holds it ("/soc/usb@..." for a bound device) */
    private final Map<String, String> holders = new LinkedHashMap<>();
    private boolean manual;
    private volatile boolean on;

    PowerDomain(DtNode node, String name, boolean alwaysOn) {
        this.node = node;
        this.name = name;
        this.alwaysOn = alwaysOn;
        this.available = node.isAvailable();
    }

    /** @return the provider's DT node */
    public DtNode node() {
        return node;
    }

    /** @return the domain's name: the provider's DT path, with the cells for a provider that has them */
    public String path() {
        return name;
    }

    /** @return the genpd name Apple's PMGR driver gives it (the node's {@code label} property), or "" */
    public String label() {
        return node.property("label").map(DtProperty::string).orElse("");
    }

    /** @return true if the node has {@code apple,always-on} (genpd's GENPD_FLAG_ALWAYS_ON) */
    public boolean alwaysOn() {
        return alwaysOn;
    }

    /** @return false if the provider node is disabled: the PMGR driver registers no domain for it */
    public boolean available() {
        return available;
    }

    /** @return the domains this one is a subdomain of (its own {@code power-domains}) */
    public List<PowerDomain> parents() {
        return parents;
    }

    void parents(List<PowerDomain> p) {
        parents = List.copyOf(p);
        for (PowerDomain parent : p) {
            parent.children.add(this);
        }
    }

    List<PowerDomain> children() {
        return children;
    }

    Map<String, String> holders() {
        return holders;
    }

    boolean manual() {
        return manual;
    }

    void manual(boolean value) {
        manual = value;
    }

    /** @return true if the domain is powered */
    public boolean isOn() {
        return on;
    }

    void set(boolean value) {
        on = value;
    }

    @Override
    public String toString() {
        return name;
    }
}
