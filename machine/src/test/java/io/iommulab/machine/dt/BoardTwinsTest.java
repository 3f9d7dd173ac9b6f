package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.machine.SimMachine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Board twins: IOMMU nodes swapped for another model's hardware, masters and stream ids unchanged. */
class BoardTwinsTest {

    /** A recipe that merges linked sets into one node (as an SMMU does), and records what it was asked. */
    static class MergingRecipe implements IommuModelFactory {
        final List<List<TwinSource>> asked = new ArrayList<>();
        final boolean merge;

        MergingRecipe(boolean merge) {
            this.merge = merge;
        }

        @Override public String name() { return "test-twin"; }
        @Override public List<String> compatibles() { return List.of("test,twin-iommu"); }
        @Override public IommuModel create(ModelContext context) { throw new UnsupportedOperationException("not booted in these tests"); }
        @Override public boolean makesTwins() { return true; }

        @Override
        public List<TwinNode> twin(List<TwinSource> linked) {
            asked.add(linked);
            TwinNode n = new TwinNode(List.of("test,twin-iommu"), 0x10000, 3, 1, Map.of("#global-interrupts", 1), List.of("banks=4"));
            if (merge) {
                return List.of(n);
            }
            List<TwinNode> out = new ArrayList<>();
            linked.forEach(s -> out.add(n));
            return out;
        }
    }

    private static DeviceTree defaultBoard() {
        return DeviceTrees.board("default");
    }

    private static Map<String, List<String>> streams(DeviceTree t) {
        // masters and their streams come from the tree alone: no model is needed
        SimMachine m = SimMachine.boot(t, List.of(), Map.of());
        Map<String, List<String>> out = new TreeMap<>();
        for (DmaMaster dm : m.masters()) {
            List<String> s = new ArrayList<>();
            for (StreamRef r : dm.streams()) {
                s.add(t.node(r.iommu()).orElseThrow().compatible().get(0) + "#" + r.sid());
            }
            out.put(dm.name(), s);
        }
        return out;
    }

    @Test
    void mergedTwinKeepsEveryMasterAndStreamIdBehindTheNewHardware() {
        DeviceTree board = defaultBoard();
        MergingRecipe recipe = new MergingRecipe(true);
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(board, recipe));

        Map<String, List<String>> before = streams(board);
        Map<String, List<String>> after = streams(twin);
        assertEquals(before.keySet(), after.keySet(), "the same masters");
        for (String master : before.keySet()) {
            List<String> sidsBefore = before.get(master).stream().map(s -> s.substring(s.indexOf('#'))).toList();
            List<String> sidsAfter = after.get(master).stream().map(s -> s.substring(s.indexOf('#'))).toList();
            assertEquals(sidsBefore, sidsAfter, master + " keeps its stream ids");
            after.get(master).forEach(s -> assertTrue(s.startsWith("test,twin-iommu#"), master + " is behind the twin hardware: " + s));
        }
        // dwc3_0 named two DARTs: one linked set, one node, both streams on it.
        DmaMaster dwc3 = SimMachine.boot(twin, List.of(), Map.of()).master("/soc/usb@382280000").orElseThrow();
        assertEquals(2, dwc3.streams().size());
        assertEquals(dwc3.streams().get(0).iommu(), dwc3.streams().get(1).iommu());
        assertTrue(recipe.asked.stream().anyMatch(set -> set.size() == 2
                && set.get(0).path().equals("/soc/iommu@382f00000") && set.get(1).path().equals("/soc/iommu@382f80000")
                && set.get(0).masters().equals(List.of("/soc/usb@382280000")) && set.get(1).streams() == 2),
                "the dwc3_0 DARTs were offered as one linked set: " + recipe.asked);
        // acio0_dart: SIDs 0 and 40 → streams = 41.
        assertTrue(recipe.asked.stream().anyMatch(set -> set.size() == 1 && set.get(0).streams() == 41), recipe.asked.toString());
    }

    @Test
    void twinNodesCarryTheRecipeAndTheSourcesWiring() {
        DeviceTree board = defaultBoard();
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(board, new MergingRecipe(true)));
        DtNode sio = board.node("/soc/iommu@235004000").orElseThrow();
        DtNode t = twin.allNodes().stream().filter(n -> n.phandle() == sio.phandle()).findFirst().orElseThrow();
        assertEquals(List.of("test,twin-iommu"), t.compatible());
        assertEquals(0x10000, t.reg().get(0).size());
        assertEquals(1, t.u32("#global-interrupts", 0));
        assertEquals(List.of("banks=4"), t.property("iommulab,model-options").orElseThrow().strings());
        int[] irq = sio.property("interrupts").orElseThrow().cells();
        int[] twinIrqs = t.property("interrupts").orElseThrow().cells();
        assertEquals(3 * irq.length, twinIrqs.length, "three copies of the source's interrupt");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(irq, java.util.Arrays.copyOfRange(twinIrqs, i * irq.length, (i + 1) * irq.length));
        }
        assertArrayEquals(sio.property("power-domains").orElseThrow().value(), t.property("power-domains").orElseThrow().value());
        assertTrue(twin.model().endsWith("(test-twin twin)"), twin.model());
        // No replaced node is left, disabled DARTs stay as they were.
        assertTrue(twin.node("/soc/iommu@382f80000").isEmpty(), "the second dwc3 DART was merged away");
        assertEquals(List.of("apple,t8103-dart"), twin.node("/soc/iommu@228304000").orElseThrow().compatible(), "disabled: untouched");
        assertFalse(twin.node("/soc/iommu@228304000").orElseThrow().isAvailable());
    }

    @Test
    void twinBlocksOverlapNothing() {
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(defaultBoard(), new MergingRecipe(false)));
        List<long[]> ranges = new ArrayList<>();
        for (DtNode n : twin.allNodes()) {
            if (n.compatible().contains("test,twin-iommu")) {
                RegRange r = n.reg().get(0);
                for (long[] o : ranges) {
                    assertFalse(o[0] < r.address() + r.size() && r.address() < o[1], n.path() + " overlaps another twin block");
                }
                ranges.add(new long[] {r.address(), r.address() + r.size()});
                for (DtNode other : twin.allNodes()) {
                    if (other != n && other.parent().equals(n.parent()) && other.hasProperty("reg") && !other.reg().isEmpty()) {
                        RegRange o = other.reg().get(0);
                        assertFalse(o.address() < r.address() + r.size() && r.address() < o.address() + Math.max(o.size(), 1),
                                n.path() + " overlaps " + other.path());
                    }
                }
            }
        }
        assertTrue(ranges.size() >= 6, "one node per enabled DART when the recipe does not merge: " + ranges.size());
    }

    @Test
    void mergingThatWouldAliasTwoMastersFallsBackToOneNodeEach() {
        String dts = """
                /dts-v1/;
                / {
                    #address-cells = <2>; #size-cells = <2>;
                    aic: interrupt-controller@100 { compatible = "apple,aic"; #interrupt-cells = <3>; interrupt-controller; reg = <0 0x100 0 0x100>; };
                    memory@800000000 { device_type = "memory"; reg = <0x8 0 0 0x4000000>; };
                    soc { #address-cells = <2>; #size-cells = <2>; ranges; interrupt-parent = <&aic>;
                        d0: iommu@10000 { compatible = "apple,t8103-dart"; reg = <0 0x10000 0 0x4000>; interrupts = <0 1 4>; #iommu-cells = <1>; };
                        d1: iommu@20000 { compatible = "apple,t8103-dart"; reg = <0 0x20000 0 0x4000>; interrupts = <0 2 4>; #iommu-cells = <1>; };
                        a@30000 { reg = <0 0x30000 0 0x1000>; iommus = <&d0 0>, <&d1 1>; };
                        b@40000 { reg = <0 0x40000 0 0x1000>; iommus = <&d1 0>; };
                    };
                };
                """;
        DeviceTree board = DeviceTrees.parse("alias.dts", dts.getBytes(StandardCharsets.UTF_8));
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(board, new MergingRecipe(true)));
        long twins = twin.allNodes().stream().filter(n -> n.compatible().contains("test,twin-iommu")).count();
        assertEquals(2, twins, "d0 SID 0 (a) and d1 SID 0 (b) would alias on one node: kept apart");
    }

    @Test
    void labelsOfReplacedNodesFollowThemIntoTheTwinDtb() {
        String dts = """
                /dts-v1/;
                / {
                    #address-cells = <2>; #size-cells = <2>;
                    aic: interrupt-controller@100 { compatible = "apple,aic"; #interrupt-cells = <3>; interrupt-controller; reg = <0 0x100 0 0x100>; };
                    memory@800000000 { device_type = "memory"; reg = <0x8 0 0 0x4000000>; };
                    soc { #address-cells = <2>; #size-cells = <2>; ranges; interrupt-parent = <&aic>;
                        d0: iommu@10000 { compatible = "apple,t8103-dart"; reg = <0 0x10000 0 0x4000>; interrupts = <0 1 4>; #iommu-cells = <1>; };
                        d1: iommu@20000 { compatible = "apple,t8103-dart"; reg = <0 0x20000 0 0x4000>; interrupts = <0 2 4>; #iommu-cells = <1>; };
                        a@30000 { reg = <0 0x30000 0 0x1000>; iommus = <&d0 0>, <&d1 1>; };
                    };
                    __symbols__ { d0 = "/soc/iommu@10000"; d1 = "/soc/iommu@20000"; aic = "/interrupt-controller@100"; };
                };
                """;
        DeviceTree board = DeviceTrees.parse("symbols.dts", dts.getBytes(StandardCharsets.UTF_8));
        DeviceTree twin = DeviceTrees.parse("twin.dtb", BoardTwins.twin(board, new MergingRecipe(true)));
        DtNode merged = twin.byLabel("d0").orElseThrow();
        assertEquals(List.of("test,twin-iommu"), merged.compatible());
        assertEquals(merged, twin.byLabel("d1").orElseThrow(), "the merged-away DART's label names the twin node");
        assertTrue(twin.byLabel("aic").isPresent());
    }

    @Test
    void aRecipeThatCannotStandInIsAnErrorNamingTheNode() {
        IommuModelFactory none = new MergingRecipe(true) {
            @Override
            public List<TwinNode> twin(List<TwinSource> linked) {
                return List.of();
            }
        };
        IommuException e = assertThrows(IommuException.class, () -> BoardTwins.twin(defaultBoard(), none));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("/soc/iommu@"), e.getMessage());
    }

    /**
     * Two dies have the same reg under buses whose ranges set them apart: each die's twin takes its
     * DART's place on its own bus, not a slot moved out of the other die's way.
     */
    @Test
    void eachDiesTwinStaysInItsDartsPlace() {
        DeviceTree board = Fixtures.load("two-die.dts");
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(board, new MergingRecipe(true)));
        DtNode die0 = Fixtures.node(twin, "/soc@200000000/iommu@702f00000");
        DtNode die1 = Fixtures.node(twin, "/soc@2200000000/iommu@702f00000");
        assertEquals(List.of("test,twin-iommu"), die1.compatible());
        assertEquals(0x7_02f0_0000L, die0.reg().get(0).address());
        assertEquals(0x27_02f0_0000L, die1.reg().get(0).address());
        assertEquals(List.of("test,twin-iommu#0"), streams(twin).get("/soc@2200000000/usb@702280000"));
    }
}
