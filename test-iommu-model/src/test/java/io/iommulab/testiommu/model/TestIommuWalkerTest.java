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
    void readsEntriesAtTheIndexOfEachLevel() {
        FakeMemory mem = new FakeMemory(0x8_0000_0000L, 0x10_0000);
        TestIommuWalker w = new TestIommuWalker(mem);
        mem.write64(0x8_0000_0000L + 8 * 0x1ff, 0x1111);
        mem.write64(0x8_0000_1000L + 8 * 0x155, 0x2222);
        assertEquals(0x1111, w.l1Entry(0x8_0000_0000L, 0x3fe0_0000L));
        assertEquals(0x2222, w.l2Entry(0x8_0000_1000L, 0x3fe0_0000L | (0x155L << 12) | 0xabc));
    }
}
