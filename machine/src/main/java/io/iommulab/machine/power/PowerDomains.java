package io.iommulab.machine.power;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.machine.dt.DtBindings;
import io.iommulab.machine.dt.PowerDomainRefs;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's power domains, as Linux genpd with Apple's PMGR power-state driver sees them.
 *
 * <ul>
 * <li>Every node with {@code #power-domain-cells} is a provider; a 0-cell provider is one domain
 * (the Apple PMGR case), a provider with cells gives one domain per index consumers name.</li>
 * <li>A provider's own {@code power-domains} are its parents (of_genpd_add_subdomain); there may
 * be several, on other PMGRs or other dies. A cycle is refused ({@link PowerDomainRefs}).</li>
 * <li>At boot the firmware leaves exactly the {@code apple,always-on} domains on, with all their
 * parents (genpd refuses an on subdomain under an off parent).</li>
 * <li>A domain is on while it is needed: always-on, held by a bound device, a subdomain is on, or
 * switched on by hand. Parents power on before their children and off after them.</li>
 * <li>{@link #attach} is dev_pm_domain_attach: it powers the domains of a device and of its bus
 * ancestors (runtime PM resumes a parent before its child) and holds them until {@link #detach}.
 * Nothing switches off a domain that something still needs ({@link #switchOff} refuses).</li>
 * <li>A disabled provider registers no domain: a device that needs it defers (EPROBE_DEFER).</li>
 * </ul>
 *
 * <p>State changes are serialised on this object; reads go through {@link PowerGate}s.
 */
public final class PowerDomains {
    private static final Logger LOG = LoggerFactory.getLogger(PowerDomains.class);
    /** DT property marking a domain the firmware leaves on and genpd never switches off. */
    public static final String ALWAYS_ON = "apple,always-on";
    /** The holder key of what the shell switches on for a node. */
    public static final String BY_HAND = "machine:power";

    private final DeviceTree tree;
    private final Map<String, PowerDomain> domains = new LinkedHashMap<>();
    /** holder key → the domains it holds, and how many attaches it made (each needs a detach) */
    private final Map<String, Hold> attached = new LinkedHashMap<>();

    private static final class Hold {
        final List<PowerDomain> domains;
        int count = 1;

        Hold(List<PowerDomain> domains) {
            this.domains = domains;
        }
    }
    private final Map<String, PowerGate> gates = new ConcurrentHashMap<>();

    /**
     * @throws DeviceTreeException naming node and property for a malformed or dangling
     *         {@code power-domains} reference or a cycle of parents
     */
    public PowerDomains(DeviceTree tree) {
        this.tree = tree;
        PowerDomainRefs.check(tree);
        for (DtNode n : tree.allNodes()) {
            if (n.hasProperty("#power-domain-cells") && n.u32("#power-domain-cells", 0) == 0) {
                domain(n, new int[0]);
            }
        }
        for (DtNode n : tree.allNodes()) {
            resolve(n);
        }
        for (PowerDomain d : domains.values()) {
            List<PowerDomain> parents = new ArrayList<>();
            for (PowerDomain p : resolve(d.node())) {
                if (!parents.contains(p)) {
                    parents.add(p);
                }
            }
            d.parents(parents);
        }
        synchronized (this) {
            for (PowerDomain d : domains.values()) {
                if (d.alwaysOn() && d.available()) {
                    PowerDomain missing = unavailable(d);
                    if (missing != null) {
                        LOG.warn("power: always-on domain {} stays off: it needs {}, whose node is disabled", d, missing);
                    } else {
                        raise(d);
                    }
                }
            }
        }
    }

    private PowerDomain domain(DtNode provider, int[] args) {
        String key = args.length == 0 ? provider.path() : provider.path() + Arrays.toString(args);
        return domains.computeIfAbsent(key, k -> new PowerDomain(provider, k, provider.hasProperty(ALWAYS_ON)));
    }

    /** @return the domains a node names in {@code power-domains}, in order */
    private List<PowerDomain> resolve(DtNode n) {
        if (!n.hasProperty("power-domains")) {
            return List.of();
        }
        List<PowerDomain> out = new ArrayList<>();
        for (int[] e : DtBindings.powerDomainSpecs(tree, n)) {
            DtNode provider = tree.byPhandle(e[0]).orElseThrow();
            out.add(domain(provider, Arrays.copyOfRange(e, 1, e.length)));
        }
        return out;
    }

    // ---- queries ----

    /** @return every domain: providers in DT order, then indexed domains in order of first reference */
    public synchronized List<PowerDomain> all() {
        return List.copyOf(domains.values());
    }

    /** @return the domain with this name (a provider's DT path), or null */
    public synchronized PowerDomain byPath(String path) {
        return domains.get(path);
    }

    /** @return the domains a node names directly (not their parents) */
    public synchronized List<PowerDomain> domainsOf(DtNode node) {
        return resolve(node);
    }

    /**
     * @return the domains that must be on for a node to work: its own and its bus ancestors', with
     *         their parents, parents and ancestors first (the order they power on)
     */
    public synchronized List<PowerDomain> chain(DtNode node) {
        Set<PowerDomain> out = new LinkedHashSet<>();
        for (PowerDomain d : direct(node)) {
            withParentsFirst(d, out);
        }
        return List.copyOf(out);
    }

    /** @return the domains the node and its ancestors name, ancestors first */
    private List<PowerDomain> direct(DtNode node) {
        List<DtNode> path = new ArrayList<>();
        for (DtNode n = node; n != null; n = n.parent().orElse(null)) {
            path.add(0, n);
        }
        Set<PowerDomain> out = new LinkedHashSet<>();
        for (DtNode n : path) {
            out.addAll(resolve(n));
        }
        return List.copyOf(out);
    }

    private static void withParentsFirst(PowerDomain d, Set<PowerDomain> into) {
        withParentsFirst(d, into, x -> false);
    }

    /**
     * Adds d and its ancestors to {@code into}, each after its parents and once, leaving out those
     * {@code skip} accepts and what lies above them. Without recursion: a hierarchy may be as deep
     * as the tree has nodes (a chain of 15,000 domains overflowed the stack at boot).
     */
    private static void withParentsFirst(PowerDomain d, Set<PowerDomain> into, Predicate<PowerDomain> skip) {
        if (into.contains(d) || skip.test(d)) {
            return;
        }
        Deque<PowerDomain> path = new ArrayDeque<>();
        Deque<Iterator<PowerDomain>> next = new ArrayDeque<>();
        path.push(d);
        next.push(d.parents().iterator());
        while (!path.isEmpty()) {
            if (next.peek().hasNext()) {
                PowerDomain p = next.peek().next();
                if (!into.contains(p) && !skip.test(p)) { // the hierarchy is acyclic (PowerDomainRefs)
                    path.push(p);
                    next.push(p.parents().iterator());
                }
            } else {
                next.pop();
                into.add(path.pop());
            }
        }
    }

    /**
     * @return the gate of a node: the domains of the node and of its ancestors with their parents,
     *         flattened once, the node's own first; {@link PowerGate#ALWAYS_ON} when there are none
     */
    public PowerGate gate(DtNode node) {
        return gates.computeIfAbsent(node.path(), p -> {
            List<PowerDomain> all = new ArrayList<>(chain(node));
            // most specific first, so an access to a gated block names the node's own domain
            Collections.reverse(all);
            return all.isEmpty() ? PowerGate.ALWAYS_ON : new PowerGate(all.toArray(new PowerDomain[0]));
        });
    }

    /** @return true if every domain the node needs is on */
    public boolean isPowered(DtNode node) {
        return gate(node).isPowered();
    }

    /**
     * @return why a domain is on, most permanent first ("always-on", "device /soc/..."
     *         for each holder, "subdomain ... is on", "switched on by hand"); empty when it is off
     */
    public synchronized List<String> reasons(PowerDomain d) {
        List<String> out = new ArrayList<>();
        if (!d.isOn()) {
            return out;
        }
        if (d.alwaysOn()) {
            out.add("always-on");
        }
        for (String who : d.holders().values()) {
            out.add("device " + who);
        }
        for (PowerDomain c : d.children()) {
            if (c.isOn()) {
                out.add("subdomain " + c + " is on");
            }
        }
        if (d.manual()) {
            out.add("switched on by hand");
        }
        return out;
    }

    /** @return the holders of power: bound devices' paths, and "PATH machine:power" for what the shell holds */
    public synchronized Set<String> holders() {
        return Set.copyOf(attached.keySet());
    }

    // ---- dev_pm_domain_attach / detach ----

    /**
     * dev_pm_domain_attach for a device being bound: powers on the domains of the node and of its
     * bus ancestors, parents first, and holds them until {@link #detach(String)} with its path.
     * Attaching an attached node counts once more and needs one more detach (two IOMMU cores on one
     * machine for a moment, as when the core's component restarts, each hold it).
     *
     * @throws IommuException EPROBE_DEFER naming the domain if one of them has a disabled node
     *         (the PMGR driver never registers it); nothing is powered then
     */
    public void attach(DtNode node) {
        hold(node, node.path(), node.path(), true);
    }

    /** The shell's "power NODE on": holds the node's domains on as a device would, until {@link #detachByHand}. */
    public void attachByHand(DtNode node) {
        hold(node, byHandKey(node), node.path() + " (" + BY_HAND + ")", false);
    }

    /** The shell's "power NODE off": lets go of what {@link #attachByHand} held. @return false if it held nothing */
    public synchronized boolean detachByHand(DtNode node) {
        return attached.containsKey(byHandKey(node)) && detach(byHandKey(node));
    }

    private static String byHandKey(DtNode node) {
        return node.path() + " " + BY_HAND;
    }

    private synchronized void hold(DtNode node, String key, String who, boolean counted) {
        Hold h = attached.get(key);
        if (h != null) {
            h.count += counted ? 1 : 0;
            return;
        }
        // the device holds the domains it and its ancestors name; their parents stay on as subdomains' parents
        List<PowerDomain> needed = direct(node);
        for (PowerDomain d : needed) {
            PowerDomain missing = unavailable(d);
            if (missing != null) {
                throw new IommuException(Errno.EPROBE_DEFER, String.format(
                        "%s: power domain %s is not available (its node %s is disabled)", node.path(), d, missing.node().path()));
            }
        }
        for (PowerDomain d : needed) {
            d.holders().put(key, who);
            raise(d);
        }
        attached.put(key, new Hold(needed));
    }

    /**
     * dev_pm_domain_detach: the holder lets go; every domain nothing else needs powers off,
     * subdomains before their parents, once every attach under the key has its detach. Detaching a
     * key that is not attached does nothing.
     *
     * @param key the device's path
     * @return false if nothing was attached under the key
     */
    public synchronized boolean detach(String key) {
        Hold h = attached.get(key);
        if (h == null) {
            return false;
        }
        if (--h.count > 0) {
            return true;
        }
        attached.remove(key);
        List<PowerDomain> held = h.domains;
        for (int i = held.size() - 1; i >= 0; i--) {
            PowerDomain d = held.get(i);
            d.holders().remove(key);
            settle(d);
        }
        return true;
    }

    // ---- by hand (the shell, tests) ----

    /** Switches a domain on by hand, its parents first; it stays on until {@link #switchOff}. */
    public synchronized void switchOn(PowerDomain d) {
        PowerDomain missing = unavailable(d);
        if (missing != null) {
            throw new IommuException(Errno.ENODEV, "power domain " + d + " is not available (its node "
                    + missing.node().path() + " is disabled)");
        }
        d.manual(true);
        raise(d);
    }

    /**
     * Switches a domain off by hand, as far as genpd allows.
     *
     * @throws IommuException ENODEV if the path is not a power domain; EBUSY naming what keeps it
     *         on (always-on, a bound device, an on subdomain); nothing changes then
     */
    public synchronized void switchOff(String domainPath) {
        PowerDomain d = domains.get(domainPath);
        if (d == null) {
            throw new IommuException(Errno.ENODEV, domainPath + " is not a power domain of this board");
        }
        List<String> keep = new ArrayList<>(reasons(d));
        keep.remove("switched on by hand");
        if (!keep.isEmpty()) {
            throw new IommuException(Errno.EBUSY, "power domain " + d + " stays on: " + String.join(", ", keep));
        }
        d.manual(false);
        settle(d);
    }

    // ---- the genpd rules ----

    /**
     * @return the first domain of d's hierarchy (d or a parent, depth first) whose node is disabled,
     *         or null. Each domain is visited once: the parents of a real PMGR's domains share
     *         ancestors, and a walk per path is exponential in the depth of such a hierarchy.
     */
    private static PowerDomain unavailable(PowerDomain d) {
        Set<PowerDomain> seen = new HashSet<>();
        Deque<PowerDomain> todo = new ArrayDeque<>();
        todo.push(d);
        while (!todo.isEmpty()) {
            PowerDomain x = todo.pop();
            if (!seen.add(x)) {
                continue;
            }
            if (!x.available()) {
                return x;
            }
            List<PowerDomain> ps = x.parents();
            for (int i = ps.size() - 1; i >= 0; i--) {
                todo.push(ps.get(i));
            }
        }
        return null;
    }

    private static boolean needed(PowerDomain d) {
        if (d.alwaysOn() || d.manual() || !d.holders().isEmpty()) {
            return true;
        }
        for (PowerDomain c : d.children()) {
            if (c.isOn()) {
                return true;
            }
        }
        return false;
    }

    /** genpd_power_on: parents first (the hierarchy is acyclic, checked at boot). */
    private void raise(PowerDomain d) {
        Set<PowerDomain> off = new LinkedHashSet<>();
        withParentsFirst(d, off, PowerDomain::isOn); // an on domain's parents are on
        for (PowerDomain x : off) {
            LOG.debug("power: {} on", x);
            x.set(true);
        }
    }

    /** genpd_power_off: a domain nothing needs goes off, then its parents are reconsidered. */
    private void settle(PowerDomain d) {
        Deque<PowerDomain> todo = new ArrayDeque<>();
        todo.push(d);
        while (!todo.isEmpty()) {
            PowerDomain x = todo.pop();
            if (!x.isOn() || needed(x)) {
                continue;
            }
            LOG.debug("power: {} off", x);
            x.set(false);
            List<PowerDomain> ps = x.parents();
            for (int i = ps.size() - 1; i >= 0; i--) {
                todo.push(ps.get(i));
            }
        }
    }

    /** For tests of the invariants: every on domain has its parents on, every needed one is on. */
    synchronized List<String> violations() {
        List<String> out = new ArrayList<>();
        Set<PowerDomain> seen = new HashSet<>(domains.values());
        for (PowerDomain d : seen) {
            if (d.isOn()) {
                for (PowerDomain p : d.parents()) {
                    if (!p.isOn()) {
                        out.add(d + " is on but its parent " + p + " is off");
                    }
                }
            } else if (needed(d) && unavailable(d) == null) {
                out.add(d + " is needed but off");
            }
        }
        return out;
    }
}
