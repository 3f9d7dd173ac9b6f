package io.iommulab.testkit;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** N occurrences fail then none, ALL fails until off, per device and point. */
class InjectedFaultsTest {

    static final String A = "/soc/iommu@a";
    static final String B = "/soc/iommu@b";
    static final String P = "skip-invalidate";

    @Test
    void theNextNOccurrencesFailThenNoneOfThatDeviceAndPoint() {
        InjectedFaults f = new InjectedFaults();
        f.inject(A, P, 2);
        assertFalse(f.shouldFail(B, P), "another device");
        assertFalse(f.shouldFail(A, "other-point"), "another point");
        assertEquals(2, f.remaining(A, P));
        assertTrue(f.shouldFail(A, P));
        assertTrue(f.shouldFail(A, P));
        assertFalse(f.shouldFail(A, P));
        assertEquals(0, f.remaining(A, P));
    }

    @Test
    void allFailsUntilOff() {
        InjectedFaults f = new InjectedFaults();
        f.inject(A, P, InjectedFaults.ALL);
        for (int i = 0; i < 100; i++) {
            assertTrue(f.shouldFail(A, P));
        }
        assertEquals(InjectedFaults.ALL, f.remaining(A, P));
        f.off(A);
        assertFalse(f.shouldFail(A, P));
    }

    @Test
    void injectReplacesAndRefusesZeroOrNegativeCounts() {
        InjectedFaults f = new InjectedFaults();
        f.inject(A, P, InjectedFaults.ALL);
        f.inject(A, P, 1);
        assertTrue(f.shouldFail(A, P));
        assertFalse(f.shouldFail(A, P));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.inject(A, P, 0));
        assertEquals("times 0 is neither positive nor ALL", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> f.inject(A, P, -2));
        assertFalse(f.shouldFail(A, P));
    }
}
