package io.iommulab.machine.dt;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.dt.NodeNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Short names and name resolution on a two-die tree, where node names repeat across dies. */
class NodeNamesTest {

    static final String USB0 = "/soc@200000000/usb@702280000";
    static final String USB1 = "/soc@2200000000/usb@702280000";

    private final DeviceTree tree = Fixtures.load("two-die.dts");
    private final List<DtNode> all = tree.allNodes();

    private Optional<String> resolve(String ref) {
        return NodeNames.resolve("node", ref, all).map(DtNode::path);
    }

    @Test
    void shortNamesKeepTheDieWhereTheNameRepeats() {
        Map<String, String> names = NodeNames.shortest(all.stream().map(DtNode::path).toList());
        assertEquals("soc@200000000/usb@702280000", names.get(USB0));
        assertEquals("soc@2200000000/usb@702280000", names.get(USB1));
        assertEquals("soc@2200000000/power-management@28e080000/power-controller@118",
                names.get("/soc@2200000000/power-management@28e080000/power-controller@118"),
                "the pmgr repeats too, so the die is needed two levels up");
        assertEquals("interrupt-controller@28e100000", names.get("/soc@200000000/interrupt-controller@28e100000"));
        assertEquals("memory@10000000000", names.get("/memory@10000000000"));
        assertEquals(names.size(), names.values().stream().distinct().count(), "every name distinct: " + names);
    }

    @Test
    void aPathThatIsASuffixOfAnotherIsNamedByItsFullPath() {
        Map<String, String> names = NodeNames.shortest(List.of("/a/b", "/x/a/b", "/y/b"));
        assertEquals("/a/b", names.get("/a/b"));
        assertEquals("x/a/b", names.get("/x/a/b"));
        assertEquals("y/b", names.get("/y/b"));
        assertEquals(Map.of("/", "/"), NodeNames.shortest(List.of("/")));
    }

    @Test
    void aRepeatedNameIsRefusedListingEveryCandidate() {
        IommuException e = assertThrows(IommuException.class, () -> resolve("usb@702280000"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: node name 'usb@702280000' is ambiguous: " + USB0 + ", " + USB1, e.getMessage());
        IommuException base = assertThrows(IommuException.class, () -> resolve("usb"));
        assertTrue(base.getMessage().endsWith(": " + USB0 + ", " + USB1), base.getMessage());
        IommuException pmgr = assertThrows(IommuException.class, () -> resolve("power-management@28e080000/power-controller@118"));
        assertTrue(pmgr.getMessage().contains("/soc@200000000/power-management@28e080000/power-controller@118, "
                + "/soc@2200000000/power-management@28e080000/power-controller@118"), pmgr.getMessage());
    }

    @Test
    void aPathASuffixWithTheDieOrALabelNamesOneNode() {
        assertEquals(Optional.of(USB1), resolve(USB1));
        assertEquals(Optional.of(USB1), resolve("soc@2200000000/usb@702280000"));
        assertEquals(Optional.of(USB1), resolve("dwc3_0_die1"));
        assertEquals(Optional.of(USB0), resolve("&dwc3_0"));
        assertEquals(Optional.of("/soc@200000000/interrupt-controller@28e100000"), resolve("interrupt-controller"));
        assertEquals(Optional.empty(), resolve("/usb@702280000"), "a full path matches only itself");
        assertEquals(Optional.empty(), resolve("sb@702280000"), "suffixes are whole components");
        assertEquals(Optional.empty(), resolve(""));
    }

    @Test
    void onlyTheCandidatesCount() {
        List<DtNode> die1 = all.stream().filter(n -> n.path().startsWith("/soc@2200000000/")).toList();
        assertEquals(Optional.of(USB1), NodeNames.resolve("device", "usb@702280000", die1).map(DtNode::path));
    }
}
