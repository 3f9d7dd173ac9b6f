package io.iommulab.machine.power;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's power domains, from {@code power-domains} references (as genpd). A domain node is on
 * at boot if it has {@code apple,always-on} (and then so are the domains it depends on), otherwise
 * off. Powering a domain on powers its own parent domains first, as the PMGR requires.
 *
 * <p>State changes are serialised on this object; reads go through {@link PowerGate}s.
 */
public final class PowerDomains {
    private static final Logger LOG = LoggerFactory.getLogger(PowerDomains.class);
    /** DT property marking a domain the firmware leaves on. */
    public static final String ALWAYS_ON = "apple,always-on";

    private final Function<DtNode, List<DtNode>> resolver;
    private final Map<String, PowerDomain> domains = new LinkedHashMap<>();
    private final Map<String, PowerGate> gates = new ConcurrentHashMap<>();

    /**
     * @param tree     the board
     * @param resolver resolves a node's {@code power-domains} to domain nodes (DtBindings.powerDomains)
     */
    public PowerDomains(DeviceTree tree, Function<DtNode, List<DtNode>> resolver) {
        this.resolver = resolver;
        for (DtNode n : tree.allNodes()) {
            for (DtNode d : resolve(n)) {
                domain(d);
            }
        }
        synchronized (this) {
            for (PowerDomain d : domains.values()) {
                if (d.alwaysOn()) {
                    on(d, new HashSet<>());
                }
            }
        }
    }

    private List<DtNode> resolve(DtNode n) {
        if (!n.hasProperty("power-domains")) {
            return List.of();
        }
        try {
            return resolver.apply(n);
        } catch (RuntimeException e) {
            // One bad reference must not take the board down; the node is then treated as ungated.
            LOG.error("{}: cannot resolve power-domains: {}", n.path(), e.getMessage());
            return List.of();
        }
    }

    private synchronized PowerDomain domain(DtNode d) {
        PowerDomain pd = domains.get(d.path());
        if (pd != null) {
            return pd;
        }
        pd = new PowerDomain(d, d.hasProperty(ALWAYS_ON));
        domains.put(d.path(), pd);
        List<PowerDomain> parents = new ArrayList<>();
        for (DtNode p : resolve(d)) {
            if (!p.path().equals(d.path())) {
                parents.add(domain(p));
            }
        }
        pd.parents(parents);
        return pd;
    }

    /** @return every domain, in DT order of first reference */
    public synchronized List<PowerDomain> all() {
        return List.copyOf(domains.values());
    }

    /** @return the domain at a DT path, or null */
    public synchronized PowerDomain byPath(String path) {
        return domains.get(path);
    }

    /** @return the domains a node names directly (not their parents) */
    public List<PowerDomain> domainsOf(DtNode node) {
        List<PowerDomain> out = new ArrayList<>();
        for (DtNode d : resolve(node)) {
            out.add(domain(d));
        }
        return out;
    }

    /**
     * @return the gate of a node: the domains of the node and of its ancestors (a device cannot be
     *         active while its parent is suspended, as runtime PM enforces), with their parent
     *         domains; {@link PowerGate#ALWAYS_ON} when there are none
     */
    public PowerGate gate(DtNode node) {
        return gates.computeIfAbsent(node.path(), p -> buildGate(node));
    }

    private PowerGate buildGate(DtNode node) {
        Set<PowerDomain> all = new LinkedHashSet<>();
        for (DtNode n = node; n != null; n = n.parent().orElse(null)) {
            for (PowerDomain d : domainsOf(n)) {
                collect(d, all);
            }
        }
        return all.isEmpty() ? PowerGate.ALWAYS_ON : new PowerGate(all.toArray(new PowerDomain[0]));
    }

    private static void collect(PowerDomain d, Set<PowerDomain> into) {
        if (into.add(d)) {
            for (PowerDomain p : d.parents()) {
                collect(p, into);
            }
        }
    }

    /**
     * Powers on every domain the node and its ancestors name, parent domains first
     * (dev_pm_domain_attach plus the runtime-PM rule that parents resume before children).
     */
    public synchronized void powerOn(DtNode node) {
        for (DtNode n = node; n != null; n = n.parent().orElse(null)) {
            for (PowerDomain d : domainsOf(n)) {
                on(d, new HashSet<>());
            }
        }
    }

    /** Powers one domain on, its parent domains first. */
    public synchronized void powerOnDomain(PowerDomain d) {
        on(d, new HashSet<>());
    }

    private void on(PowerDomain d, Set<PowerDomain> visiting) {
        if (d.isOn() || !visiting.add(d)) {
            return;
        }
        for (PowerDomain p : d.parents()) {
            on(p, visiting);
        }
        if (!d.isOn()) {
            LOG.debug("power: {} on", d.path());
            d.set(true);
        }
    }

    /**
     * Switches one domain off (the board's view; used to exercise drivers against a gated block).
     *
     * @throws IommuException ENODEV if the path is not a power domain, EBUSY if it is always-on
     */
    public synchronized void powerOff(String domainPath) {
        PowerDomain d = domains.get(domainPath);
        if (d == null) {
            throw new IommuException(Errno.ENODEV, domainPath + " is not a power domain of this board");
        }
        if (d.alwaysOn()) {
            throw new IommuException(Errno.EBUSY, domainPath + " is always-on and cannot be switched off");
        }
        LOG.debug("power: {} off", d.path());
        d.set(false);
    }

    /** @return true if every domain of the node and of its ancestors (with their parents) is on */
    public boolean isPowered(DtNode node) {
        return gate(node).isPowered();
    }
}
