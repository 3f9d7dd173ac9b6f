package io.iommulab.lib.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import org.junit.jupiter.api.Test;

/**
 * What every model's hit check shares decides alike for every architecture: when a fresh walk
 * agrees with a hit, and when a changed leaf only took rights away. (Reading the leaf and the
 * report are exercised through each model's stale-hit test.)
 */
class IotlbHitCheckTest {
    static final int RW = Prot.READ | Prot.WRITE;
    static final long PA = 0x8_0000_4123L;

    @Test
    void aFreshWalkAgreesOnlyWithTheSameAddressAndPermissionsAndNoFault() {
        assertTrue(IotlbHitCheck.same(PA, RW, PA, RW, null));
        assertFalse(IotlbHitCheck.same(PA, RW, PA + 0x4000, RW, null), "another page");
        assertFalse(IotlbHitCheck.same(PA, RW, PA, Prot.READ, null), "fewer rights");
        assertFalse(IotlbHitCheck.same(PA, Prot.READ, PA, RW, null), "more rights: still not what the hit served");
        assertFalse(IotlbHitCheck.same(PA, RW, PA, RW | Prot.NOEXEC, null), "NOEXEC added");
        assertFalse(IotlbHitCheck.same(0, 0, 0, 0, "NO PTE FOR IOVA"), "a fresh walk that faults never agrees");
    }

    @Test
    void aLeafThatOnlyTookRightsAwayIsPermissionsReduced() {
        assertEquals("permissions reduced", IotlbHitCheck.leafChange(PA, RW, PA, Prot.READ));
        assertEquals("permissions reduced", IotlbHitCheck.leafChange(PA, RW, PA, 0));
        assertEquals("permissions reduced", IotlbHitCheck.leafChange(PA, RW, PA, RW | Prot.NOEXEC), "NOEXEC takes fetches away");
    }

    @Test
    void anyOtherChangeOfTheLeafIsPteChanged() {
        assertEquals("PTE changed", IotlbHitCheck.leafChange(PA, RW, PA + 0x4000, Prot.READ), "fewer rights, but another page");
        assertEquals("PTE changed", IotlbHitCheck.leafChange(PA, Prot.READ, PA, RW), "WRITE granted");
        assertEquals("PTE changed", IotlbHitCheck.leafChange(PA, RW | Prot.NOEXEC, PA, RW), "NOEXEC cleared");
        assertEquals("PTE changed", IotlbHitCheck.leafChange(PA, Prot.READ, PA, Prot.WRITE), "READ traded for WRITE");
    }
}
