package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {

    record Node(String node, String state) {
    }

    @Test
    void countsByStateSortedByName() {
        assertEquals("4 (deferred 2, disabled 1, probed 1)", Topology.byState(List.of(new Node("a", "probed"),
                new Node("b", "deferred"), new Node("c", "disabled"), new Node("d", "deferred"))));
        assertEquals("0", Topology.byState(List.of()));
    }

    @Test
    void nonListIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Topology.byState("text"));
        assertThrows(IllegalArgumentException.class, () -> Topology.byState(List.of("no record")));
    }
}
