package io.iommulab.testiommu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import org.junit.jupiter.api.Test;

/** Entry encoding of the driver's table code, bit-exact. */
class TestPageTableEncodingTest {

    @Test
    void leafEntries() {
        assertEquals(0x8_0000_30c1L, TestPageTable.leafPte(0x8_0000_3000L, Prot.READ | Prot.WRITE));
        assertEquals(0x8_0020_0041L, TestPageTable.leafPte(0x8_0020_0000L, Prot.READ));
        assertEquals(0x8_0000_3081L, TestPageTable.leafPte(0x8_0000_3000L, Prot.WRITE | Prot.NOEXEC));
        assertEquals(0x8_0000_3001L, TestPageTable.leafPte(0x8_0000_3000L, Prot.CACHE));
        // Only bits [47:12] of the address survive.
        assertEquals(0x8000_0000_1001L, TestPageTable.leafPte(0xffff_8000_0000_1fffL, 0));
    }

    @Test
    void tableEntries() {
        assertEquals(0x8_0000_5003L, TestPageTable.tablePte(0x8_0000_5000L));
        assertEquals(0xffff_ffff_f003L, TestPageTable.tablePte(-1L));
    }
}
