package io.iommulab.testiommu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The values the driver writes and decodes, bit-exact against the datasheet. */
class TestIommuRegsTest {

    @Test
    void perStreamRegisters() {
        assertEquals(0x100, TestIommuRegs.ctrl(0));
        assertEquals(0x8f4, TestIommuRegs.ttbr(254));
    }

    @Test
    void invalidateCommands() {
        assertEquals(0x0301, TestIommuRegs.cmdInvalidate(3));
        assertEquals(0xff01, TestIommuRegs.cmdInvalidate(TestIommuRegs.CMD_STREAM_ALL));
    }

    @Test
    void ttbrEncodesTheL1AddressShiftedBy12() {
        assertEquals(0x8080_0004, TestIommuRegs.ttbrValue(0x8_0000_4000L));
        assertEquals(0x8fff_ffff, TestIommuRegs.ttbrValue(0xff_ffff_f000L));
    }

    @Test
    void faultCodesDecodeByName() {
        assertEquals("NO_PTE", TestIommuRegs.codeName(0x04));
        assertEquals("BLOCKED", TestIommuRegs.codeName(0x20));
        assertEquals("UNKNOWN", TestIommuRegs.codeName(0x03));
    }

    @Test
    void tableIndicesAndAperture() {
        assertEquals(511, TestIommuRegs.l1Index(0x3fe0_0000L));
        assertEquals(0, TestIommuRegs.l2Index(0x20_0fffL));
        assertEquals(0x3fff_ffffL, TestIommuRegs.APERTURE_END);
    }
}
