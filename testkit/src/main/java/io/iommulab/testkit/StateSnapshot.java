package io.iommulab.testkit;

import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.Machine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The state a {@link FailNthScenario} compares before and after a call, as sorted key/value text
 * (so that a difference names the key): the core's view (each IOMMU's binding, each master's
 * group and domain type, every domain with its type, groups and mapped bytes), every mapping of
 * the ranges a scenario watches (iova_to_phys page by page), the pages each owner holds, the
 * interrupt handlers requested, the threads started, and what a backend adds (its registers).
 * Nothing here names a domain or group by its id, or a page-table owner by its object: a retry gets
 * new ones, and must still compare equal.
 */
public final class StateSnapshot {

    /** a page-table owner names its domain object ("apple-dart:/soc/iommu@...:domain@1b2c3d"): not kept across runs */
    private static final Pattern OBJECT_SUFFIX = Pattern.compile(":domain@[0-9a-f]+$");
    /** the common pool's workers come and go on their own */
    private static final String COMMON_POOL = "ForkJoinPool.commonPool-worker-";

    private final TreeMap<String, String> map = new TreeMap<>();

    /** @return the threads alive now: what a scenario's {@link #threads} leaves out */
    public static Set<Thread> liveThreads() {
        return Set.copyOf(Thread.getAllStackTraces().keySet());
    }

    /** @return the core's view, the pages by owner and the interrupt handlers of {@code machine} */
    public static StateSnapshot of(Machine machine, IommuService iommu) {
        return new StateSnapshot().core(iommu).pages(machine).irqs(machine);
    }

    /**
     * Each IOMMU's state and driver, each master's state, group (by its members) and domain types,
     * and every domain (type, driver, groups by members, bytes mapped) as one sorted list.
     */
    public StateSnapshot core(IommuService iommu) {
        for (IommuNodeDTO n : iommu.iommus()) {
            map.put("iommu " + n.node(), n.state() + (n.driver() != null ? " by " + n.driver() : ""));
        }
        Map<Integer, GroupDTO> groups = new HashMap<>();
        for (GroupDTO g : iommu.groups()) {
            groups.put(g.id(), g);
        }
        Map<Integer, String> domainTypes = new HashMap<>();
        for (DomainDTO d : iommu.domains()) {
            domainTypes.put(d.id(), d.type());
        }
        for (DeviceDTO d : iommu.devices()) {
            GroupDTO g = d.group() != null ? groups.get(d.group()) : null;
            map.put("device " + d.node(), d.state() + (g == null ? "" : ", group " + sorted(g.devices()) + ", domain "
                    + g.domainType() + ", default " + domainTypes.get(g.defaultDomain())));
        }
        List<String> domains = new ArrayList<>();
        for (DomainDTO d : iommu.domains()) {
            List<String> members = new ArrayList<>();
            for (int gid : d.groups()) {
                GroupDTO g = groups.get(gid);
                members.add(g == null ? "?" : sorted(g.devices()).toString());
            }
            members.sort(null);
            domains.add(d.type() + " of " + d.driver() + " on " + members + " mapping 0x" + Long.toHexString(d.mappedBytes()));
        }
        domains.sort(null);
        map.put("domains", String.join("; ", domains));
        return this;
    }

    /** The pages each owner holds (a page-table owner by its IOMMU, not its object). */
    public StateSnapshot pages(Machine machine) {
        Map<String, Long> byOwner = new TreeMap<>();
        machine.pages().pagesByOwner().forEach((owner, n) -> byOwner.merge(OBJECT_SUFFIX.matcher(owner).replaceAll(":domain@*"),
                n, Long::sum));
        byOwner.forEach((owner, n) -> map.put("pages " + owner, Long.toString(n)));
        map.put("pages in use", Long.toString(machine.pages().pagesInUse()));
        return this;
    }

    /** The interrupt handlers requested, per line. */
    public StateSnapshot irqs(Machine machine) {
        machine.irqHandlers().forEach((line, handlers) -> map.put("irq " + line, handlers.toString()));
        return this;
    }

    /** The names of the threads alive now that {@code baseline} did not have (the common pool's workers left out). */
    public StateSnapshot threads(Set<Thread> baseline) {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!baseline.contains(t) && t.isAlive() && !t.getName().startsWith(COMMON_POOL)) {
                names.add(t.getName());
            }
        }
        names.sort(null);
        map.put("threads", names.toString());
        return this;
    }

    /**
     * Every page of [{@code iova}, {@code iova + size}) of {@code domain} that translates, by
     * iova_to_phys, as one key per page ({@code "map LABEL 0x..."}), and their count.
     *
     * @param label names the domain in the keys (not its id)
     * @param step  the domain's smallest page size, or a multiple of it
     */
    public StateSnapshot mappings(String label, IommuDomain domain, long iova, long size, long step) {
        long mapped = 0;
        try {
            for (long a = iova; Long.compareUnsigned(a - iova, size) < 0; a += step) {
                long pa = domain.iovaToPhys(a);
                if (pa != 0) {
                    map.put("map " + label + " 0x" + Long.toHexString(a), "0x" + Long.toHexString(pa));
                    mapped++;
                }
            }
        } catch (IommuException e) {
            map.put("map " + label, e.errno().name());
            return this;
        }
        map.put("map " + label, mapped + " pages");
        return this;
    }

    /** One more key, e.g. a register a backend's tests read. */
    public StateSnapshot put(String key, Object value) {
        map.put(key, String.valueOf(value));
        return this;
    }

    /** More keys under {@code prefix}, e.g. every register of interest of one IOMMU. */
    public StateSnapshot putAll(String prefix, Map<String, ?> values) {
        values.forEach((k, v) -> map.put(prefix + k, String.valueOf(v)));
        return this;
    }

    /** @return the state, sorted by key */
    public SortedMap<String, String> build() {
        return new TreeMap<>(map);
    }

    private static List<String> sorted(List<String> l) {
        List<String> out = new ArrayList<>(l);
        out.sort(null);
        return out;
    }
}
