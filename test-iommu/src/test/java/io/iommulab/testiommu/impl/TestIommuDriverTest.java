package io.iommulab.testiommu.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.Translation;
import io.iommulab.klib.RateLimit;
import io.iommulab.testiommu.fake.Rig;
import io.iommulab.testkit.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The driver against the model, wired only through fake MMIO windows, one shared interrupt line and
 * fake physical memory (as the machine wires them): probe/remove, of_xlate and groups, the static
 * domains, paging-domain map/unmap semantics, IOTLB maintenance and the fault interrupt.
 */
class TestIommuDriverTest {

    static final String N0 = "/soc/iommu@100000000";
    static final String N1 = "/soc/iommu@100010000";
    static final long DATA = Rig.RAM + 0x50_0000;
    static final int RW = Prot.READ | Prot.WRITE;

    Rig rig;
    Rig.Hw hw0;
    Rig.Hw hw1;
    TestIommuDriver driver;
    IommuDevice inst0;
    IommuDevice inst1;
    FakeGroups groups;

    @BeforeEach
    void setUp() {
        rig = new Rig();
        hw0 = rig.add(N0);
        hw1 = rig.add(N1);
        driver = new TestIommuDriver();
        inst0 = driver.probe(hw0.pdev());
        inst1 = driver.probe(hw1.pdev());
        groups = new FakeGroups();
        hw0.mmio().writes.clear();
        hw1.mmio().writes.clear();
    }

    /** A master whose specifiers are (instance, sid) pairs, taken through of_xlate and probe_device. */
    FakeMaster master(String path, int rid, Object... specs) {
        FakeMaster m = new FakeMaster(path, rid);
        for (int i = 0; i < specs.length; i += 2) {
            IommuDevice iommu = (IommuDevice) specs[i];
            int[] args = {(Integer) specs[i + 1]};
            m.fwspec.add(new FwspecEntry(iommu, args));
            driver.ofXlate(m, iommu, args);
        }
        driver.probeDevice(m);
        return m;
    }

    static IommuException fails(Errno errno, Executable op) {
        IommuException e = assertThrows(IommuException.class, op);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    // ---- probe / remove -------------------------------------------------------------------

    @Test
    void probeResetsTheHardwareAndTakesTheSharedInterrupt() {
        Rig.Hw hw = rig.add("/soc/iommu@5");
        hw.mmio().writel(0x100, 2);
        hw.mmio().writel(0x10c, 0x8000_1234);
        hw.mmio().writel(0x108, 1);
        hw.model().translate(1, 0x1000, Access.READ); // latches NO_TTBR with FLAG
        assertNotEquals(0, hw.mmio().readl(0x020));
        int handlers = rig.line.handlers.size();

        IommuDevice inst = driver.probe(hw.pdev());

        assertEquals(8, inst.numStreams());
        assertSame(hw.pdev(), inst.platformDevice());
        for (int sid = 0; sid < 8; sid++) {
            assertEquals(0, hw.mmio().readl(0x100 + 8 * sid));
            assertEquals(0, hw.mmio().readl(0x104 + 8 * sid));
        }
        assertEquals(0, hw.mmio().readl(0x020));
        assertEquals(1, hw.mmio().count(0x010, 0xff01));
        assertEquals(handlers + 1, rig.line.handlers.size());
        assertEquals("test-iommu fault handler", rig.line.handlers.get(handlers).name());
        assertTrue(rig.line.handlers.get(handlers).shared());
    }

    @Test
    void probeRefusesALockedInstance() {
        Rig.Hw hw = rig.add("/soc/iommu@6", Map.of("locked", "true"));
        IommuException e = fails(Errno.EINVAL, () -> driver.probe(hw.pdev()));
        assertEquals("EINVAL: /soc/iommu@6: test-iommu is locked", e.getMessage());
    }

    @Test
    void probeTimesOutOnAStuckCommandWithoutTakingTheInterrupt() {
        Rig.Hw hw = rig.add("/soc/iommu@7", Map.of("busy-stuck", "true"));
        int handlers = rig.line.handlers.size();
        IommuException e = fails(Errno.ETIMEDOUT, () -> driver.probe(hw.pdev()));
        assertEquals("ETIMEDOUT: /soc/iommu@7: invalidate of stream all timed out (CMD busy)", e.getMessage());
        assertEquals(handlers, rig.line.handlers.size());
    }

    @Test
    void removeBlocksEveryStreamAndFreesTheInterrupt() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.attachDev(a);
        int handlers = rig.line.handlers.size();
        driver.remove(inst0);
        assertEquals(0, hw0.mmio().readl(0x100));
        assertEquals(0, hw0.mmio().readl(0x104));
        assertEquals(handlers - 1, rig.line.handlers.size());
        assertEquals("BLOCKED", hw0.model().translate(0, 0, Access.READ).fault());
        assertEquals(1, rig.line.unhandledCount()); // nobody left to answer for instance 0
    }

    @Test
    void capabilities() {
        assertTrue(driver.capable(null, Capability.DEFERRED_FLUSH));
        assertFalse(driver.capable(null, Capability.CACHE_COHERENCY));
        assertEquals(List.of("iommulab,test-iommu"), driver.compatibles());
        assertEquals("test-iommu", driver.name());
    }

    // ---- of_xlate, probe_device, groups ---------------------------------------------------

    @Test
    void ofXlateRejectsAStreamBeyondTheInstance() {
        FakeMaster m = new FakeMaster("/soc/dev-z", -1);
        IommuException e = fails(Errno.EINVAL, () -> driver.ofXlate(m, inst0, new int[] {8}));
        assertTrue(e.getMessage().contains(N0) && e.getMessage().contains("stream 8"), e.getMessage());
        assertNull(m.priv());
        fails(Errno.EINVAL, () -> driver.ofXlate(m, inst0, new int[] {1, 2}));
    }

    @Test
    void probeDeviceNeedsOfXlateAndReleaseClearsIt() {
        FakeMaster m = new FakeMaster("/soc/dev-z", -1);
        fails(Errno.ENODEV, () -> driver.probeDevice(m));
        FakeMaster b = master("/soc/dev-b", -1, inst0, 1, inst1, 1);
        MasterCfg cfg = (MasterCfg) b.priv();
        assertEquals(2, cfg.instanceCount());
        assertTrue(cfg.has((TestIommuInstance) inst0, 1) && cfg.has((TestIommuInstance) inst1, 1));
        assertFalse(cfg.has((TestIommuInstance) inst0, 0));
        driver.releaseDevice(b);
        assertNull(b.priv());
    }

    @Test
    void mastersSharingAStreamGetOneGroup() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        FakeMaster c = master("/soc/dev-c", -1, inst0, 3);
        FakeMaster d = master("/soc/dev-d", -1, inst0, 3);
        FakeMaster b = master("/soc/dev-b", -1, inst0, 1, inst1, 1);
        IommuGroup ga = driver.deviceGroup(a, groups);
        IommuGroup gc = driver.deviceGroup(c, groups);
        IommuGroup gd = driver.deviceGroup(d, groups);
        IommuGroup gb = driver.deviceGroup(b, groups);
        assertSame(gc, gd);
        assertNotSame(ga, gc);
        assertNotSame(gb, ga);
        assertEquals(3, groups.genericCalls);
        // Stream 1 of instance 1 belongs to dev-b's group too.
        FakeMaster e = master("/soc/dev-e", -1, inst1, 1);
        assertSame(gb, driver.deviceGroup(e, groups));
    }

    @Test
    void groupLinksAreDroppedWhenAllItsMastersAreReleased() {
        FakeMaster c = master("/soc/dev-c", -1, inst0, 3);
        FakeMaster d = master("/soc/dev-d", -1, inst0, 3);
        IommuGroup g = driver.deviceGroup(c, groups);
        driver.deviceGroup(d, groups);
        driver.releaseDevice(c);
        FakeMaster c2 = master("/soc/dev-c", -1, inst0, 3);
        assertSame(g, driver.deviceGroup(c2, groups), "dev-d still holds stream 3");
        driver.releaseDevice(c2);
        driver.releaseDevice(d);
        FakeMaster c3 = master("/soc/dev-c", -1, inst0, 3);
        assertNotSame(g, driver.deviceGroup(c3, groups));
    }

    @Test
    void pciFunctionsUsePciGroupsAndShareByStream() {
        FakeMaster nic0 = master("/soc/pcie/pci@0,0/nic@0,0", 0x100, inst1, 4);
        FakeMaster nic1 = master("/soc/pcie/pci@0,0/nic@0,1", 0x101, inst1, 4);
        IommuGroup g0 = driver.deviceGroup(nic0, groups);
        assertSame(g0, driver.deviceGroup(nic1, groups));
        assertEquals(1, groups.pciCalls);
        assertEquals(0, groups.genericCalls);
        FakeMaster nic2 = master("/soc/pcie/pci@0,0/nic@0,2", 0x102, inst1, 5);
        assertSame(g0, driver.deviceGroup(nic2, groups), "pci_device_group joins functions of one device");
        assertEquals(2, groups.pciCalls);
    }

    @Test
    void masterSpanningTwoGroupsIsRefused() {
        driver.deviceGroup(master("/soc/dev-a", -1, inst0, 0), groups);
        driver.deviceGroup(master("/soc/dev-c", -1, inst0, 3), groups);
        FakeMaster bad = master("/soc/dev-bad", -1, inst0, 0, inst0, 3);
        IommuException e = fails(Errno.EINVAL, () -> driver.deviceGroup(bad, groups));
        assertTrue(e.getMessage().contains("/soc/dev-bad"), e.getMessage());
    }

    // ---- identity and blocked domains ------------------------------------------------------

    @Test
    void identityBypassesEveryStreamOfTheMasterAndBlockedStopsIt() {
        FakeMaster b = master("/soc/dev-b", -1, inst0, 1, inst1, 1);
        driver.identityDomain().attachDev(b);
        assertEquals(2, hw0.mmio().readl(0x108));
        assertEquals(2, hw1.mmio().readl(0x108));
        Translation t = hw1.model().translate(1, DATA + 0x10, Access.WRITE);
        assertEquals(DATA + 0x10, t.paddr());
        driver.blockedDomain().attachDev(b);
        assertEquals(0, hw0.mmio().readl(0x108));
        assertEquals(0, hw1.mmio().readl(0x108));
        assertEquals("BLOCKED", hw0.model().translate(1, DATA, Access.READ).fault());
    }

    @Test
    void identityNeedsBypassSupportOnEveryInstanceAndChangesNothingOtherwise() {
        Rig.Hw nb = rig.add("/soc/iommu@8", Map.of("bypass", "false"));
        IommuDevice instNb = driver.probe(nb.pdev());
        FakeMaster m = master("/soc/dev-m", -1, inst0, 2, instNb, 2);
        IommuException e = fails(Errno.EINVAL, () -> driver.identityDomain().attachDev(m));
        assertTrue(e.getMessage().contains("/soc/iommu@8"), e.getMessage());
        assertEquals(0, hw0.mmio().readl(0x110));
        assertEquals(0, nb.mmio().readl(0x110));
    }

    // ---- paging domains ------------------------------------------------------------------

    @Test
    void attachProgramsTtbrThenTranslateThenInvalidates() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        assertEquals(0x20_1000L, dom.pgsizeBitmap());
        assertEquals(0, dom.geometry().apertureStart());
        assertEquals(0x3fff_ffffL, dom.geometry().apertureEnd());
        assertTrue(dom.geometry().forceAperture());
        dom.attachDev(a);
        List<long[]> w = hw0.mmio().writes;
        assertEquals(3, w.size());
        assertArrayEquals(new long[] {0x104, 0x8000_0000L | (Rig.POOL >>> 12)}, w.get(0));
        assertArrayEquals(new long[] {0x100, 1}, w.get(1));
        assertArrayEquals(new long[] {0x010, 0x001}, w.get(2));
    }

    @Test
    void mappedPagesTranslateInTheModelAndInIovaToPhys() {
        FakeMaster b = master("/soc/dev-b", -1, inst0, 1, inst1, 1);
        DomainOps dom = driver.domainAllocPaging(b);
        dom.attachDev(b);
        assertEquals(0x4000, dom.mapPages(0x10_0000, DATA, 0x1000, 4, RW));
        assertEquals(0x20_0000, dom.mapPages(0x40_0000, Rig.RAM + 0x20_0000, 0x20_0000, 1, Prot.READ));
        dom.iotlbSyncMap(0x10_0000, 0x4000);
        assertEquals(DATA + 0x2345, dom.iovaToPhys(0x10_2345));
        assertEquals(Rig.RAM + 0x21_2345, dom.iovaToPhys(0x41_2345));
        assertEquals(0, dom.iovaToPhys(0x10_4000));
        assertEquals(0, dom.iovaToPhys(0x4000_0000L));
        for (Rig.Hw hw : List.of(hw0, hw1)) {
            assertEquals(DATA + 0x2345, hw.model().translate(1, 0x10_2345, Access.WRITE).paddr());
            assertEquals(Rig.RAM + 0x21_2345, hw.model().translate(1, 0x41_2345, Access.READ).paddr());
            assertEquals("WRITE_PROT", hw.model().translate(1, 0x41_0000, Access.WRITE).fault());
        }
        assertEquals(2, rig.pages.pagesInUse()); // L1 + one L2
        assertEquals(Map.of("io.iommulab.testiommu:" + N0, 2L), rig.pages.pagesByOwner());
    }

    @Test
    void mapOverAnExistingEntryFailsWithEexistAndChangesNothing() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.mapPages(0x10_0000, DATA, 0x1000, 1, RW);
        dom.mapPages(0x20_0000, Rig.RAM + 0x20_0000, 0x20_0000, 1, RW);
        long pages = rig.pages.pagesInUse();

        fails(Errno.EEXIST, () -> dom.mapPages(0xf_e000, DATA + 0x10000, 0x1000, 4, RW));
        assertEquals(0, dom.iovaToPhys(0xf_e000));
        assertEquals(0, dom.iovaToPhys(0xf_f000));
        assertEquals(DATA, dom.iovaToPhys(0x10_0000));

        fails(Errno.EEXIST, () -> dom.mapPages(0x1f_f000, DATA, 0x1000, 2, RW)); // second page in the block
        assertEquals(0, dom.iovaToPhys(0x1f_f000));
        fails(Errno.EEXIST, () -> dom.mapPages(0x0, Rig.RAM, 0x20_0000, 1, RW));    // table with a page
        fails(Errno.EEXIST, () -> dom.mapPages(0x20_0000, Rig.RAM, 0x20_0000, 1, RW));
        assertEquals(pages, rig.pages.pagesInUse());
    }

    @Test
    void blockMayReplaceAnEmptyTable() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.mapPages(0x60_0000, DATA, 0x1000, 1, RW);
        assertEquals(0x1000, dom.unmapPages(0x60_0000, 0x1000, 1, null));
        assertEquals(2, rig.pages.pagesInUse());
        assertEquals(0x20_0000, dom.mapPages(0x60_0000, Rig.RAM + 0x40_0000, 0x20_0000, 1, RW));
        assertEquals(1, rig.pages.pagesInUse());
        assertEquals(Rig.RAM + 0x40_1234, dom.iovaToPhys(0x60_1234));
    }

    @Test
    void unmapStopsAtTheFirstHoleAndNeverSplitsABlock() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.mapPages(0x10_0000, DATA, 0x1000, 4, RW);
        FakeGather gather = new FakeGather(false);
        assertEquals(0x4000, dom.unmapPages(0x10_0000, 0x1000, 8, gather));
        assertEquals(0x10_0000, gather.start());
        assertEquals(0x10_3fff, gather.end());
        assertEquals(0, dom.unmapPages(0x10_0000, 0x1000, 1, null));

        dom.mapPages(0x20_0000, Rig.RAM + 0x20_0000, 0x20_0000, 1, RW);
        assertEquals(0, dom.unmapPages(0x20_1000, 0x1000, 1, null));
        assertEquals(0, dom.unmapPages(0x20_0000, 0x1000, 512, null));
        assertEquals(Rig.RAM + 0x20_1000, dom.iovaToPhys(0x20_1000));
        assertEquals(0x20_0000, dom.unmapPages(0x20_0000, 0x20_0000, 2, null)); // one block, then a hole
        assertEquals(0, dom.iovaToPhys(0x20_1000));
    }

    @Test
    void blockSizedUnmapClearsAndFreesAPopulatedTable() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.mapPages(0x40_0000, DATA, 0x1000, 3, RW);
        dom.mapPages(0x60_0000, DATA, 0x1000, 1, RW);
        dom.unmapPages(0x60_0000, 0x1000, 1, null); // leaves an empty table at 0x60_0000
        assertEquals(3, rig.pages.pagesInUse());
        assertEquals(0x20_0000, dom.unmapPages(0x40_0000, 0x20_0000, 2, null)); // empty table is a hole
        assertEquals(0, dom.iovaToPhys(0x40_1000));
        assertEquals(2, rig.pages.pagesInUse());
    }

    @Test
    void allocationFailureReportsWhatWasMapped() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        rig.pages.failAfter(1);
        // 2 pages under L1[0], 512 under L1[1], 2 under L1[2]: the second L2 table cannot be had.
        IommuException e = fails(Errno.ENOMEM, () -> dom.mapPages(0x1f_e000, DATA, 0x1000, 516, RW));
        assertEquals(0x2000, e.partialBytes());
        assertEquals(DATA + 0x1000, dom.iovaToPhys(0x1f_f000));
        assertEquals(0, dom.iovaToPhys(0x20_0000));
        rig.pages.failAfter(-1);
        assertEquals(0x2000, dom.unmapPages(0x1f_e000, 0x1000, 2, null));
    }

    @Test
    void freeReturnsEveryTablePage() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.mapPages(0x0, DATA, 0x1000, 1, RW);
        dom.mapPages(0x3fe0_0000L, DATA, 0x1000, 512, RW);
        dom.mapPages(0x20_0000, Rig.RAM, 0x20_0000, 1, RW);
        assertEquals(3, rig.pages.pagesInUse());
        dom.free();
        assertEquals(0, rig.pages.pagesInUse());
        assertEquals(0, dom.iovaToPhys(0x0));
        fails(Errno.EINVAL, () -> dom.mapPages(0x0, DATA, 0x1000, 1, RW));
    }

    @Test
    void badArgumentsAreRefusedBeforeTouchingTheTable() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        fails(Errno.EINVAL, () -> dom.mapPages(0x1000, DATA, 0x4000, 1, RW));
        fails(Errno.EINVAL, () -> dom.mapPages(0x1800, DATA, 0x1000, 1, RW));
        fails(Errno.EINVAL, () -> dom.mapPages(0x1000, DATA + 0x800, 0x1000, 1, RW));
        fails(Errno.ERANGE, () -> dom.mapPages(0x3fff_f000L, DATA, 0x1000, 2, RW));
        fails(Errno.ERANGE, () -> dom.mapPages(0x1000, 1L << 48, 0x1000, 1, RW));
        assertEquals(1, rig.pages.pagesInUse());
    }

    @Test
    void unmapOutsideTheApertureUnmapsNothing() {
        // iommu_unmap checks no aperture (the differential campaign's oracle): nothing is mapped there
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.attachDev(a);
        assertEquals(0x1000, dom.mapPages(0x3fff_f000L, DATA, 0x1000, 1, RW));
        assertEquals(0, dom.unmapPages(0x4000_0000L, 0x1000, 33, null), "wholly outside");
        assertEquals(0x1000, dom.unmapPages(0x3fff_f000L, 0x1000, 4, null), "stops at the aperture's end");
        assertEquals(0, dom.iovaToPhys(0x3fff_f000L));
    }

    // ---- IOTLB maintenance --------------------------------------------------------------

    @Test
    void unmapWithoutSyncLeavesAStaleTranslationUntilIotlbSync() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.attachDev(a);
        dom.mapPages(0x10_0000, DATA, 0x1000, 1, RW);
        assertTrue(hw0.model().translate(0, 0x10_0010, Access.READ).ok());
        FakeGather gather = new FakeGather(false);
        dom.unmapPages(0x10_0000, 0x1000, 1, gather);
        assertEquals(DATA + 0x10, hw0.model().translate(0, 0x10_0010, Access.READ).paddr(), "stale until sync");
        dom.iotlbSync(gather);
        assertEquals("NO_PTE", hw0.model().translate(0, 0x10_0010, Access.READ).fault());
    }

    @Test
    void syncsInvalidateEveryAttachedStreamAndNothingForAnEmptyGather() {
        FakeMaster b = master("/soc/dev-b", -1, inst0, 1, inst1, 1);
        FakeMaster c = master("/soc/dev-c", -1, inst0, 3);
        DomainOps dom = driver.domainAllocPaging(b);
        dom.attachDev(b);
        dom.attachDev(c);
        hw0.mmio().writes.clear();
        hw1.mmio().writes.clear();
        dom.iotlbSync(new FakeGather(false));
        assertTrue(hw0.mmio().writes.isEmpty() && hw1.mmio().writes.isEmpty());
        dom.iotlbSyncMap(0, 0x1000);
        dom.flushIotlbAll();
        assertEquals(2, hw0.mmio().count(0x010, 0x101));
        assertEquals(2, hw0.mmio().count(0x010, 0x301));
        assertEquals(2, hw1.mmio().count(0x010, 0x101));
        assertEquals(6, hw0.mmio().writes.size() + hw1.mmio().writes.size());
    }

    @Test
    void aStreamMovedToAnotherDomainIsNoLongerFlushedByTheOldOne() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        TestDomain first = (TestDomain) driver.domainAllocPaging(a);
        TestDomain second = (TestDomain) driver.domainAllocPaging(a);
        first.attachDev(a);
        second.attachDev(a);
        assertEquals("", first.attachedStreams());
        assertEquals(N0 + ":0", second.attachedStreams());
        driver.identityDomain().attachDev(a);
        assertEquals("", second.attachedStreams());
        hw0.mmio().writes.clear();
        first.flushIotlbAll();
        second.flushIotlbAll();
        assertTrue(hw0.mmio().writes.isEmpty());
    }

    @Test
    void concurrentMapsIntoOneRegionShareOneL2Table() throws Exception {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                long base = (long) round << 21;
                List<Future<Long>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    long iova = base + t * 64L * 0x1000;
                    fs.add(pool.submit(() -> dom.mapPages(iova, DATA + (iova & 0x1f_ffff), 0x1000, 64, RW)));
                }
                for (Future<Long> f : fs) {
                    assertEquals(64 * 0x1000L, f.get(30, TimeUnit.SECONDS));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(21, rig.pages.pagesInUse());
        for (long iova = 0; iova < 20L << 21; iova += 0x1000) {
            assertEquals(DATA + (iova & 0x1f_ffff), dom.iovaToPhys(iova));
        }
    }

    // ---- fault interrupt ------------------------------------------------------------------

    @Test
    void faultIsDecodedClearedAndReported() {
        FakeMaster a = master("/soc/dev-a", -1, inst0, 0);
        DomainOps dom = driver.domainAllocPaging(a);
        dom.attachDev(a);
        dom.mapPages(0x10_0000, DATA, 0x1000, 1, Prot.READ);

        assertEquals("NO_PTE", hw0.model().translate(0, 0x12_3456, Access.READ).fault());
        assertEquals("WRITE_PROT", hw0.model().translate(0, 0x10_0008, Access.WRITE).fault());

        assertEquals(List.of(new IommuFault(0, 0x12_3456, false, 0x8000_0004L, "NO_PTE"),
                new IommuFault(0, 0x10_0008, true, 0x8000_0010L, "WRITE_PROT")), hw0.pdev().faults);
        assertEquals(0, hw0.mmio().readl(0x020));
        assertEquals(0, rig.line.unhandledCount());
        assertTrue(hw1.pdev().faults.isEmpty());
    }

    @Test
    void sharedLineAnswersOnlyForTheInstanceThatFaulted() {
        assertEquals("BLOCKED", hw1.model().translate(6, 0x1_0000_2000L, Access.READ).fault());
        assertEquals(List.of(new IommuFault(6, 0x1_0000_2000L, false, 0x8006_0020L, "BLOCKED")), hw1.pdev().faults);
        assertTrue(hw0.pdev().faults.isEmpty());
        assertEquals(0, rig.line.unhandledCount());
        rig.line.raise(); // nobody's
        assertEquals(1, rig.line.unhandledCount());
    }

    @Test
    void faultMessagesAreRateLimitedTenPerFiveSeconds() {
        AtomicLong clock = new AtomicLong(1_000);
        Rig.Hw hw = rig.add("/soc/iommu@100020000");
        new TestIommuDriver(clock::get).probe(hw.pdev());
        String translationFault = hw.path() + ": translation fault: ";
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 12; i++) {
                assertEquals("BLOCKED", hw.model().translate(0, 0x1000L * i, Access.READ).fault());
            }
            assertEquals(10, log.matching(translationFault).size());
            assertEquals(12, hw.pdev().faults.size(), "every fault is still reported");
            clock.addAndGet(RateLimit.INTERVAL_NANOS - 1);
            hw.model().translate(0, 0x10_0000, Access.READ);
            assertEquals(10, log.matching(translationFault).size(), "window not over yet");
            clock.addAndGet(1);
            hw.model().translate(0, 0x10_1000, Access.READ);
            assertEquals(11, log.matching(translationFault).size());
            assertEquals(1, log.matching(hw.path() + ": 3 callbacks suppressed").size());
        }
    }
}
