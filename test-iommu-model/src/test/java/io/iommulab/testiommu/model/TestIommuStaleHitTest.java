package io.iommulab.testiommu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.StaleTranslation;
import io.iommulab.testiommu.fake.Rig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The IOTLB under a DMA sanitizer: while the translation check is enabled, a hit whose entry no
 * longer matches the stream's TTBR and tables is reported once per hit, with what changed and the
 * CMD INVALIDATE that was due, and the transaction still uses it; after the invalidation, for a
 * matching hit and with the check off nothing is reported, and the check that is off reads no
 * memory. Tables are raw entries, offsets literal (the datasheet's).
 */
class TestIommuStaleHitTest {
    static final String NODE = "/soc/iommu@100000000";
    static final long L1 = Rig.RAM + 0x10_0000;
    static final long L2 = Rig.RAM + 0x10_1000;
    static final long L1B = Rig.RAM + 0x10_2000;
    static final long PAGE = Rig.RAM + 0x5000;
    static final long OTHER = Rig.RAM + 0x9000;
    static final int SID = 3;
    static final long IOVA = 0x1000;
    static final long OFF = 0x234;
    static final int RW = Prot.READ | Prot.WRITE;
    static final String DUE = "CMD INVALIDATE stream 3";

    private final Rig rig = new Rig();
    private final Rig.Hw hw = rig.add(NODE);

    TestIommuStaleHitTest() {
        rig.line.request("test", irq -> io.iommulab.api.machine.IrqReturn.HANDLED, true);
        rig.memory.write64(L1, L2 | 0x3);
        rig.memory.write64(L2 + 8, PAGE | 0xc1);
        hw.mmio().writel(0x104 + 8 * SID, ttbr(L1));
        hw.mmio().writel(0x100 + 8 * SID, 1);
        rig.check.enable(true);
        assertEquals(PAGE + OFF, translate(Access.READ).paddr(), "fills the IOTLB");
        assertEquals(List.of(), rig.check.stale);
    }

    static int ttbr(long table) {
        return 0x8000_0000 | (int) (table >>> 12);
    }

    private Translation translate(Access access) {
        return hw.model().translate(SID, IOVA + OFF, access);
    }

    private void invalidate() {
        hw.mmio().writel(0x010, SID << 8 | 1);
    }

    private static StaleTranslation stale(Access access, long cachedPa, int cachedPerms, long pa, int perms, String fault,
            String cause) {
        return new StaleTranslation(NODE, SID, IOVA + OFF, access, cachedPa, cachedPerms, pa, perms, fault, cause, DUE);
    }

    @Test
    void clearedPteIsReportedOnEveryHitUntilTheStreamIsInvalidated() {
        rig.memory.write64(L2 + 8, 0);
        assertEquals(PAGE + OFF, translate(Access.READ).paddr(), "the stale entry still serves the transaction");
        StaleTranslation expected = stale(Access.READ, PAGE + OFF, RW, 0, 0, "NO_PTE", "PTE cleared");
        assertEquals(List.of(expected), rig.check.stale);
        translate(Access.READ);
        assertEquals(List.of(expected, expected), rig.check.stale, "once per hit");
        invalidate();
        assertEquals("NO_PTE", translate(Access.READ).fault());
        assertEquals(2, rig.check.stale.size());
    }

    /**
     * The report says how to ask whether the IOTLB still holds the entry that served the hit: yes
     * until a CMD INVALIDATE of the stream, no once one came after the hit (it raced the hit: the
     * translation was in flight, not left stale).
     */
    @Test
    void theReportAsksWhetherTheEntryIsStillCached() {
        rig.memory.write64(L2 + 8, 0);
        translate(Access.READ);
        assertEquals(List.of(true), rig.check.stillCached);
        rig.check.beforeAsking = this::invalidate;
        assertEquals(PAGE + OFF, translate(Access.READ).paddr(), "served before the invalidation");
        assertEquals(List.of(true, false), rig.check.stillCached, "the invalidation came after the hit");
        assertEquals(2, rig.check.stale.size());
    }

    @Test
    void changedPteToAnotherPage() {
        rig.memory.write64(L2 + 8, OTHER | 0xc1);
        assertEquals(PAGE + OFF, translate(Access.WRITE).paddr());
        assertEquals(List.of(stale(Access.WRITE, PAGE + OFF, RW, OTHER + OFF, RW, null, "PTE changed")), rig.check.stale);
        invalidate();
        assertEquals(OTHER + OFF, translate(Access.READ).paddr());
        assertEquals(1, rig.check.stale.size());
    }

    @Test
    void reducedPermissionsLetTheStaleWriteThrough() {
        rig.memory.write64(L2 + 8, PAGE | 0x41);
        assertTrue(translate(Access.WRITE).ok());
        assertEquals(List.of(stale(Access.WRITE, PAGE + OFF, RW, PAGE + OFF, Prot.READ, null, "permissions reduced")),
                rig.check.stale);
        invalidate();
        assertEquals("WRITE_PROT", translate(Access.WRITE).fault());
        assertEquals(1, rig.check.stale.size());
    }

    @Test
    void clearedL1EntryAboveThePage() {
        rig.memory.write64(L2 + 8, 0);
        rig.memory.write64(L1, 0);
        translate(Access.READ);
        assertEquals(List.of(stale(Access.READ, PAGE + OFF, RW, 0, 0, "NO_TABLE", "L1 entry cleared")), rig.check.stale);
    }

    @Test
    void leafNowInAnotherL2Table() {
        long l2b = Rig.RAM + 0x10_3000;
        rig.memory.write64(l2b + 8, OTHER | 0xc1);
        rig.memory.write64(L1, l2b | 0x3);
        translate(Access.READ);
        assertEquals(List.of(), rig.check.stale, "the old L2 table still holds the old leaf: not seen (the check reads the leaf)");

        rig.memory.write64(L2 + 8, 0);
        assertEquals(PAGE + OFF, translate(Access.READ).paddr());
        assertEquals(List.of(stale(Access.READ, PAGE + OFF, RW, OTHER + OFF, RW, null, "L1 entry changed")), rig.check.stale);
    }

    @Test
    void clearedBlockIsAClearedLeaf() {
        long block = Rig.RAM + 0x20_0000;
        long iova = 0x20_0000;
        rig.memory.write64(L1 + 8, block | 0x41);
        assertEquals(block + 0x1234, hw.model().translate(SID, iova + 0x1234, Access.READ).paddr(), "fills the IOTLB with the block");
        rig.memory.write64(L1 + 8, 0);
        assertEquals(block + 0x1234, hw.model().translate(SID, iova + 0x1234, Access.READ).paddr());
        assertEquals(List.of(new StaleTranslation(NODE, SID, iova + 0x1234, Access.READ, block + 0x1234, Prot.READ, 0, 0,
                "NO_TABLE", "PTE cleared", DUE)), rig.check.stale);
    }

    @Test
    void changedTtbrIsReportedOnlyWhenTheNewTablesDisagree() {
        rig.memory.write64(L1B, L2 | 0x3);
        hw.mmio().writel(0x104 + 8 * SID, ttbr(L1B));
        translate(Access.READ);
        assertEquals(List.of(), rig.check.stale, "new tables that translate the same: the entry is still right");

        rig.memory.write64(L1B, OTHER & ~0x1f_ffffL | 0xc1);
        translate(Access.READ);
        long block = OTHER & ~0x1f_ffffL;
        assertEquals(List.of(stale(Access.READ, PAGE + OFF, RW, block + IOVA + OFF, RW, null, "TTBR changed")), rig.check.stale);
        invalidate();
        assertEquals(block + IOVA + OFF, translate(Access.READ).paddr());
        assertEquals(1, rig.check.stale.size());
    }

    @Test
    void aBypassedStreamDoesNotUseItsIotlb() {
        rig.memory.write64(L2 + 8, 0);
        hw.mmio().writel(0x100 + 8 * SID, 2);
        assertEquals(IOVA + OFF, translate(Access.READ).paddr());
        assertEquals(List.of(), rig.check.stale);
    }

    @Test
    void theCheckReadsTheLeafOnlyWhileEnabled() {
        long before = rig.memory.reads();
        translate(Access.READ);
        assertEquals(1, rig.memory.reads() - before, "a checked hit that matches: one read, the leaf");

        rig.check.enable(false);
        rig.memory.write64(L2 + 8, 0);
        before = rig.memory.reads();
        assertEquals(PAGE + OFF, translate(Access.READ).paddr());
        assertEquals(0, rig.memory.reads() - before, "the check is off: a hit reads no memory");
        assertEquals(List.of(), rig.check.stale);

        invalidate();
        rig.memory.write64(L2 + 8, PAGE | 0xc1);
        before = rig.memory.reads();
        translate(Access.READ);
        assertEquals(2, rig.memory.reads() - before, "a miss reads the L1 and the L2 entry, once each");
    }
}
