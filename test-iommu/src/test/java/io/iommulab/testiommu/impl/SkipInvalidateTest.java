package io.iommulab.testiommu.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.hw.Access;
import io.iommulab.testiommu.fake.Rig;
import io.iommulab.testkit.InjectedFaults;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Injected driver bugs ({@code skip-invalidate}) on the test IOMMU: one occurrence is one invalidate
 * command (one stream); the N injected ones are not written and the IOTLB keeps its entries, the
 * ones after are written.
 */
class SkipInvalidateTest {

    static final String N0 = "/soc/iommu@100000000";
    static final long DATA = Rig.RAM + 0x50_0000;
    static final long IOVA = 0x10_0000;
    static final String SKIP = PlatformDevice.SKIP_INVALIDATE;
    /** CMD offset, and the INVALIDATE commands of streams 1 and 3 */
    static final long CMD = 0x010;
    static final long INV1 = 0x101;
    static final long INV3 = 0x301;

    Rig.Hw hw;
    InjectedFaults faults;
    DomainOps dom;

    @BeforeEach
    void setUp() {
        Rig rig = new Rig();
        hw = rig.add(N0);
        faults = new InjectedFaults();
        hw.pdev().injected = point -> faults.shouldFail(N0, point);
        TestIommuDriver driver = new TestIommuDriver();
        IommuDevice inst = driver.probe(hw.pdev());
        FakeMaster m = new FakeMaster("/soc/dev-b", -1);
        for (int sid : new int[] {1, 3}) {
            int[] args = {sid};
            m.fwspec.add(new FwspecEntry(inst, args));
            driver.ofXlate(m, inst, args);
        }
        driver.probeDevice(m);
        dom = driver.domainAllocPaging(m);
        dom.attachDev(m);
        dom.mapPages(IOVA, DATA, 0x1000, 1, Prot.READ | Prot.WRITE);
        dom.iotlbSyncMap(IOVA, 0x1000);
        assertTrue(hw.model().translate(1, IOVA, Access.READ).ok());
        assertTrue(hw.model().translate(3, IOVA, Access.READ).ok());
        hw.mmio().writes.clear();
    }

    @Test
    void eachInvalidateCommandIsOneOccurrence() {
        faults.inject(N0, SKIP, 1);
        dom.flushIotlbAll();
        assertEquals(0, hw.mmio().count(CMD, INV1), "stream 1's command skipped");
        assertEquals(1, hw.mmio().count(CMD, INV3), "stream 3's written");
        dom.flushIotlbAll();
        assertEquals(1, hw.mmio().count(CMD, INV1));
        assertEquals(2, hw.mmio().count(CMD, INV3));
    }

    @Test
    void aSkippedInvalidateLeavesTheStaleTranslationUntilTheNextOne() {
        faults.inject(N0, SKIP, 2);
        dom.unmapPages(IOVA, 0x1000, 1, null);
        dom.iotlbSync(null);
        assertEquals(0, hw.mmio().writes.size(), "neither stream's command");
        assertEquals(DATA + 0x10, hw.model().translate(1, IOVA + 0x10, Access.READ).paddr(), "stale");
        assertEquals(DATA + 0x10, hw.model().translate(3, IOVA + 0x10, Access.READ).paddr(), "stale");
        dom.iotlbSync(null);
        assertEquals("NO_PTE", hw.model().translate(1, IOVA + 0x10, Access.READ).fault());
        assertEquals("NO_PTE", hw.model().translate(3, IOVA + 0x10, Access.READ).fault());
    }

    @Test
    void withoutInjectionOrAfterOffEveryCommandIsWritten() {
        dom.flushIotlbAll();
        assertEquals(1, hw.mmio().count(CMD, INV1));
        assertEquals(1, hw.mmio().count(CMD, INV3));
        faults.inject(N0, SKIP, InjectedFaults.ALL);
        dom.flushIotlbAll();
        dom.flushIotlbAll();
        assertEquals(2, hw.mmio().writes.size());
        faults.off(N0);
        dom.flushIotlbAll();
        assertEquals(2, hw.mmio().count(CMD, INV1));
        assertEquals(2, hw.mmio().count(CMD, INV3));
    }
}
