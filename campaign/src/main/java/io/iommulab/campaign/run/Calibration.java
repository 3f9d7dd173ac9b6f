package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Measures a fresh lab before a campaign: its masters and groups, the buffer window, and what the
 * backend does where drivers legitimately differ, so that the oracle can hold the backend to it
 * for the rest of the run:
 * <ul>
 * <li>which domain types its driver allocates for each master;</li>
 * <li>where a fresh domain of each kind attaches (a DART domain only to masters behind the same
 *     DARTs; an identity domain only where every IOMMU can bypass);</li>
 * <li>whether a paging domain, once attached, is bound to that IOMMU (arm-smmu's context bank),
 *     and how many more paging domains each IOMMU holds (free context banks);</li>
 * <li>whether a domain never attached has a table to map into;</li>
 * <li>what rights each page format grants for a write-only map (read-only and read-write ones must
 *     give exactly that; LPAE makes a write-only page readable too).</li>
 * </ul>
 * Everything it allocates is freed again, and every group is back on its default domain.
 */
public final class Calibration {
    /** how many paging domains a capacity probe attaches at most (more than the campaign's slots) */
    static final int CAPACITY_PROBE = 24;
    /**
     * the buffer window: at most this much of the lower half of RAM, aligned for blocks (two 32 MiB
     * blocks fit). The lab's memory holds all of it once DMA has touched it (in 64 KiB chunks): it is
     * most of what a run keeps in the heap, whatever the number of operations.
     */
    static final long WINDOW_MAX = 64L << 20;
    static final long WINDOW_ALIGN = 32L << 20;

    private final Lab lab;

    private Calibration(Lab lab) {
        this.lab = lab;
    }

    /**
     * @param bundles the bundles a live update may replace for this backend (empty outside the container)
     * @throws IommuException ENODEV when no master probed with a group, ENOMEM when RAM leaves no
     *         buffer window
     */
    public static Facts measure(Lab lab, List<String> bundles) {
        return new Calibration(lab).facts(bundles);
    }

    private Facts facts(List<String> bundles) {
        List<Facts.Master> masters = masters();
        if (masters.isEmpty()) {
            throw new IommuException(Errno.ENODEV, "no DMA master probed with a group on " + lab.machine().deviceTree().source()
                    + ": nothing to run a campaign on");
        }
        Map<Integer, Facts.Group> groups = groups(masters);
        long[] window = window();
        Map<String, Facts.Paging> paging = new LinkedHashMap<>();
        Map<String, Map<DomainType, Errno>> alloc = new LinkedHashMap<>();
        for (Facts.Master m : masters) {
            Map<DomainType, Errno> errs = new EnumMap<>(DomainType.class);
            for (DomainType t : DomainType.values()) {
                try {
                    IommuDomain d = lab.iommu().domainAlloc(m.path(), t);
                    if (t == DomainType.UNMANAGED) {
                        DomainGeometry g = d.geometry();
                        paging.put(m.path(), new Facts.Paging(d.pgsizeBitmap(), g.apertureStart(), g.apertureEnd()));
                    }
                    d.free();
                } catch (IommuException e) {
                    errs.put(t, e.errno());
                }
            }
            alloc.put(m.path(), errs);
        }
        Map<String, Facts.Master> bySignature = new LinkedHashMap<>();
        masters.forEach(m -> bySignature.putIfAbsent(m.signature(), m));
        Map<String, Map<String, Map<Integer, Errno>>> attach = new LinkedHashMap<>();
        for (String kind : List.of(Facts.PAGING, Facts.IDENTITY, Facts.BLOCKED)) {
            DomainType type = kind.equals(Facts.PAGING) ? DomainType.UNMANAGED
                    : kind.equals(Facts.IDENTITY) ? DomainType.IDENTITY : DomainType.BLOCKED;
            Map<String, Map<Integer, Errno>> bySig = new LinkedHashMap<>();
            for (Facts.Master a : bySignature.values()) {
                if (alloc.get(a.path()).containsKey(type)) {
                    continue;
                }
                Map<Integer, Errno> byGroup = new TreeMap<>();
                for (Facts.Group g : groups.values()) {
                    Errno e = tryAttach(a.path(), type, g.devices().get(0));
                    if (e != null) {
                        byGroup.put(g.id(), e);
                    }
                }
                bySig.put(a.signature(), byGroup);
            }
            attach.put(kind, bySig);
        }
        Map<String, Set<Integer>> same = sameDriver(bySignature, groups, alloc);
        Errno rebind = rebind(bySignature, groups, attach.get(Facts.PAGING));
        Map<String, Integer> capacity = new LinkedHashMap<>();
        Errno[] capErrno = {null};
        for (Facts.Master a : bySignature.values()) {
            if (paging.containsKey(a.path())) {
                int n = capacity(a.path(), capErrno);
                if (n >= 0) {
                    capacity.put(a.signature(), n);
                }
            }
        }
        Errno early = null;
        Map<String, int[]> perms = new LinkedHashMap<>();
        for (Facts.Master a : bySignature.values()) {
            if (!paging.containsKey(a.path())) {
                continue;
            }
            Errno e = mapBeforeAttach(a.path(), paging.get(a.path()), window[0]);
            if (e != null) {
                early = e;
            }
            perms.put(a.signature(), perms(a, paging.get(a.path()), window[0]));
        }
        boolean fq = groups.values().stream().anyMatch(g -> g.defaultType() == DomainType.DMA_FQ);
        Map<String, String> variants = new TreeMap<>();
        Set<String> used = new LinkedHashSet<>();
        masters.forEach(m -> m.streams().forEach(s -> used.add(s.iommu())));
        for (IommuNodeDTO n : lab.iommu().iommus()) {
            if (used.contains(n.node())) {
                variants.put(n.node(), n.compatible().isEmpty() ? "?" : n.compatible().get(0));
            }
        }
        return new Facts(List.copyOf(masters), groups, window[0], window[1], paging, alloc, same, attach, rebind, capacity,
                capErrno[0], early, perms, fq, variants, List.copyOf(bundles));
    }

    /** The probed masters with a group and a DMA master, streams in DT order. */
    private List<Facts.Master> masters() {
        List<Facts.Master> out = new ArrayList<>();
        for (DeviceDTO d : lab.iommu().devices()) {
            if (d.probeState() != ProbeState.PROBED || d.group() == null) {
                continue;
            }
            DmaMaster dma = lab.machine().master(d.node()).orElse(null);
            if (dma == null || dma.streams().isEmpty()) {
                continue;
            }
            List<Facts.Stream> streams = new ArrayList<>();
            Set<String> sig = new LinkedHashSet<>();
            for (StreamRef s : dma.streams()) {
                streams.add(new Facts.Stream(s.iommu(), s.sid()));
                sig.add(s.iommu());
            }
            out.add(new Facts.Master(d.node(), d.group(), List.copyOf(streams), String.join(" ", sig)));
        }
        return out;
    }

    private Map<Integer, Facts.Group> groups(List<Facts.Master> masters) {
        Map<Integer, Facts.Group> out = new TreeMap<>();
        for (GroupDTO g : lab.iommu().groups()) {
            List<String> devs = new ArrayList<>();
            String sig = null;
            for (Facts.Master m : masters) {
                if (m.group() == g.id()) {
                    devs.add(m.path());
                    sig = sig == null ? m.signature() : sig;
                }
            }
            if (!devs.isEmpty()) {
                out.put(g.id(), new Facts.Group(g.id(), List.copyOf(devs), sig, DomainType.parse(g.domainType())));
            }
        }
        return out;
    }

    /** @return base and size of the buffer window in the lower half of the first RAM region */
    private long[] window() {
        RamRegion r = lab.machine().ram().get(0);
        long lower = r.base() + (r.size() / 2 & -PageAllocator.PAGE_SIZE);
        long base = (r.base() + WINDOW_ALIGN + WINDOW_ALIGN - 1) & -WINDOW_ALIGN;
        long size = Math.min(WINDOW_MAX, lower - base) & -0x10_0000L;
        if (size < 0x10_0000L) {
            throw new IommuException(Errno.ENOMEM, String.format("RAM 0x%x+0x%x of %s leaves no buffer window of 1 MiB or"
                    + " more in its lower half", r.base(), r.size(), lab.machine().deviceTree().source()));
        }
        return new long[] {base, size};
    }

    /** @return the errno of attaching a fresh {@code type} domain allocated for {@code a} to {@code dev}'s group, null if it attached */
    private Errno tryAttach(String a, DomainType type, String dev) {
        IommuDomain d = lab.iommu().domainAlloc(a, type);
        try {
            lab.iommu().attachGroup(d, dev);
        } catch (IommuException e) {
            d.free();
            return e.errno();
        }
        lab.iommu().detachGroup(d, dev);
        d.free();
        return null;
    }

    /**
     * Which groups each driver serves: with the group attached to a domain of its own, a domain of
     * the same driver is refused as busy (EBUSY), one of another driver first (EINVAL: the core
     * checks the driver before the group's state).
     */
    private Map<String, Set<Integer>> sameDriver(Map<String, Facts.Master> bySignature, Map<Integer, Facts.Group> groups,
            Map<String, Map<DomainType, Errno>> alloc) {
        Map<String, Set<Integer>> out = new LinkedHashMap<>();
        bySignature.keySet().forEach(sig -> out.put(sig, new java.util.TreeSet<>()));
        for (Facts.Group g : groups.values()) {
            String dev = g.devices().get(0);
            IommuDomain busy = attachAny(dev, dev);
            if (busy == null) {
                continue; // nothing attaches to it: it is never busy, and a foreign domain is refused as EINVAL anyway
            }
            try {
                for (Facts.Master a : bySignature.values()) {
                    DomainType t = allocatable(alloc.get(a.path()));
                    if (t == null) {
                        continue;
                    }
                    IommuDomain d = lab.iommu().domainAlloc(a.path(), t);
                    try {
                        lab.iommu().attachGroup(d, dev);
                        lab.iommu().detachGroup(d, dev); // cannot happen: the group is busy
                    } catch (IommuException e) {
                        if (e.errno() == Errno.EBUSY) {
                            out.get(a.signature()).add(g.id());
                        }
                    } finally {
                        d.free();
                    }
                }
            } finally {
                lab.iommu().detachGroup(busy, dev);
                busy.free();
            }
        }
        return out;
    }

    /** @return a domain allocated for {@code a} and attached to {@code dev}'s group (blocked, identity or paging), or null */
    private IommuDomain attachAny(String a, String dev) {
        for (DomainType t : List.of(DomainType.BLOCKED, DomainType.UNMANAGED, DomainType.IDENTITY)) {
            IommuDomain d;
            try {
                d = lab.iommu().domainAlloc(a, t);
            } catch (IommuException e) {
                continue;
            }
            try {
                lab.iommu().attachGroup(d, dev);
                return d;
            } catch (IommuException e) {
                d.free();
            }
        }
        return null;
    }

    private static DomainType allocatable(Map<DomainType, Errno> errs) {
        for (DomainType t : List.of(DomainType.BLOCKED, DomainType.UNMANAGED, DomainType.IDENTITY)) {
            if (!errs.containsKey(t)) {
                return t;
            }
        }
        return null;
    }

    /**
     * A paging domain attached to one group, detached, then attached to a group of another
     * signature that a fresh domain reaches: the errno when it is bound to its first IOMMU.
     */
    private Errno rebind(Map<String, Facts.Master> bySignature, Map<Integer, Facts.Group> groups,
            Map<String, Map<Integer, Errno>> fresh) {
        for (Facts.Master a : bySignature.values()) {
            Map<Integer, Errno> byGroup = fresh.get(a.signature());
            if (byGroup == null) {
                continue;
            }
            for (Facts.Group g0 : groups.values()) {
                for (Facts.Group g1 : groups.values()) {
                    if (g0.signature().equals(g1.signature()) || byGroup.containsKey(g0.id()) || byGroup.containsKey(g1.id())) {
                        continue;
                    }
                    IommuDomain d = lab.iommu().domainAlloc(a.path(), DomainType.UNMANAGED);
                    try {
                        lab.iommu().attachGroup(d, g0.devices().get(0));
                        lab.iommu().detachGroup(d, g0.devices().get(0));
                        try {
                            lab.iommu().attachGroup(d, g1.devices().get(0));
                            lab.iommu().detachGroup(d, g1.devices().get(0));
                            return null;
                        } catch (IommuException e) {
                            return e.errno();
                        }
                    } finally {
                        d.free();
                    }
                }
            }
        }
        return null;
    }

    /** @return how many paging domains more attach to {@code a}'s group, -1 if more than the probe tries */
    private int capacity(String a, Errno[] errno) {
        List<IommuDomain> held = new ArrayList<>();
        try {
            for (int i = 0; i < CAPACITY_PROBE; i++) {
                IommuDomain d = lab.iommu().domainAlloc(a, DomainType.UNMANAGED);
                held.add(d);
                try {
                    lab.iommu().attachGroup(d, a);
                } catch (IommuException e) {
                    errno[0] = e.errno();
                    return i;
                }
                lab.iommu().detachGroup(d, a);
            }
            return -1;
        } finally {
            held.forEach(IommuDomain::free);
        }
    }

    /** @return the errno of a map into a paging domain never attached, null if it maps */
    private Errno mapBeforeAttach(String a, Facts.Paging p, long pa) {
        IommuDomain d = lab.iommu().domainAlloc(a, DomainType.UNMANAGED);
        try {
            long iova = p.apertureStart() + p.minPage();
            d.map(iova, pa, p.minPage(), Prot.READ | Prot.WRITE);
            d.unmap(iova, p.minPage());
            return null;
        } catch (IommuException e) {
            return e.errno();
        } finally {
            d.free();
        }
    }

    /**
     * @return the rights the hardware model's walk finds for a page mapped with READ, WRITE and
     *         both, by a master of this signature
     * @throws IommuException EINVAL when a format grants fewer rights than asked: that is no
     *         difference of formats but a broken map
     */
    private int[] perms(Facts.Master a, Facts.Paging p, long pa) {
        int[] out = {0, Prot.READ, Prot.WRITE, Prot.READ | Prot.WRITE};
        IommuDomain d = lab.iommu().domainAlloc(a.path(), DomainType.UNMANAGED);
        try {
            lab.iommu().attachGroup(d, a.path());
        } catch (IommuException e) {
            d.free();
            return out;
        }
        try {
            Facts.Stream s = a.streams().get(0);
            for (int prot = 1; prot <= 3; prot++) {
                long iova = p.apertureStart() + prot * p.minPage();
                d.map(iova, pa, p.minPage(), prot);
                TableWalk w = lab.machine().hardwareWalk(s.iommu(), s.sid(), iova);
                d.unmap(iova, p.minPage());
                int got = w.perms() & (Prot.READ | Prot.WRITE);
                // every io-pgtable format has read-only and read-write pages; only write-only may come
                // out readable (LPAE has no write-only page: arm_lpae_prot_to_pte)
                boolean right = w.ok() && (got == prot || prot == Prot.WRITE && got == (Prot.READ | Prot.WRITE));
                if (!right) {
                    throw new IommuException(Errno.EINVAL, String.format("calibration: %s: a page mapped %s walks to %s on"
                            + " %s sid %d: expected %s", a.path(), prot == 1 ? "read-only" : prot == 2 ? "write-only"
                            : "read-write", w, s.iommu(), s.sid(), prot == Prot.WRITE ? "write or read-write rights"
                            : "exactly the rights asked"));
                }
                out[prot] = got;
            }
        } finally {
            lab.iommu().detachGroup(d, a.path());
            d.free();
        }
        return out;
    }
}
