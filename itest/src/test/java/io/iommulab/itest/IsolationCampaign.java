package io.iommulab.itest;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.StreamRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The isolation campaign on one booted board (issue 13). Every group of probed masters is attached
 * to an unmanaged domain of its own, which maps one buffer of known data at an IOVA no other
 * domain maps; then every master, on each of its streams, probes the IOVA of every other domain
 * with a DMA read and a DMA write. Every probe must fault; the buffers must hold what their own
 * masters put there and nothing else; the sanitizer (on in the lab) must report no isolation
 * finding. Each master first reads and writes its own buffer on every stream, so that the faults
 * are the domains' doing and not a master that reaches nothing.
 *
 * <p>Who may share a domain comes from the bindings, not from board names: masters whose
 * {@code iommus} / {@code iommu-map} specifiers name the same stream of the same IOMMU (PCI
 * functions behind one {@code iommu-map} entry, aliasing platform devices) are one group, so one
 * domain; the core's groups must be exactly those. A group whose domain cannot be allocated or
 * attached (an IOMMU that only bypasses) is reported, with the reason, and neither probes nor is
 * probed.
 */
final class IsolationCampaign {
    /** IOVAs of the domains: one per {@link #STRIDE}, from {@link #BASE} (or the aperture's start) */
    private static final long BASE = 0x100_0000L;
    private static final long STRIDE = 0x10_0000L;
    /** where in another domain's page a probe goes, and how much it reads */
    private static final int PROBE_OFF = 0x40;
    private static final int PROBE_LEN = 64;
    /** each master's own write on each stream lands in the upper half of its page, 0x40 apart */
    private static final int OWN_SLOT = 0x40;
    private static final String OWNER = "itest-isolation";

    /** One group's domain and the buffer it maps. */
    private static final class Slot {
        final int index;
        final int group;
        final List<DmaMaster> masters;
        final IommuDomain domain;
        long iova;
        long granule;
        long buffer;
        /** what the buffer must hold: the pattern, then its own masters' writes */
        byte[] expected;

        Slot(int index, int group, List<DmaMaster> masters, IommuDomain domain) {
            this.index = index;
            this.group = group;
            this.masters = masters;
            this.domain = domain;
        }

        String what() {
            return "domain " + domain.id() + " (group " + group + ": " + names(masters) + ", IOVA 0x" + Long.toHexString(iova) + ")";
        }
    }

    /**
     * What the campaign did on one board.
     *
     * @param board        the board's name
     * @param masters      DMA masters of the board
     * @param probed       masters the core probed (the others sit behind IOMMUs that are not)
     * @param groups       their groups
     * @param attached     groups attached to a domain of their own
     * @param notAttached  groups that could not be, with the reason
     * @param probes       probes done (each a read or a write of one stream of one master into another domain)
     * @param faulted      probes that faulted
     * @param expected     probes the campaign had to do (every stream of every attached master, every other domain, read and write)
     * @param escapes      probes that got through, and buffers whose data changed
     * @param own          transfers of masters into their own domain, each checked
     * @param sanitizer    the lab's sanitizer afterwards
     */
    record Result(String board, int masters, int probed, int groups, int attached, List<String> notAttached, long probes,
            long faulted, long expected, List<String> escapes, long own, SanitizerDTO sanitizer) {

        String summary() {
            return String.format("%d masters (%d probed) in %d groups, %d attached to a domain of their own%s; %d probes "
                    + "(%d expected), %d faulted, %d escapes; %d own transfers; DMA sanitizer %s: %s (isolation %d), "
                    + "%d transactions checked", masters, probed, groups, attached,
                    notAttached.isEmpty() ? "" : " (not attached: " + String.join("; ", notAttached) + ")", probes, expected,
                    faulted, escapes.size(), own, sanitizer.enabled() ? "on" : "off", sanitizer.tally(),
                    isolationFindings(), sanitizer.transactions());
        }

        long isolationFindings() {
            return sanitizer.findings().getOrDefault("isolation", 0L);
        }
    }

    private final String board;
    private final Machine m;
    private final IommuService iommu;
    private final List<Slot> slots = new ArrayList<>();
    private final List<String> notAttached = new ArrayList<>();
    private final List<String> escapes = new ArrayList<>();
    private long probes;
    private long faulted;
    private long own;

    private IsolationCampaign(String board, Machine m, IommuService iommu) {
        this.board = board;
        this.m = m;
        this.iommu = iommu;
    }

    /** Runs the campaign on a booted board whose core probes it; leaves every master on its default domain. */
    static Result run(String board, Machine m, IommuService iommu) throws InterruptedException {
        return new IsolationCampaign(board, m, iommu).run();
    }

    private Result run() throws InterruptedException {
        Container.await(() -> board + ": waiting for " + pending(), () -> pending().isEmpty());
        Map<String, DeviceDTO> devices = new HashMap<>();
        iommu.devices().forEach(d -> devices.put(d.node(), d));
        List<DmaMaster> probed = m.masters().stream().filter(d -> devices.containsKey(d.name())
                && "probed".equals(devices.get(d.name()).state())).toList();
        Map<Integer, List<DmaMaster>> groups = groupsAsTheBindingsSay(probed, devices);
        Result r;
        try {
            r = probeEveryOther(groups, probed.size());
        } catch (RuntimeException | AssertionError e) {
            try {
                release(devices.keySet());
            } catch (RuntimeException | AssertionError x) {
                e.addSuppressed(x);
            }
            throw e;
        }
        release(devices.keySet());
        return r;
    }

    /** Attaches every group to a domain of its own, checks each master's own DMA, then probes every other domain. */
    private Result probeEveryOther(Map<Integer, List<DmaMaster>> groups, int probed) {
        for (Map.Entry<Integer, List<DmaMaster>> g : groups.entrySet()) {
            attach(g.getKey(), g.getValue());
        }
        for (Slot s : slots) {
            ownTransfers(s);
        }
        long expected = 0;
        for (Slot s : slots) {
            for (DmaMaster master : s.masters) {
                expected += 2L * master.streams().size() * (slots.size() - 1);
                for (int i = 0; i < master.streams().size(); i++) {
                    for (Slot other : slots) {
                        if (other != s) {
                            probe(master, i, s, other);
                        }
                    }
                }
            }
        }
        for (Slot s : slots) {
            checkBuffer(s);
        }
        return new Result(board, m.masters().size(), probed, groups.size(), slots.size(), List.copyOf(notAttached),
                probes, faulted, expected, List.copyOf(escapes), own, iommu.sanitizer());
    }

    /** @return what is not settled yet: IOMMUs still deferred, masters behind probed IOMMUs not probed yet */
    private List<String> pending() {
        Map<String, String> iommus = new HashMap<>();
        List<String> out = new ArrayList<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            iommus.put(n.node(), n.state());
            if ("deferred".equals(n.state())) {
                out.add("IOMMU " + n.node() + " (deferred: " + n.reason() + ")");
            }
        }
        Map<String, DeviceDTO> devices = new HashMap<>();
        iommu.devices().forEach(d -> devices.put(d.node(), d));
        for (DmaMaster master : m.masters()) {
            boolean behindProbed = master.streams().stream().allMatch(s -> "probed".equals(iommus.get(s.iommu())));
            DeviceDTO d = devices.get(master.name());
            if (behindProbed && (d == null || !"probed".equals(d.state()))) {
                out.add("master " + master.name() + " (" + (d == null ? "unknown to the core" : d.state() + ": " + d.reason()) + ")");
            }
        }
        return out;
    }

    /**
     * The groups of the probed masters, checked against the bindings: masters whose specifiers name
     * the same stream of the same IOMMU belong together (transitively), and no others.
     *
     * @return group id to its masters, by id
     */
    private Map<Integer, List<DmaMaster>> groupsAsTheBindingsSay(List<DmaMaster> probed, Map<String, DeviceDTO> devices) {
        Map<Integer, List<DmaMaster>> byGroup = new TreeMap<>();
        for (DmaMaster master : probed) {
            Integer g = devices.get(master.name()).group();
            if (g == null) {
                throw new AssertionError(board + ": " + master.name() + " is probed but in no group");
            }
            byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(master);
        }
        Map<String, Set<String>> bindings = sharingAStream(probed);
        for (List<DmaMaster> members : byGroup.values()) {
            Set<String> names = new TreeSet<>(names(members));
            for (DmaMaster master : members) {
                if (!bindings.get(master.name()).equals(names)) {
                    throw new AssertionError(board + ": the core groups " + names + ", the bindings give " + master.name()
                            + " the streams of " + bindings.get(master.name()) + " (masters that share a stream share a group, "
                            + "and only they)");
                }
            }
        }
        return byGroup;
    }

    /** @return each master to the masters it shares a stream with, transitively (itself included) */
    private static Map<String, Set<String>> sharingAStream(List<DmaMaster> masters) {
        Map<String, String> parent = new HashMap<>();
        Map<StreamRef, String> firstUser = new HashMap<>();
        for (DmaMaster master : masters) {
            parent.put(master.name(), master.name());
            for (StreamRef s : master.streams()) {
                String other = firstUser.putIfAbsent(s, master.name());
                if (other != null) {
                    parent.put(root(parent, master.name()), root(parent, other));
                }
            }
        }
        Map<String, Set<String>> byRoot = new HashMap<>();
        for (String name : parent.keySet()) {
            byRoot.computeIfAbsent(root(parent, name), k -> new TreeSet<>()).add(name);
        }
        Map<String, Set<String>> out = new HashMap<>();
        for (String name : parent.keySet()) {
            out.put(name, byRoot.get(root(parent, name)));
        }
        return out;
    }

    private static String root(Map<String, String> parent, String name) {
        String r = name;
        while (!parent.get(r).equals(r)) {
            r = parent.get(r);
        }
        return r;
    }

    /** Allocates a domain for the group, attaches it, maps one page of the group's pattern. */
    private void attach(int group, List<DmaMaster> masters) {
        String dev = masters.get(0).name();
        IommuDomain d;
        try {
            d = iommu.domainAlloc(dev, DomainType.UNMANAGED);
        } catch (IommuException e) {
            notAttached.add("group " + group + " " + names(masters) + ": domain_alloc: " + e.getMessage());
            return;
        }
        try {
            iommu.attachGroup(d, dev);
        } catch (IommuException e) {
            d.free();
            notAttached.add("group " + group + " " + names(masters) + ": attach: " + e.getMessage());
            return;
        }
        Slot s = new Slot(slots.size(), group, masters, d);
        slots.add(s);
        s.granule = Long.lowestOneBit(d.pgsizeBitmap());
        DomainGeometry geo = d.geometry();
        long base = Math.max(BASE, (geo.apertureStart() + s.granule - 1) & -s.granule);
        s.iova = base + s.index * STRIDE;
        if (!geo.contains(s.iova, s.granule)) {
            throw new AssertionError(board + ": " + s.what() + " is outside the aperture " + geo);
        }
        s.buffer = m.pages().allocPages(Long.numberOfTrailingZeros(Math.max(s.granule, PageAllocator.PAGE_SIZE) / PageAllocator.PAGE_SIZE), OWNER);
        s.expected = new byte[(int) s.granule];
        for (int i = 0; i < s.expected.length; i++) {
            s.expected[i] = (byte) (i * 7 + s.index * 61 + 1);
        }
        m.memory().write(s.buffer, s.expected, 0, s.expected.length);
        d.map(s.iova, s.buffer, s.granule, Prot.READ | Prot.WRITE);
    }

    /** Each master of the slot, on each stream, writes its own slot of the page, then reads its data and the pattern back. */
    private void ownTransfers(Slot s) {
        int n = 0;
        for (DmaMaster master : s.masters) {
            for (int i = 0; i < master.streams().size(); i++, n++) {
                int off = (int) (s.granule / 2) + n * OWN_SLOT;
                if (off + OWN_SLOT > s.granule) {
                    throw new AssertionError(board + ": " + s.what() + ": more streams than own slots in a page");
                }
                byte[] data = Arrays.copyOf(("own " + master.name() + " " + i).getBytes(StandardCharsets.US_ASCII), OWN_SLOT);
                DmaResult w = master.write(i, s.iova + off, data);
                expect(w.ok(), master, i, "write to its own " + s.what() + ": " + w.fault());
                System.arraycopy(data, 0, s.expected, off, data.length);
                DmaResult r = master.read(i, s.iova, (int) s.granule);
                expect(r.ok(), master, i, "read of its own " + s.what() + ": " + r.fault());
                expect(Arrays.equals(s.expected, r.data()), master, i, "its own " + s.what() + " reads other data");
                own += 2;
            }
        }
    }

    private void expect(boolean ok, DmaMaster master, int stream, String what) {
        if (!ok) {
            throw new AssertionError(board + ": " + master.name() + " stream " + stream + " (" + master.streams().get(stream).iommu()
                    + " sid " + master.streams().get(stream).sid() + "): " + what);
        }
    }

    /** A read and a write of {@code master}'s stream {@code i} at the IOVA only {@code other} maps. */
    private void probe(DmaMaster master, int i, Slot mine, Slot other) {
        long iova = other.iova + PROBE_OFF;
        String who = master.name() + " stream " + i + " (domain " + mine.domain.id() + ")";
        DmaResult r = master.read(i, iova, PROBE_LEN);
        probes++;
        if (r.ok()) {
            boolean theirs = Arrays.equals(r.data(), Arrays.copyOfRange(other.expected, PROBE_OFF, PROBE_OFF + PROBE_LEN));
            escapes.add(who + " read 0x" + Long.toHexString(iova) + " of " + other.what() + " and got through"
                    + (theirs ? ", reading its data" : ""));
        } else {
            faulted++;
        }
        byte[] data = ("escape by " + master.name() + " " + i).getBytes(StandardCharsets.US_ASCII);
        DmaResult w = master.write(i, iova, data);
        probes++;
        if (w.ok()) {
            escapes.add(who + " wrote 0x" + Long.toHexString(iova) + " of " + other.what() + " and got through");
        } else {
            faulted++;
        }
    }

    /** The buffer holds its pattern and its own masters' writes, nothing another master wrote. */
    private void checkBuffer(Slot s) {
        byte[] now = new byte[s.expected.length];
        m.memory().read(s.buffer, now, 0, now.length);
        for (int i = 0; i < now.length; i++) {
            if (now[i] != s.expected[i]) {
                escapes.add("the buffer of " + s.what() + " changed at offset 0x" + Integer.toHexString(i));
                return;
            }
        }
    }

    /** Unmaps, detaches (each group back on its default domain), frees; checks every master is back. */
    private void release(Set<String> devices) {
        for (Slot s : slots) {
            s.domain.unmap(s.iova, s.granule);
            iommu.detachGroup(s.domain, s.masters.get(0).name());
            s.domain.free();
            m.pages().freePages(s.buffer);
        }
        Map<Integer, GroupDTO> groups = new HashMap<>();
        iommu.groups().forEach(g -> groups.put(g.id(), g));
        for (DeviceDTO d : iommu.devices()) {
            if (devices.contains(d.node()) && d.group() != null && !d.domain().equals(groups.get(d.group()).defaultDomain())) {
                throw new AssertionError(board + ": " + d.node() + " is not back on its default domain: " + d);
            }
        }
    }

    private static List<String> names(List<DmaMaster> masters) {
        return masters.stream().map(DmaMaster::name).toList();
    }
}
