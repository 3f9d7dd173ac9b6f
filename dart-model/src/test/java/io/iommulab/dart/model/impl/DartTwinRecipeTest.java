package io.iommulab.dart.model.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The DART's board-twin recipe: t8110s stand in for foreign IOMMUs; DARTs the model implements stay. */
class DartTwinRecipeTest {

    /** The DART model of a launcher: the built-in variants and the Thunderbolt one. */
    private static final DartModelFactory DART = DartModelFactory.builtInAnd(DartRig.USB4_VARIANT);

    /** A foreign IOMMU that stands in one node per source, as a recipe of another model would. */
    private static final IommuModelFactory FOREIGN = new IommuModelFactory() {
        @Override public String name() { return "foreign"; }
        @Override public List<String> compatibles() { return List.of("test,foreign-iommu"); }
        @Override public IommuModel create(ModelContext context) { throw new UnsupportedOperationException("never booted"); }
        @Override public boolean makesTwins() { return true; }

        @Override
        public List<TwinNode> twin(List<TwinSource> linked) {
            List<TwinNode> out = new ArrayList<>();
            linked.forEach(s -> out.add(new TwinNode(List.of("test,foreign-iommu"), 0x4000, 1, 1, Map.of(), List.of())));
            return out;
        }
    };

    /** @return per master, "compatible of its IOMMU#sid" for each stream (masters need no model) */
    private static Map<String, List<String>> streams(DeviceTree t) {
        Map<String, List<String>> out = new TreeMap<>();
        for (DmaMaster dm : SimMachine.boot(t, List.of(), Map.of()).masters()) {
            out.put(dm.name(), dm.streams().stream()
                    .map((StreamRef r) -> t.node(r.iommu()).orElseThrow().compatible().get(0) + "#" + r.sid()).toList());
        }
        return out;
    }

    @Test
    void theDartTwinOfADartBoardChangesNoIommu() {
        DeviceTree board = DeviceTrees.board("default");
        DeviceTree twin = DeviceTrees.parse("twin", BoardTwins.twin(board, DART));
        assertEquals(streams(board), streams(twin));
        for (DtNode n : board.allNodes()) {
            if (n.hasProperty("#iommu-cells")) {
                assertEquals(n.compatible(), twin.node(n.path()).orElseThrow().compatible(), n.path());
            }
        }
    }

    @Test
    void theDartTwinStandsInForForeignNodesWithAT8110() {
        DeviceTree foreignBoard = BoardTwins.twinTree(DeviceTrees.board("default"), FOREIGN);
        DeviceTree back = DeviceTrees.parse("back", BoardTwins.twin(foreignBoard, DART));
        Map<String, List<String>> streams = streams(back);
        streams.forEach((m, s) -> s.forEach(x -> assertTrue(x.startsWith("apple,t8110-dart#"), m + ": " + x)));
        // acio0 needs 41 streams: within the t8110's 256.
        assertTrue(streams.get("/soc/thunderbolt@38a000000").contains("apple,t8110-dart#40"), streams.toString());
    }

    @Test
    void onlyTheFactoryThatModelsTheT8110MakesTwins() {
        assertTrue(DartModelFactory.builtIn().makesTwins());
        assertTrue(new DartModelFactory(List.of(DartModelVariants.T8110)).makesTwins());
        DartModelFactory t8103 = new DartModelFactory(List.of(DartModelVariants.T8103));
        assertFalse(t8103.makesTwins());
        assertEquals(List.of(), t8103.twin(List.of(new TwinSource("/a", List.of("x"), 0x4000, 1, List.of(0), List.of()))));
    }
}
