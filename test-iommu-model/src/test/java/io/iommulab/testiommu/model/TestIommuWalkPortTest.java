package io.iommulab.testiommu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.testiommu.fake.Rig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The model's walk for tools ({@code IommuModel.walk}, the machine's debug port): CTRL and the
 * tables as they are now, never the IOTLB, nothing counted or latched.
 */
class TestIommuWalkPortTest {
    static final long L1 = Rig.RAM + 0x10_0000;
    static final long L2 = Rig.RAM + 0x10_1000;

    private final Rig rig = new Rig();
    private final Rig.Hw hw = rig.add("/soc/iommu@100000000");

    @Test
    void walkGivesPagesBlocksPermissionsAndStreamModes() {
        assertEquals(TableWalk.fault("BLOCKED"), hw.model().walk(0, 0x1000), "CTRL 0 at reset: blocked");
        rig.memory.write64(L1, L2 | 0x3);
        rig.memory.write64(L2 + 8 * 1, (Rig.RAM + 0x5000) | 0xc1);
        rig.memory.write64(L2 + 8 * 2, (Rig.RAM + 0x6000) | 0x41);
        rig.memory.write64(L2 + 8 * 3, (Rig.RAM + 0x7000) | 0x81);
        rig.memory.write64(L1 + 8, (Rig.RAM + 0x20_0000) | 0xc1);
        hw.mmio().writel(0x104, 0x8000_0000 | (int) (L1 >>> 12));
        hw.mmio().writel(0x100, 1);
        Map<String, Long> before = hw.model().counters();

        assertEquals(TableWalk.of(Rig.RAM + 0x5010, Prot.READ | Prot.WRITE), hw.model().walk(0, 0x1010));
        assertEquals(TableWalk.of(Rig.RAM + 0x6000, Prot.READ), hw.model().walk(0, 0x2000));
        assertEquals(TableWalk.of(Rig.RAM + 0x7000, Prot.WRITE), hw.model().walk(0, 0x3000));
        assertEquals(TableWalk.of(Rig.RAM + 0x21_2345, Prot.READ | Prot.WRITE), hw.model().walk(0, 0x21_2345), "2 MiB block");
        assertEquals("NO_PTE", hw.model().walk(0, 0x4000).fault());
        assertEquals("NO_TABLE", hw.model().walk(0, 0x40_0000).fault());
        assertEquals(before, hw.model().counters(), "nothing counted");
        assertEquals(0, hw.mmio().readl(0x020), "nothing latched");

        hw.mmio().writel(0x100, 2);
        assertEquals(TableWalk.of(0x1234, Prot.READ | Prot.WRITE), hw.model().walk(0, 0x1234), "bypass");
    }

    @Test
    void walkIgnoresTheIotlb() {
        rig.memory.write64(L1, L2 | 0x3);
        rig.memory.write64(L2 + 8, (Rig.RAM + 0x5000) | 0xc1);
        hw.mmio().writel(0x104, 0x8000_0000 | (int) (L1 >>> 12));
        hw.mmio().writel(0x100, 1);
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok(), "the IOTLB now holds the page");
        rig.memory.write64(L2 + 8, 0);
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok(), "no invalidation: still cached");
        assertEquals("NO_PTE", hw.model().walk(0, 0x1000).fault());
    }
}
