package io.iommulab.testiommu.model;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.testiommu.fake.FakeMemory;
import org.junit.jupiter.api.Test;

/** Entry decoding of the walker, bit-exact. */
class TestIommuWalkerTest {

    @Test
    void decodesTableBlockAndPageEntries() {
        long table = 0x8_0000_5003L;
        assertTrue(TestIommuWalker.isValid(table));
        assertTrue(TestIommuWalker.isTable(table));
        assertEquals(0x8_0000_5000L, TestIommuWalker.address(table));

        long block = 0x8_003f_f0c1L;
        assertFalse(TestIommuWalker.isTable(block));
        assertEquals(0x8_0020_0000L, TestIommuWalker.blockAddress(block));
        assertEquals(TestIommuWalker.PERM_READ | TestIommuWalker.PERM_WRITE, TestIommuWalker.perms(block));

        long page = 0xfff0_8000_1234_5041L; // bits above 47 are not address bits
        assertEquals(0x8000_1234_5000L, TestIommuWalker.address(page));
        assertEquals(TestIommuWalker.PERM_READ, TestIommuWalker.perms(page));
        assertEquals(TestIommuWalker.PERM_WRITE, TestIommuWalker.perms(0x81));
        assertFalse(TestIommuWalker.isValid(0x8_0000_50c2L));
    }

    @Test
    void walksToTheEntryAtTheIndexOfEachLevel() {
        FakeMemory mem = new FakeMemory(0x8_0000_0000L, 0x10_0000);
        TestIommuWalker w = new TestIommuWalker(mem);
        int ttbr = 0x8000_0000 | 0x80_0000; // VALID, L1 table at 0x8_0000_0000
        long iova = 0x3fe0_0000L | (0x155L << 12) | 0xabc;
        mem.write64(0x8_0000_0000L + 8 * 0x1ff, 0x8_0000_1003L);
        mem.write64(0x8_0000_1000L + 8 * 0x155, 0x8_0000_70c1L);
        assertEquals(new TestIommuWalker.Walk(0, ttbr, iova & ~0xfffL, 0xfff, 0x8_0000_7000L, 3, 2,
                0x8_0000_1000L + 8 * 0x155, 0x8_0000_70c1L), w.walk(ttbr, iova));

        mem.write64(0x8_0000_0000L + 8 * 0x1ff, 0x8_0020_0041L);
        assertEquals(new TestIommuWalker.Walk(0, ttbr, 0x3fe0_0000L, 0x1f_ffff, 0x8_0020_0000L, 1, 1,
                0x8_0000_0000L + 8 * 0x1ff, 0x8_0020_0041L), w.walk(ttbr, iova), "an L1 block is the leaf");

        assertEquals(TestIommuRegs.CODE_NO_TTBR, w.walk(0x80_0000, iova).code(), "TTBR not VALID");
        assertEquals(TestIommuRegs.CODE_NO_TABLE, w.walk(ttbr, 1L << 30).code(), "beyond the IAS");
        assertEquals(TestIommuRegs.CODE_NO_TABLE, w.walk(ttbr, 0).code(), "L1 entry invalid");
        mem.write64(0x8_0000_0000L, 0x8_0000_2003L);
        assertEquals(TestIommuRegs.CODE_NO_PTE, w.walk(ttbr, 0).code(), "L2 entry invalid");
        assertEquals(TestIommuRegs.CODE_NO_TABLE, w.walk(0x8000_0000 | 0x90_0000, 0).code(), "a table outside RAM reads invalid");
    }
}
