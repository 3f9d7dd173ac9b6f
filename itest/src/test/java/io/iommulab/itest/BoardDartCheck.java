package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.StreamRef;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;

/**
 * The DART check of one board, booted as a detached machine in a lab of its own (a core of its
 * own over the container's driver services). The expected topology comes from the board's
 * inventory when it has one (and the check's own reading of the tree must agree with it), else
 * from that reading of the tree. Then:
 * <ul>
 * <li>every DART node has a known variant (an unknown DART compatible fails the board), the
 *     machine models exactly the enabled ones, and the core probes each of them with the
 *     apple-dart driver of the variant its compatible names (disabled ones stay disabled);</li>
 * <li>the machine and the core know exactly the expected masters (platform {@code iommus} masters
 *     and PCI functions through {@code iommu-map}) with exactly their streams; each master whose
 *     DARTs are enabled is probed with a group and its default domain, each with a disabled DART
 *     gets none;</li>
 * <li>masters sharing a (DART, stream) are in one group;</li>
 * <li>DMA through every (master, stream) faults before a map, reads back its data after it, and
 *     faults after the unmap: one mapping serves every stream of a master, so a master on several
 *     DARTs translates through one domain.</li>
 * </ul>
 * The lab runs the DMA sanitizer when the factory given opens it so ({@link SanitizerCheck#labs}):
 * the summary says what it checked, the rule asserts it found nothing.
 */
final class BoardDartCheck {
    private static final String PROBED = "probed";
    private static final String DISABLED = "disabled";
    private static final String FAILED = "failed";

    private final DartBoard board;
    private final MachineFactory machines;
    private final LabFactory labs;
    private final CommandProcessor shell;

    BoardDartCheck(DartBoard board, MachineFactory machines, LabFactory labs, CommandProcessor shell) {
        this.board = board;
        this.machines = machines;
        this.labs = labs;
        this.shell = shell;
    }

    /** @return a one-line summary of what was checked */
    String run() throws Exception {
        DetachedMachine detached = machines.bootDetached(board.source(), board.data(), Map.of());
        try (Lab lab = labs.open(detached, Map.of())) {
            String checked = check(lab.machine(), lab.iommu(), lab.dma());
            SanitizerDTO s = lab.iommu().sanitizer();
            return checked + String.format("; DMA sanitizer %s: %s, %d transactions checked", s.enabled() ? "on" : "off",
                    s.tally(), s.transactions());
        }
    }

    private String check(Machine m, IommuService iommu, DmaApi dma) throws Exception {
        ExpectedTopology fromTree = DeviceTreeTopology.read(m.deviceTree());
        ExpectedTopology expected = fromTree;
        if (board.inventory() != null) {
            expected = DartInventory.read(board.inventory());
            assertEquals(board + ": the check reads the tree's DARTs as the inventory lists them",
                    expected.dartsByPath(), fromTree.dartsByPath());
            assertEquals(board + ": the check reads the tree's masters as the inventory lists them",
                    expected.mastersByPath(), fromTree.mastersByPath());
        }
        // Our fixtures are DART boards; a real tree may have none yet (upstream M3 trees): then the
        // machine and the core must not find any either.
        assertTrue(board + " has DART nodes", board.file() != null || !expected.darts().isEmpty());
        checkVariantsKnown(expected);
        checkMachine(m, expected);

        ExpectedTopology e = expected;
        Container.await(() -> board + ": waiting for " + pending(iommu, e), () -> pending(iommu, e).isEmpty());
        checkCore(iommu, expected);
        checkDriverVariants(expected);
        checkGroupsAndDomains(iommu, expected);

        List<DmaMaster> masters = new ArrayList<>();
        int streams = 0;
        for (ExpectedTopology.Master em : expected.translated()) {
            masters.add(m.master(em.path()).orElseThrow());
            streams += em.streams().size();
        }
        int pairs = DartChecks.checkDma(iommu, dma, m, masters);
        assertEquals(board + ": DMA checked on every (master, stream) pair", streams, pairs);
        if (expected.darts().isEmpty()) {
            return "no DART nodes: the machine and the core found none either";
        }
        long enabled = expected.darts().stream().filter(ExpectedTopology.Dart::enabled).count();
        return String.format("%d DARTs (%d enabled), %d masters probed, %d without a DART, DMA on %d (master, stream) "
                + "pairs; expected from %s", expected.darts().size(), enabled, masters.size(), expected.untranslated().size(),
                pairs, expected.source());
    }

    /** A DART whose compatible names no variant the driver documents is reported, not skipped. */
    private void checkVariantsKnown(ExpectedTopology expected) {
        List<String> unknown = new ArrayList<>();
        for (ExpectedTopology.Dart d : expected.darts()) {
            if (d.variant() == null) {
                unknown.add(d.path() + " " + d.compatible());
            }
        }
        if (!unknown.isEmpty()) {
            fail(board + ": DART nodes with a compatible no driver variant lists (dart-facts §1.1: t8103, t8103-usb4, "
                    + "t6000, t8110): " + unknown);
        }
    }

    /** The machine models exactly the enabled DARTs and has exactly the enabled masters, with their streams. */
    private void checkMachine(Machine m, ExpectedTopology expected) {
        Map<String, Boolean> modelled = new TreeMap<>();
        for (IommuHardware h : m.iommuHardware()) {
            if (DartVariantNames.isDart(h.node().compatible())) {
                modelled.put(h.node().path(), h.model() != null);
            }
        }
        Map<String, Boolean> enabled = new TreeMap<>();
        expected.darts().forEach(d -> enabled.put(d.path(), d.enabled()));
        assertEquals(board + ": DART nodes of the machine (true: modelled)", enabled, modelled);

        Map<String, ExpectedTopology.Master> masters = new TreeMap<>();
        for (DmaMaster d : m.masters()) {
            if (d.streams().stream().allMatch(s -> enabled.containsKey(s.iommu()))) {
                List<StreamRefDTO> streams = d.streams().stream().map(BoardDartCheck::dto).toList();
                masters.put(d.name(), new ExpectedTopology.Master(d.name(), d.requesterId(), streams, true));
            }
        }
        assertEquals(board + ": DMA masters of the machine", enabledMasters(expected), masters);
    }

    private static StreamRefDTO dto(StreamRef s) {
        return new StreamRefDTO(s.iommu(), s.sid());
    }

    private static Map<String, ExpectedTopology.Master> enabledMasters(ExpectedTopology expected) {
        return expected.masters().stream().filter(ExpectedTopology.Master::enabled)
                .collect(Collectors.toMap(ExpectedTopology.Master::path, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    /** @return what is not yet in its final state: DARTs probed or disabled, masters probed or failed */
    private static List<String> pending(IommuService iommu, ExpectedTopology expected) {
        Map<String, IommuNodeDTO> nodes = byNode(iommu.iommus(), IommuNodeDTO::node);
        Map<String, DeviceDTO> devices = byNode(iommu.devices(), DeviceDTO::node);
        List<String> out = new ArrayList<>();
        for (ExpectedTopology.Dart d : expected.darts()) {
            IommuNodeDTO n = nodes.get(d.path());
            String want = d.enabled() ? PROBED : DISABLED;
            if (n == null || !want.equals(n.state())) {
                out.add("DART " + d.path() + " " + want + " (is " + (n == null ? "unknown to the core" : n.state() + ": "
                        + n.reason()) + ")");
            }
        }
        want(out, devices, expected.translated(), PROBED);
        want(out, devices, expected.untranslated(), FAILED);
        return out;
    }

    private static void want(List<String> out, Map<String, DeviceDTO> devices, List<ExpectedTopology.Master> masters,
            String state) {
        for (ExpectedTopology.Master em : masters) {
            DeviceDTO d = devices.get(em.path());
            if (d == null || !state.equals(d.state())) {
                out.add("master " + em.path() + " " + state + " (is " + (d == null ? "unknown to the core" : d.state() + ": "
                        + d.reason()) + ")");
            }
        }
    }

    /** The core lists exactly the board's DARTs (bound to apple-dart when probed) and masters, with their streams. */
    private void checkCore(IommuService iommu, ExpectedTopology expected) {
        Map<String, String> states = new TreeMap<>();
        Map<String, String> want = new TreeMap<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            if (DartVariantNames.isDart(n.compatible())) {
                states.put(n.node(), n.state() + (PROBED.equals(n.state()) ? " by " + n.driver() : ""));
            }
        }
        expected.darts().forEach(d -> want.put(d.path(), d.enabled() ? PROBED + " by " + DartChecks.DRIVER : DISABLED));
        assertEquals(board + ": DARTs of the core", want, states);

        Map<String, List<StreamRefDTO>> devices = new TreeMap<>();
        for (DeviceDTO d : iommu.devices()) {
            if (d.iommus().stream().allMatch(s -> want.containsKey(s.iommu()))) {
                devices.put(d.node(), d.iommus());
            }
        }
        Map<String, List<StreamRefDTO>> masters = new TreeMap<>();
        enabledMasters(expected).forEach((path, em) -> masters.put(path, em.streams()));
        assertEquals(board + ": masters of the core and their streams", masters, devices);
    }

    /**
     * Each probed DART is driven by the variant its compatible names. {@code dart:darts} reports the
     * variant of each DART instance the drivers hold; the container boots no machine of its own, so
     * these are the lab's.
     */
    private void checkDriverVariants(ExpectedTopology expected) throws Exception {
        Map<String, String> want = new TreeMap<>();
        for (ExpectedTopology.Dart d : expected.darts()) {
            if (d.enabled()) {
                want.put(d.path(), d.variant());
            }
        }
        Map<String, String> probedAs = new TreeMap<>();
        for (Object dto : dartShellRows()) {
            if (PROBED.equals(field(dto, "state"))) {
                probedAs.put((String) field(dto, "node"), (String) field(dto, "variant"));
            }
        }
        assertEquals(board + ": driver variant of every probed DART", want, probedAs);
    }

    private List<?> dartShellRows() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = shell.createSession(InputStream.nullInputStream(), ps, ps)) {
            Object rows = s.execute("dart:darts");
            assertTrue("dart:darts returns its rows: " + rows + " " + out, rows instanceof List<?>);
            return (List<?>) rows;
        }
    }

    /** A component of a row the shell returned (the DTO's class is private to the dart bundle). */
    private static Object field(Object dto, String name) throws ReflectiveOperationException {
        return dto.getClass().getMethod(name).invoke(dto);
    }

    /**
     * Probed masters have a group whose default domain they are attached to; masters with a
     * disabled DART have none; masters sharing a (DART, stream) share the group.
     */
    private void checkGroupsAndDomains(IommuService iommu, ExpectedTopology expected) {
        Map<String, DeviceDTO> devices = byNode(iommu.devices(), DeviceDTO::node);
        Map<Integer, GroupDTO> groups = new HashMap<>();
        iommu.groups().forEach(g -> groups.put(g.id(), g));
        Map<Integer, DomainDTO> domains = new HashMap<>();
        iommu.domains().forEach(d -> domains.put(d.id(), d));
        Map<String, Set<Integer>> groupsOfStream = new TreeMap<>();
        Map<String, Set<String>> mastersOfStream = new TreeMap<>();
        for (ExpectedTopology.Master em : expected.translated()) {
            DeviceDTO d = devices.get(em.path());
            String what = board + ": " + em.path() + " " + d;
            assertNotNull(what + " has a group", d.group());
            assertNotNull(what + " has a domain", d.domain());
            assertNotNull(what + " has a domain type", d.domainType());
            GroupDTO g = groups.get(d.group());
            assertNotNull(what + ": its group is listed", g);
            assertTrue(what + ": its group lists it: " + g, g.devices().contains(em.path()));
            assertEquals(what + ": attached to its group's default domain " + g, g.defaultDomain(), d.domain());
            DomainDTO dom = domains.get(d.domain());
            assertNotNull(what + ": its domain is listed", dom);
            assertTrue(what + ": its domain lists its group: " + dom, dom.groups().contains(d.group()));
            for (StreamRefDTO s : em.streams()) {
                String key = s.iommu() + " stream " + s.sid();
                groupsOfStream.computeIfAbsent(key, k -> new TreeSet<>()).add(d.group());
                mastersOfStream.computeIfAbsent(key, k -> new TreeSet<>()).add(em.path());
            }
        }
        groupsOfStream.forEach((stream, gs) -> assertEquals(board + ": the masters on " + stream + " "
                + mastersOfStream.get(stream) + " share one group", 1, gs.size()));
        for (ExpectedTopology.Master em : expected.untranslated()) {
            DeviceDTO d = devices.get(em.path());
            assertNull(board + ": " + em.path() + " has a disabled DART, so no group: " + d, d.group());
        }
    }

    private static <T> Map<String, T> byNode(List<T> items, Function<T, String> node) {
        Map<String, T> out = new HashMap<>();
        items.forEach(i -> out.put(node.apply(i), i));
        return out;
    }
}
