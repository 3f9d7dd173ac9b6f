package io.iommulab.testkit;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The fixture board resource is there, self-consistent and says what the Javadoc promises. */
class TestBoardsTest {

    final String dts = new String(TestBoards.testkitDts(), StandardCharsets.UTF_8);

    @Test
    void everyReferenceHasALabel() {
        Set<String> labels = new HashSet<>();
        Matcher def = Pattern.compile("(?m)^\\s*([A-Za-z_][\\w]*):\\s").matcher(dts);
        while (def.find()) {
            labels.add(def.group(1));
        }
        assertEquals(Set.of("intc", "tiommu0", "tiommu1", "tiommu2"), labels);
        Matcher ref = Pattern.compile("&([A-Za-z_]\\w*)").matcher(dts);
        int refs = 0;
        while (ref.find()) {
            assertTrue(labels.contains(ref.group(1)), "undefined label " + ref.group(1));
            refs++;
        }
        assertEquals(8, refs);
    }

    @Test
    void bracesBalanceAndNodesAreThere() {
        assertTrue(dts.startsWith("/dts-v1/;"));
        assertEquals(dts.chars().filter(c -> c == '{').count(), dts.chars().filter(c -> c == '}').count());
        for (String s : new String[] {"memory@800000000", "iommu@100000000", "iommu@100010000", "iommu@100020000",
                "dev-a@200000000", "dev-b@200010000", "dev-c@200020000", "dev-d@200030000", "dev-x@200040000",
                "pcie@300000000", "pci@0,0", "nic@0,0", "nic@0,1", "iommu-map = <0x100 &tiommu1 4 0x100>;",
                "iommu-map-mask = <0xfff8>;", "iommus = <&tiommu0 1>, <&tiommu1 1>;"}) {
            assertTrue(dts.contains(s), s);
        }
        assertFalse(dts.contains("power-domains"));
        assertFalse(dts.contains("#include"));
    }
}
