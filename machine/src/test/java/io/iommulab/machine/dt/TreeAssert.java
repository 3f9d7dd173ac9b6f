package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;

import java.util.ArrayList;
import java.util.List;

/** Compares two trees node by node and property by property (labels excluded: a DTB has none). */
final class TreeAssert {
    private TreeAssert() {
    }

    static void assertSameTree(DeviceTree expected, DeviceTree actual) {
        List<String> ep = paths(expected);
        assertEquals(ep, paths(actual), "node paths in order");
        for (int i = 0; i < ep.size(); i++) {
            DtNode e = expected.allNodes().get(i);
            DtNode a = actual.allNodes().get(i);
            assertEquals(new ArrayList<>(e.properties().keySet()), new ArrayList<>(a.properties().keySet()),
                    "property names of " + e.path());
            for (DtProperty p : e.properties().values()) {
                assertArrayEquals(p.value(), a.properties().get(p.name()).value(), e.path() + " " + p.name());
            }
            assertEquals(e.phandle(), a.phandle(), "phandle of " + e.path());
            assertEquals(e.isAvailable(), a.isAvailable(), "availability of " + e.path());
        }
    }

    private static List<String> paths(DeviceTree t) {
        List<String> out = new ArrayList<>();
        for (DtNode n : t.allNodes()) {
            out.add(n.path());
        }
        return out;
    }
}
