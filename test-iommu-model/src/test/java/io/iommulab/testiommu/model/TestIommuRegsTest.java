package io.iommulab.testiommu.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The hardware's register constants and helpers against the datasheet, bit-exact. */
class TestIommuRegsTest {

    @Test
    void registerOffsets() {
        assertEquals(0x100, TestIommuRegs.ctrl(0));
        assertEquals(0x104, TestIommuRegs.ttbr(0));
        assertEquals(0x138, TestIommuRegs.ctrl(7));
        assertEquals(0x8f4, TestIommuRegs.ttbr(254));
    }

    @Test
    void errorValues() {
        assertEquals(0x8005_0004, TestIommuRegs.errorValue(5, TestIommuRegs.CODE_NO_PTE));
        assertEquals(0x80ff_0020, TestIommuRegs.errorValue(0x1ff, 0x120));
        assertEquals("WRITE_PROT", TestIommuRegs.codeName(0x10));
        assertEquals("UNKNOWN", TestIommuRegs.codeName(0x03));
    }

    @Test
    void ttbrHoldsTheL1AddressShiftedBy12() {
        assertEquals(0x8_0000_4000L, TestIommuRegs.ttbrTable(0x8080_0004));
        assertEquals(0xff_ffff_f000L, TestIommuRegs.ttbrTable(0x8fff_ffff));
    }

    @Test
    void tableIndices() {
        assertEquals(511, TestIommuRegs.l1Index(0x3fe0_0000L));
        assertEquals(1, TestIommuRegs.l1Index(0x20_0000L));
        assertEquals(511, TestIommuRegs.l2Index(0x1f_f000L));
        assertEquals(0, TestIommuRegs.l2Index(0x20_0fffL));
        assertEquals(0x0000_ffff_ffff_f000L, TestIommuRegs.PTE_ADDR_MASK);
        assertEquals(0x0000_ffff_ffe0_0000L, TestIommuRegs.PTE_BLOCK_ADDR_MASK);
    }
}
