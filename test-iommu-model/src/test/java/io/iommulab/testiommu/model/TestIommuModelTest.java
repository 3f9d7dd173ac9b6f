package io.iommulab.testiommu.model;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IotlbEntry;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.testiommu.fake.FakeModelContext;
import io.iommulab.testiommu.fake.Rig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The model against the datasheet, with tables written as raw entries (no driver code involved).
 * Offsets and values are literal on purpose: they pin the register layout.
 */
class TestIommuModelTest {

    static final long L1 = Rig.RAM + 0x10_0000;
    static final long L2 = Rig.RAM + 0x10_1000;
    static final long L2B = Rig.RAM + 0x10_2000;

    Rig rig;
    Rig.Hw hw;
    int irqs;

    @BeforeEach
    void setUp() {
        rig = new Rig();
        hw = rig.add("/soc/iommu@100000000");
        rig.line.request("test counter", irq -> {
            irqs++;
            return IrqReturn.NONE;
        }, true);
    }

    int read(int off) {
        return hw.mmio().readl(off);
    }

    void write(int off, int value) {
        hw.mmio().writel(off, value);
    }

    /** Stream {@code sid} translates through the L1 table at {@link #L1}. */
    void translateStream(int sid) {
        write(0x104 + 8 * sid, 0x8000_0000 | (int) (L1 >>> 12));
        write(0x100 + 8 * sid, 1);
    }

    /** IOVA 0x1000 -> RAM+0x5000 (rw), 0x2000 -> RAM+0x6000 (read only), 0x3000 -> RAM+0x7000 (write only). */
    void mapSmall() {
        rig.memory.write64(L1, L2 | 0x3);
        rig.memory.write64(L2 + 8 * 1, (Rig.RAM + 0x5000) | 0xc1);
        rig.memory.write64(L2 + 8 * 2, (Rig.RAM + 0x6000) | 0x41);
        rig.memory.write64(L2 + 8 * 3, (Rig.RAM + 0x7000) | 0x81);
    }

    @Test
    void idAndConfigRegistersFollowTheOptions() {
        assertEquals(0x0001_0c08, read(0x000));
        assertEquals(0, read(0x004));
        Rig.Hw other = rig.add("/soc/iommu@1", Map.of("streams", "16", "bypass", "false", "locked", "true"));
        assertEquals(0x0000_0c10, other.mmio().readl(0x000));
        assertEquals(1, other.mmio().readl(0x004));
    }

    @Test
    void badOptionIsRejectedNamingNodeAndValue() {
        FakeModelContext ctx = new FakeModelContext("/soc/iommu@9", rig.memory, rig.line, Map.of("streams", "300"));
        IommuException e = assertThrows(IommuException.class, () -> new TestIommuModel(ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("/soc/iommu@9") && e.getMessage().contains("streams=300"), e.getMessage());
    }

    @Test
    void unknownOptionIsRejectedAsEveryModelRejectsIt() {
        FakeModelContext ctx = new FakeModelContext("/soc/iommu@9", rig.memory, rig.line, Map.of("stream", "16"));
        IommuException e = assertThrows(IommuException.class, () -> new TestIommuModel(ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: /soc/iommu@9: test-iommu model: unknown option stream=16 (known: busy-stuck, bypass, "
                + "iotlb-entries, locked, streams)", e.getMessage());
    }

    @Test
    void resetStateBlocksAndLatchesTheError() {
        Translation t = hw.model().translate(2, 0x1234, Access.READ);
        assertEquals("BLOCKED", t.fault());
        assertEquals(0x8002_0020, read(0x020));
        assertEquals(0x1234, read(0x024));
        assertEquals(0, read(0x028));
        assertEquals(1, irqs);
    }

    @Test
    void bothCtrlBitsBlockToo() {
        write(0x100, 3);
        assertEquals("BLOCKED", hw.model().translate(0, 0, Access.READ).fault());
    }

    @Test
    void bypassPassesAddressesThroughToTheEndOfThe2MiBRegion() {
        write(0x108, 2);
        Translation t = hw.model().translate(1, 0x8_0012_3456L, Access.WRITE);
        assertTrue(t.ok());
        assertEquals(0x8_0012_3456L, t.paddr());
        assertEquals(0x20_0000 - 0x12_3456, t.span());
    }

    @Test
    void translatesPagesAndBlocksWithSpan() {
        mapSmall();
        rig.memory.write64(L1 + 8 * 1, (Rig.RAM + 0x40_0000) | 0xc1); // block at IOVA 0x20_0000
        translateStream(0);
        Translation page = hw.model().translate(0, 0x1abc, Access.READ);
        assertEquals(Rig.RAM + 0x5abc, page.paddr());
        assertEquals(0x1000 - 0xabc, page.span());
        Translation block = hw.model().translate(0, 0x21_0010, Access.WRITE);
        assertEquals(Rig.RAM + 0x41_0010, block.paddr());
        assertEquals(0x20_0000 - 0x1_0010, block.span());
        assertEquals(0, read(0x020));
        assertEquals(0, irqs);
    }

    @Test
    void blockEntryIgnoresBits20To12() {
        rig.memory.write64(L1, (Rig.RAM + 0x40_0000) | 0x1f_f000 | 0x41);
        translateStream(0);
        assertEquals(Rig.RAM + 0x40_0008, hw.model().translate(0, 0x8, Access.READ).paddr());
    }

    @Test
    void faultCodesFollowTheWalk() {
        write(0x100, 1);
        assertEquals("NO_TTBR", faultAndClear(0, 0x1000, Access.READ, 0x8000_0001));
        translateStream(0);
        assertEquals("NO_TABLE", faultAndClear(0, 0x1000, Access.READ, 0x8000_0002));
        mapSmall();
        assertEquals("NO_PTE", faultAndClear(0, 0x4000, Access.READ, 0x8000_0004));
        assertEquals("READ_PROT", faultAndClear(0, 0x3000, Access.READ, 0x8000_0008));
        assertEquals("WRITE_PROT", faultAndClear(0, 0x2000, Access.WRITE, 0x8000_0010));
        assertEquals("NO_TABLE", faultAndClear(0, 0x4000_0000L, Access.READ, 0x8000_0002));
        assertTrue(hw.model().translate(0, 0x3000, Access.WRITE).ok());
        assertTrue(hw.model().translate(0, 0x2000, Access.READ).ok());
        assertEquals(6, irqs);
    }

    private String faultAndClear(int sid, long iova, Access access, int expectedError) {
        Translation t = hw.model().translate(sid, iova, access);
        assertFalse(t.ok());
        assertEquals(expectedError, read(0x020), t.fault());
        assertEquals((int) iova, read(0x024));
        write(0x020, read(0x020));
        assertEquals(0, read(0x020));
        return t.fault();
    }

    @Test
    void tableOutsideRamReadsAsInvalid() {
        write(0x104, 0x8000_0000 | 0x10); // L1 at 0x10000: not RAM
        write(0x100, 1);
        assertEquals("NO_TABLE", hw.model().translate(0, 0x1000, Access.READ).fault());
    }

    @Test
    void firstErrorStaysLatchedUntilWrittenBack() {
        write(0x100, 1);
        hw.model().translate(0, 0x1000, Access.READ);            // NO_TTBR on stream 0
        assertEquals("BLOCKED", hw.model().translate(5, 0x9000, Access.READ).fault());
        assertEquals(0x8000_0001, read(0x020));
        assertEquals(0x1000, read(0x024));
        assertEquals(2, irqs);
        write(0x020, 0);                                          // writing 0 clears nothing
        assertEquals(0x8000_0001, read(0x020));
        write(0x020, 0x8000_0001);
        assertEquals(0, read(0x020));
        hw.model().translate(5, 0x1_2345_6000L, Access.WRITE);
        assertEquals(0x8005_0020, read(0x020));
        assertEquals(0x2345_6000, read(0x024));
        assertEquals(1, read(0x028));
    }

    @Test
    void iotlbKeepsStaleTranslationsUntilTheStreamIsInvalidated() {
        mapSmall();
        translateStream(0);
        translateStream(1);
        assertEquals(Rig.RAM + 0x5000, hw.model().translate(0, 0x1000, Access.READ).paddr());
        rig.memory.write64(L2 + 8, (Rig.RAM + 0x9000) | 0xc1);   // remap without invalidating
        assertEquals(Rig.RAM + 0x5000, hw.model().translate(0, 0x1000, Access.READ).paddr());
        write(0x010, 0x101);                                      // invalidate stream 1 only
        assertEquals(Rig.RAM + 0x5000, hw.model().translate(0, 0x1000, Access.READ).paddr());
        write(0x010, 0x001);                                      // invalidate stream 0
        assertEquals(0, read(0x010) & 0x8000_0000);
        assertEquals(Rig.RAM + 0x9000, hw.model().translate(0, 0x1000, Access.READ).paddr());
        rig.memory.write64(L2 + 8, 0);                            // unmap without invalidating
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok());
        write(0x010, 0xff01);                                     // invalidate all
        assertEquals("NO_PTE", hw.model().translate(0, 0x1000, Access.READ).fault());
        Map<String, Long> c = hw.model().counters();
        assertEquals(3, c.get("iotlb.hits"));
        assertEquals(3, c.get("iotlb.misses"));
        assertEquals(3, c.get("walks"));
        assertEquals(1, c.get("faults"));
        assertEquals(3, c.get("invalidations"));
    }

    @Test
    void iotlbEntriesArePerStreamOldestFirstAndGoWithTheInvalidation() {
        mapSmall();
        translateStream(0);
        translateStream(1);
        hw.model().translate(1, 0x2008, Access.READ);
        hw.model().translate(0, 0x1000, Access.WRITE);
        hw.model().translate(0, 0x3000, Access.WRITE);
        assertEquals(List.of(new IotlbEntry(0, -1, -1, 0x1000, Rig.RAM + 0x5000, 0x1000, Prot.READ | Prot.WRITE),
                new IotlbEntry(0, -1, -1, 0x3000, Rig.RAM + 0x7000, 0x1000, Prot.WRITE),
                new IotlbEntry(1, -1, -1, 0x2000, Rig.RAM + 0x6000, 0x1000, Prot.READ)), hw.model().iotlbEntries());
        write(0x010, 0x001);                                      // invalidate stream 0
        assertEquals(List.of(new IotlbEntry(1, -1, -1, 0x2000, Rig.RAM + 0x6000, 0x1000, Prot.READ)),
                hw.model().iotlbEntries());
    }

    @Test
    void oldestEntryIsEvicted() {
        hw = rig.add("/soc/iommu@2", Map.of("iotlb-entries", "2"));
        mapSmall();
        translateStream(0);
        hw.model().translate(0, 0x1000, Access.READ);
        hw.model().translate(0, 0x2000, Access.READ);
        rig.memory.write64(L2 + 8, (Rig.RAM + 0x9000) | 0xc1);
        rig.memory.write64(L2 + 16, (Rig.RAM + 0xa000) | 0xc1);
        hw.model().translate(0, 0x3000, Access.WRITE);            // evicts 0x1000
        assertEquals(Rig.RAM + 0x9000, hw.model().translate(0, 0x1000, Access.READ).paddr()); // evicts 0x2000
        assertEquals(Rig.RAM + 0xa000, hw.model().translate(0, 0x2000, Access.READ).paddr());
        assertEquals(0, hw.model().counters().get("iotlb.hits"));
    }

    @Test
    void busyStuckNeverFinishesAndInvalidatesNothing() {
        hw = rig.add("/soc/iommu@3", Map.of("busy-stuck", "true"));
        mapSmall();
        translateStream(0);
        hw.model().translate(0, 0x1000, Access.READ);
        rig.memory.write64(L2 + 8, 0);
        write(0x010, 0x001);
        for (int i = 0; i < 3; i++) {
            assertEquals(0x8000_0000, read(0x010) & 0x8000_0000);
        }
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok());
        assertEquals(0, hw.model().counters().get("invalidations"));
    }

    @Test
    void failNthLosesOneCommandsCompletionAndTheNextCommandRuns() {
        mapSmall();
        translateStream(0);
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok());
        rig.memory.write64(L2 + 8, 0);
        rig.failNth.arm(1, List.of(FailNth.BUSY_STUCK));
        write(0x010, 0x001);
        for (int i = 0; i < 3; i++) {
            assertEquals(0x8000_0000, read(0x010) & 0x8000_0000, "BUSY stays set");
        }
        assertTrue(hw.model().translate(0, 0x1000, Access.READ).ok(), "the lost command invalidated nothing");
        assertEquals("/soc/iommu@100000000", rig.failNth.state().where());
        write(0x010, 0x001);
        assertEquals(0, read(0x010) & 0x8000_0000, "the next command is taken and completes");
        assertFalse(hw.model().translate(0, 0x1000, Access.READ).ok(), "and invalidated");
        assertEquals(1, hw.model().counters().get("invalidations"));
    }

    @Test
    void lockedInstanceIgnoresCtrlAndTtbrWrites() {
        hw = rig.add("/soc/iommu@4", Map.of("locked", "true"));
        write(0x100, 2);
        write(0x104, 0x8000_0100);
        assertEquals(0, read(0x100));
        assertEquals(0, read(0x104));
        assertEquals("BLOCKED", hw.model().translate(0, 0, Access.READ).fault());
    }

    @Test
    void ctrlAndTtbrKeepOnlyDefinedBits() {
        write(0x100, 0xffff_ffff);
        write(0x104, 0xffff_ffff);
        assertEquals(3, read(0x100));
        assertEquals(0x8fff_ffff, read(0x104));
        assertEquals(0, read(0x140)); // CTRL[8] does not exist with 8 streams
    }

    @Test
    void streamBeyondTheInstanceIsBlocked() {
        assertEquals("BLOCKED", hw.model().translate(8, 0, Access.READ).fault());
        assertEquals(0x8008_0020, read(0x020));
    }

    @Test
    void iotlbHitAllocatesOnlyTheTranslation() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return;
        }
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
        if (!bean.isThreadAllocatedMemorySupported() || !bean.isThreadAllocatedMemoryEnabled()) {
            return;
        }
        mapSmall();
        translateStream(0);
        TestIommuModel model = hw.model();
        long sink = 0;
        for (int i = 0; i < 300_000; i++) {
            sink += model.translate(0, 0x1000 + (i & 0xfff), Access.READ).paddr();
        }
        int n = 100_000;
        long before = bean.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int i = 0; i < n; i++) {
            sink += model.translate(0, 0x1000 + (i & 0xfff), Access.READ).paddr();
        }
        long bytes = bean.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(sink != 0);
        // A Translation record is 32 bytes with compressed oops; allow for it and the MX call itself.
        assertTrue(bytes <= 40L * n + 64 * 1024, "allocated " + bytes + " bytes for " + n + " hits");
    }

    @Test
    void concurrentDmaOnStreamsWhileInvalidating() throws Exception {
        mapSmall();
        for (int sid = 0; sid < 4; sid++) {
            translateStream(sid);
        }
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int sid = t;
                results.add(pool.submit(() -> {
                    long ok = 0;
                    for (int i = 0; i < 20_000; i++) {
                        Translation tr = hw.model().translate(sid, 0x1000 + (i & 0xff8), Access.READ);
                        assertEquals(Rig.RAM + 0x5000 + (i & 0xff8), tr.paddr());
                        ok++;
                    }
                    return ok;
                }));
            }
            Future<?> inval = pool.submit(() -> {
                for (int i = 0; i < 2_000; i++) {
                    write(0x010, ((i & 3) << 8) | 1);
                }
            });
            for (Future<Long> f : results) {
                assertEquals(20_000L, f.get(30, TimeUnit.SECONDS));
            }
            inval.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> c = hw.model().counters();
        assertEquals(80_000, c.get("iotlb.hits") + c.get("iotlb.misses"));
        assertEquals(2_000, c.get("invalidations"));
        assertEquals(0, c.get("faults"));
    }
}
