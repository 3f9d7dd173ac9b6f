package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.DMA;
import static io.iommulab.smmu.impl.Board.SMMU0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.MmioRecordingDriver.Write;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazy invalidation on the SMMU, the backend that gets flush-queue (DMA-FQ) domains: the arm-smmu
 * driver and the SMMU model under the IOMMU core's DMA API, the DMA sanitizer on. dma_unmap leaves
 * the TLB as it is until the queue flushes (one TLBIASID and its sync); a transaction on the IOVA
 * in between is the documented exposure, measured and no finding; after the flush the IOVA faults,
 * and a translation that still gets through (the flush skipped) is a finding. Under the queue's own
 * timer every window closes, none lasts longer than the timeout plus how late the host ran the
 * timer, and the sanitizer's flushes are the TLBIASIDs on the bus.
 */
class FlushQueueTest {

    private static final Logger LOG = LoggerFactory.getLogger(FlushQueueTest.class);
    static final long PG = 0x4000;

    SmmuRig rig;
    DmaApiImpl dmaApi;
    DmaMaster dma;
    long buf;

    @BeforeEach
    void boot() {
        rig = SmmuRig.boot("smmu", CoreConfig.defaults().withStrict(false).withSanitize(true), System::nanoTime, true);
        assertEquals(DomainType.DMA_FQ, rig.engine.domainOf(DMA).type(), "lazy: the SMMU's DMA domains get a flush queue");
        dma = rig.master(DMA);
        buf = rig.ram() + 0x200_0000;
    }

    @AfterEach
    void stop() {
        if (dmaApi != null) {
            dmaApi.close();
        }
        rig.engine.shutdown();
    }

    private SmmuDomain ops() {
        return (SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops();
    }

    private FlushQueueDTO queue() {
        int id = rig.engine.domainOf(DMA).id();
        return rig.engine.sanitizer().flushQueues().stream().filter(q -> q.domain() == id).findFirst().orElseThrow();
    }

    private List<SanitizerFindingDTO> findings() {
        return rig.engine.sanitizer().history();
    }

    /** @return the TLB maintenance of the domain's bank since the last call: TLBIVAL, TLBIASID, TLBSYNC */
    private List<Write> tlbWrites() {
        long b = rig.bankBase(SMMU0, ops().cbndx());
        List<Write> out = new ArrayList<>();
        for (Write w : rig.rec.take()) {
            long o = w.offset() - b;
            if (o == SmmuRegs.CB_S1_TLBIVAL || o == SmmuRegs.CB_S1_TLBIVAL + 4 || o == SmmuRegs.CB_S1_TLBIASID
                    || o == SmmuRegs.CB_TLBSYNC) {
                out.add(w);
            }
        }
        return out;
    }

    private List<Write> tlbiasidAndSync() {
        long b = rig.bankBase(SMMU0, ops().cbndx());
        return List.of(new Write(SMMU0, b + SmmuRegs.CB_S1_TLBIASID, ops().asid()),
                new Write(SMMU0, b + SmmuRegs.CB_TLBSYNC, SmmuRegs.DUMMY_VAL));
    }

    /** A queue whose timer never fires within a test: the window closes when the test drains it. */
    private DmaDevice drainedByTheTest() {
        dmaApi = new DmaApiImpl(rig.engine, 1, TimeUnit.HOURS);
        return dmaApi.device(DMA);
    }

    @Test
    void dmaInsideTheWindowIsTheExposureAndTheQueuesFlushClosesIt() {
        DmaDevice dd = drainedByTheTest();
        long iova = dd.mapPage(buf, PG, DmaDirection.BIDIRECTIONAL);
        assertTrue(dma.read(0, iova, 64).ok(), "fills the TLB");
        tlbWrites();
        dd.unmapPage(iova, PG, DmaDirection.BIDIRECTIONAL);
        assertEquals(List.of(), tlbWrites(), "lazy: the unmap leaves the TLB to the queue");
        assertTrue(dma.read(0, iova, 64).ok(), "inside the window the TLB still serves it");
        assertTrue(dma.write(0, iova + 0x100, new byte[16]).ok());
        FlushQueueDTO open = queue();
        assertEquals(1, open.open(), open.toString());
        assertEquals(0, open.windows());
        assertEquals(2, open.transactions(), "both counted as the queue's exposure");
        assertEquals(List.of(), findings(), "the documented exposure is no finding");

        dd.flush();
        assertEquals(tlbiasidAndSync(), tlbWrites(), "the queue's flush: flush_iotlb_all, TLBIASID and its sync");
        FlushQueueDTO closed = queue();
        assertEquals(0, closed.open());
        assertEquals(1, closed.windows());
        assertEquals(1, closed.flushes());
        assertEquals(TimeUnit.HOURS.toNanos(1), closed.timeoutNs());
        assertTrue(closed.maxNs() > 0 && closed.maxNs() <= closed.timeoutNs(), closed.toString());
        assertEquals(0, closed.lateMaxNs(), "drained before its timer was due");
        assertEquals(0, closed.overdue());
        DmaResult after = dma.read(0, iova, 64);
        assertFalse(after.ok(), "the window is closed: the IOVA faults");
        assertTrue(after.fault().contains("TRANSLATION FAULT"), after.fault());
        assertEquals(2, queue().transactions(), "nothing more got through");
        assertEquals(List.of(), findings());
    }

    /**
     * The driver skips the queue's flush (iommu:inject skip-invalidate 1): the window closes as far
     * as the queue knows, but the TLB still holds the translation, and the DMA it lets through is a
     * stale-translation finding naming the TLBIASID that was due.
     */
    @Test
    void aSuccessAfterTheWindowClosedIsAFinding() {
        DmaDevice dd = drainedByTheTest();
        long iova = dd.mapPage(buf, PG, DmaDirection.BIDIRECTIONAL);
        assertTrue(dma.read(0, iova, 64).ok());
        dd.unmapPage(iova, PG, DmaDirection.BIDIRECTIONAL);
        assertTrue(dma.read(0, iova, 64).ok(), "inside the window");
        rig.engine.inject(SMMU0, PlatformDevice.SKIP_INVALIDATE, 1);
        tlbWrites();
        dd.flush();
        assertEquals(List.of(), tlbWrites(), "TLBIASID and its sync skipped");
        assertEquals(0, queue().open(), "closed as far as the queue knows");

        assertTrue(dma.read(0, iova, 64).ok(), "the TLB still translates the released IOVA");
        List<SanitizerFindingDTO> f = findings();
        assertEquals(1, f.size(), f.toString());
        SanitizerFindingDTO x = f.get(0);
        assertEquals("stale-translation", x.kind());
        assertEquals(SMMU0, x.iommu());
        assertEquals(0x10, x.stream());
        assertTrue(x.device().startsWith(DMA + " "), "the masters on stream 0x10: " + x.device());
        assertEquals(iova, x.iova());
        assertEquals(String.format("0x%x rw", buf), x.cached());
        assertEquals("not mapped (TRANSLATION FAULT (level 3))", x.current());
        assertEquals(String.format("SMMU TLBIVAL ASID %d VA 0x%x (or TLBIASID %d)", ops().asid(), iova, ops().asid()), x.due());
        assertTrue(x.detail().startsWith("PTE cleared; iommu_unmap 0x4000 @0x" + Long.toHexString(iova) + " by domain "
                + rig.engine.domainOf(DMA).id() + " at "), x.detail());
        assertTrue(x.detail().endsWith("iommu:inject skip-invalidate on this IOMMU: 1 occurrence(s) failed"), x.detail());
        assertEquals(1, queue().transactions(), "only the one inside the window is exposure");
    }

    /**
     * The queue under its own timer (IOVA_FQ_TIMEOUT, 10 ms) and a steady load: map, DMA, unmap,
     * and a DMA right after the unmap, which gets through while the window is open and faults once
     * the timer flushed. When every window has closed: as many windows as unmaps, as many
     * transactions inside them as DMAs after an unmap got through, none overdue (no window longer
     * than the timeout plus how late the flush came after the timer was due), one TLBIASID on the
     * bus per flush, every released IOVA faults, no finding.
     */
    @Test
    void underItsTimerEveryWindowIsBoundedByTheTimeoutAndCloses() throws Exception {
        dmaApi = new DmaApiImpl(rig.engine);
        DmaDevice dd = dmaApi.device(DMA);
        tlbWrites();
        int ops = 3000;
        int through = 0;
        List<Long> released = new ArrayList<>();
        for (int i = 0; i < ops; i++) {
            long iova = dd.mapPage(buf + (i % 64) * PG, PG, DmaDirection.TO_DEVICE);
            assertTrue(dma.read(0, iova, 256).ok());
            dd.unmapPage(iova, PG, DmaDirection.TO_DEVICE);
            if (dma.read(0, iova, 64).ok()) {
                through++;
            }
            if (i >= ops - 64) {
                released.add(iova);
            }
        }
        // the last windows close when the timer fires; wait for it (a guard, not a measurement)
        long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (queue().open() > 0 && System.nanoTime() < guard) {
            Thread.sleep(1);
        }
        FlushQueueDTO q = queue();
        LOG.info("flush queue under its timer: {} windows by {} flushes, max {} ns, mean {} ns, timeout {} ns, timer late up to {} ns,"
                + " {} transactions inside, {} overdue", q.windows(), q.flushes(), q.maxNs(), q.meanNs(), q.timeoutNs(),
                q.lateMaxNs(), q.transactions(), q.overdue());
        assertEquals(0, q.open(), "every window closed: " + q);
        assertEquals(ops, q.windows(), q.toString());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(DmaApiImpl.FQ_TIMEOUT_MS), q.timeoutNs());
        assertEquals(0, q.overdue(), "no window outlived the timeout plus the timer's lateness: " + q);
        assertTrue(q.maxNs() <= q.timeoutNs() + q.lateMaxNs(), q.toString());
        assertTrue(q.meanNs() <= q.maxNs() && q.meanNs() > 0, q.toString());
        assertEquals(through, q.transactions(), "each DMA after an unmap that got through was inside its window: " + findings());

        List<Write> writes = tlbWrites();
        long tlbiasid = writes.stream().filter(w -> w.equals(tlbiasidAndSync().get(0))).count();
        assertEquals(q.flushes(), tlbiasid, "one TLBIASID per flush of the queue");
        assertTrue(writes.stream().allMatch(w -> tlbiasidAndSync().contains(w)), "lazy: no TLBIVAL, only the queue's flushes");

        for (long iova : released) {
            assertFalse(dma.read(0, iova, 64).ok(), "closed: 0x" + Long.toHexString(iova) + " faults");
        }
        assertEquals(through, queue().transactions(), "none got through after its window closed");
        assertEquals(List.of(), findings());
    }
}
