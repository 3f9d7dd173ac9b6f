package io.iommulab.machine.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.api.machine.RamWindow;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.lib.hw.IotlbHitCheck;
import io.iommulab.machine.memory.SparseMemory;
import io.iommulab.machine.testing.RecordingMonitor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The models' shared hit check ({@link IotlbHitCheck}) on the machine's own memory and bus port:
 * a fill takes a window on its leaf only while a monitor watches, the window reads the leaf itself
 * (not its neighbours) and sees every later write to it, a read without a window goes through
 * memory, and a report reaches the monitor with the IOMMU's path.
 */
class IotlbHitCheckOnTheBusTest {
    static final long RAM = 0x8_0000_0000L;
    static final long LEAF = RAM + 0x4_0008;
    static final long PTE = 0x8_0001_0000L | 3;

    private final SparseMemory memory = new SparseMemory(List.of(new RamRegion(RAM, 1L << 20)));
    private final BusPort port = new BusPort();
    private final RecordingMonitor seen = new RecordingMonitor();
    private final IotlbHitCheck hits = new IotlbHitCheck("/soc/iommu@1000", port, memory);

    @Test
    void aFillTakesAWindowOnItsLeafOnlyWhileAMonitorWatches() {
        memory.write64(LEAF, PTE);
        assertNull(hits.leaf(LEAF), "no monitor: the check is off, the fill keeps nothing");
        port.monitor(seen);
        RamWindow w = hits.leaf(LEAF);
        assertNotNull(w);
        assertEquals(LEAF, w.pa());
        assertEquals(8, w.length());
    }

    @Test
    void theWindowReadsTheLeafAndSeesItChange() {
        memory.write64(LEAF, PTE);
        port.monitor(seen);
        RamWindow w = hits.leaf(LEAF);
        memory.write64(LEAF - 8, 0x1234);
        memory.write64(LEAF + 8, 0x5678);
        assertTrue(hits.unchanged(w, LEAF, PTE), "the neighbours' writes are not the leaf's");
        memory.write64(LEAF, 0);
        assertFalse(hits.unchanged(w, LEAF, PTE));
        assertTrue(hits.unchanged(w, LEAF, 0));
    }

    @Test
    void withoutAWindowTheLeafIsReadThroughMemoryAndABusErrorIsAChange() {
        memory.write64(LEAF, PTE);
        assertTrue(hits.unchanged(null, LEAF, PTE));
        memory.write64(LEAF, PTE & ~1L);
        assertFalse(hits.unchanged(null, LEAF, PTE));
        assertFalse(hits.unchanged(0x1000, 0), "not RAM: the entry no longer reads");
    }

    @Test
    void aReportReachesTheMonitorWithTheIommusPath() {
        port.monitor(seen);
        hits.report(3, 0x4123, Access.WRITE, 0x8_0000_4123L, Prot.READ | Prot.WRITE, 0x8_0000_4123L, Prot.READ, null,
                "permissions reduced", "FLUSH");
        assertEquals(List.of(new StaleTranslation("/soc/iommu@1000", 3, 0x4123, Access.WRITE, 0x8_0000_4123L,
                Prot.READ | Prot.WRITE, 0x8_0000_4123L, Prot.READ, null, "permissions reduced", "FLUSH")), seen.stale);
    }
}
