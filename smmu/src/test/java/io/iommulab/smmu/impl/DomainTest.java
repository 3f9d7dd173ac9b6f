package io.iommulab.smmu.impl;

import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.LogCapture;

import io.iommulab.testkit.MmioRecordingDriver;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.GatherImpl;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Paging, identity and blocked domains on modelled SMMUs: bank programming, TLB maintenance, DMA. */
class DomainTest {

    static final long PG = 0x4000;
    static final long SZ_32M = 0x200_0000;
    static final int RW = Prot.READ | Prot.WRITE;
    static final byte[] DATA = "SMMU says hello".getBytes(StandardCharsets.US_ASCII);

    SmmuRig rig;
    long buf;

    @BeforeEach
    void boot() {
        rig = SmmuRig.boot("smmu");
        buf = rig.ram() + 0x200_0000;
    }

    private static SmmuDomain ops(IommuDomain d) {
        return (SmmuDomain) ((DomainImpl) d).ops();
    }

    private void assertDmaLands(DmaMaster m, int stream, long iova, long pa) {
        BackendChecks.assertDmaLands(rig.machine.memory(), m, stream, iova, pa, DATA);
    }

    /** @return the writes to {@code offset} (a byte offset in reg[0]) among {@code writes} */
    private static List<MmioRecordingDriver.Write> at(List<MmioRecordingDriver.Write> writes, long offset) {
        return writes.stream().filter(w -> w.offset() == offset).toList();
    }

    private long bank(int cb) {
        return rig.bankBase(SMMU0, cb);
    }

    @Test
    void defaultDomainsAreDmaAndBecomeDmaFqWhenLazyBecauseDeferredFlushIsClaimed() {
        assertEquals(DomainType.DMA, rig.engine.domainOf(DMA).type());
        SmmuRig lazy = SmmuRig.boot("smmu", CoreConfig.defaults().withStrict(false), System::nanoTime, true);
        assertEquals(DomainType.DMA_FQ, lazy.engine.domainOf(DMA).type());
        assertTrue(rig.driver.capable(rig.rec.masters.get(DMA), Capability.DEFERRED_FLUSH));
        assertTrue(rig.driver.capable(rig.rec.masters.get(DMA), Capability.CACHE_COHERENCY), "ID0.CTTW");
        assertNull(rig.driver.defDomainType(rig.rec.masters.get(DMA)));
    }

    @Test
    void firstAttachProgramsTheBankInUpstreamOrderThenTheS2cr() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        SmmuDomain d = ops(dom);
        assertEquals(-1, d.cbndx(), "not finalised before the first attach");
        assertNull(d.tableState());
        rig.rec.take();
        rig.engine.attachGroup(dom, DMA);
        int cb = d.cbndx();
        assertTrue(cb >= 0);
        long table = d.tableState().ttbrs()[0];
        long base = bank(cb);
        // dma's group: dma and joiner share one entry, joiner has a second (which late shares)
        int entry = rig.cfg(DMA).smendx[0];
        int joinerEntry = rig.cfg(JOINER).smendx[1];
        assertEquals(List.of(
                new MmioRecordingDriver.Write(SMMU0, 0x1000 + 0x800 + 4 * cb, SmmuRegs.CBA2R_VA64),
                new MmioRecordingDriver.Write(SMMU0, 0x1000 + 4 * cb, 0x0001_F300),
                new MmioRecordingDriver.Write(SMMU0, base + 0x10, 0x0003_8015),
                new MmioRecordingDriver.Write(SMMU0, base + 0x30, 0x0080_B510),
                new MmioRecordingDriver.Write(SMMU0, base + 0x24, (cb << 16) | (int) (table >>> 32)),
                new MmioRecordingDriver.Write(SMMU0, base + 0x20, (int) table),
                new MmioRecordingDriver.Write(SMMU0, base + 0x2C, cb << 16),
                new MmioRecordingDriver.Write(SMMU0, base + 0x28, 0),
                new MmioRecordingDriver.Write(SMMU0, base + 0x38, 0xf404ff44),
                new MmioRecordingDriver.Write(SMMU0, base + 0x3C, 0),
                new MmioRecordingDriver.Write(SMMU0, base, 0x1067),
                new MmioRecordingDriver.Write(SMMU0, 0xC00 + 4 * entry, cb),
                new MmioRecordingDriver.Write(SMMU0, 0xC00 + 4 * joinerEntry, cb)),
                rig.rec.take());
        assertEquals(((long) cb << 48) | table, rig.cbq(SMMU0, cb, SmmuRegs.CB_TTBR0));
        IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(SMMU0), 1 + cb);
        assertEquals(List.of(SmmuDomain.CONTEXT_IRQ_NAME), line.actions().stream().map(IrqLineImpl.Action::devName).toList());
        // a second attach of the same group writes nothing new
        rig.engine.detachGroup(dom, DMA);
        rig.rec.take();
        rig.engine.attachGroup(dom, DMA);
        assertEquals(List.of(new MmioRecordingDriver.Write(SMMU0, 0xC00 + 4 * entry, cb), new MmioRecordingDriver.Write(SMMU0, 0xC00 + 4 * joinerEntry, cb)),
                rig.rec.take());
    }

    @Test
    void pagingDomainTranslatesEveryStreamOfTheMaster() {
        IommuDomain dom = rig.engine.domainAlloc(GPU, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, GPU);
        dom.map(0x10_0000, buf, PG, RW);
        assertEquals(buf + 0x123, dom.iovaToPhys(0x10_0123));
        DmaMaster gpu = rig.master(GPU);
        assertDmaLands(gpu, 0, 0x10_0040, buf + 0x40);
        assertDmaLands(gpu, 1, 0x10_0080, buf + 0x80);
        DmaResult miss = gpu.read(0, 0x20_0000, 4);
        assertFalse(miss.ok());
        assertTrue(miss.fault().startsWith("TRANSLATION FAULT"), miss.fault());
    }

    @Test
    void unmapInvalidatesEachPageByVaAtOnceAndIotlbSyncWaitsForIt() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        int cb = ops(dom).cbndx();
        dom.map(0x40_0000, buf, 2 * PG, RW);
        DmaMaster dma = rig.master(DMA);
        assertDmaLands(dma, 0, 0x40_4000, buf + PG);
        long before = rig.machine.hardwareCounters(SMMU0).getOrDefault("invalidations.va", 0L);
        rig.rec.take();
        assertEquals(2 * PG, dom.unmap(0x40_0000, 2 * PG));
        long tlbival = bank(cb) + SmmuRegs.CB_S1_TLBIVAL;
        long va0 = (0x40_0000L >>> 12) | ((long) cb << 48);
        long va1 = (0x40_4000L >>> 12) | ((long) cb << 48);
        assertEquals(List.of(
                new MmioRecordingDriver.Write(SMMU0, tlbival + 4, (int) (va0 >>> 32)),
                new MmioRecordingDriver.Write(SMMU0, tlbival, (int) va0),
                new MmioRecordingDriver.Write(SMMU0, tlbival + 4, (int) (va1 >>> 32)),
                new MmioRecordingDriver.Write(SMMU0, tlbival, (int) va1),
                new MmioRecordingDriver.Write(SMMU0, bank(cb) + SmmuRegs.CB_TLBSYNC, SmmuRegs.DUMMY_VAL)),
                rig.rec.take());
        assertEquals(before + 2, rig.machine.hardwareCounters(SMMU0).get("invalidations.va"));
        DmaResult after = dma.read(0, 0x40_4000, 4);
        assertFalse(after.ok(), "the IOTLB entry went with the TLBIVAL");
    }

    @Test
    void aQueuedUnmapStaysStaleUntilFlushIotlbAllInvalidatesTheAsid() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        SmmuDomain d = ops(dom);
        int cb = d.cbndx();
        dom.map(0x80_0000, buf, PG, RW);
        DmaMaster dma = rig.master(DMA);
        assertDmaLands(dma, 0, 0x80_0010, buf + 0x10);
        rig.rec.take();
        // the flush queue's unmap: nothing invalidated now
        ((DomainImpl) dom).unmap(0x80_0000, PG, new GatherImpl(d, true));
        assertEquals(List.of(), rig.rec.take());
        assertEquals(0, dom.iovaToPhys(0x80_0000));
        assertTrue(dma.read(0, 0x80_0010, 4).ok(), "stale IOTLB entry still used");
        d.flushIotlbAll();
        assertEquals(List.of(
                new MmioRecordingDriver.Write(SMMU0, bank(cb) + SmmuRegs.CB_S1_TLBIASID, cb),
                new MmioRecordingDriver.Write(SMMU0, bank(cb) + SmmuRegs.CB_TLBSYNC, SmmuRegs.DUMMY_VAL)),
                rig.rec.take());
        assertFalse(dma.read(0, 0x80_0010, 4).ok());
    }

    @Test
    void mapIsNotSyncedButTheSmmuDoesNotCacheMisses() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        DmaMaster dma = rig.master(DMA);
        assertFalse(dma.read(0, 0xC0_0000, 4).ok());
        rig.rec.take();
        dom.map(0xC0_0000, buf, PG, RW);
        assertEquals(List.of(), rig.rec.take(), "no iotlb_sync_map: map writes no register");
        assertTrue(dma.read(0, 0xC0_0000, 4).ok());
    }

    @Test
    void replacingAnEmptyTableByABlockFlushesTheWalkByVa() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        int cb = ops(dom).cbndx();
        long iova = 4 * SZ_32M;
        dom.map(iova, buf, PG, RW);
        dom.unmap(iova, PG);
        rig.rec.take();
        dom.map(iova, buf, SZ_32M, RW);
        List<MmioRecordingDriver.Write> w = rig.rec.take();
        List<MmioRecordingDriver.Write> tlbiva = at(w, bank(cb) + SmmuRegs.CB_S1_TLBIVA);
        assertEquals(SZ_32M / PG, tlbiva.size(), "one TLBIVA per granule of the replaced table's range");
        assertEquals((int) (iova >>> 12), tlbiva.get(0).value());
        assertEquals((int) ((iova + SZ_32M - PG) >>> 12), tlbiva.get(tlbiva.size() - 1).value());
        assertEquals(new MmioRecordingDriver.Write(SMMU0, bank(cb) + SmmuRegs.CB_TLBSYNC, SmmuRegs.DUMMY_VAL), w.get(w.size() - 1));
        assertDmaLands(rig.master(DMA), 0, iova + SZ_32M - PG, buf + SZ_32M - PG);
    }

    @Test
    void identityDomainBypassesAndBlockedDomainFaults() {
        IommuDomain id = rig.engine.domainAlloc(GPU, DomainType.IDENTITY);
        rig.engine.attachGroup(id, GPU);
        MasterCfg cfg = rig.cfg(GPU);
        for (int e : cfg.smendx) {
            assertEquals(SmmuRegs.S2CR_TYPE_BYPASS << 16, rig.gr0(SMMU0, SmmuRegs.s2cr(e)));
        }
        assertDmaLands(rig.master(GPU), 0, buf + 0x200, buf + 0x200);
        assertDmaLands(rig.master(GPU), 1, buf + 0x300, buf + 0x300);
        rig.engine.detachGroup(id, GPU);
        IommuDomain blocked = rig.engine.domainAlloc(GPU, DomainType.BLOCKED);
        rig.engine.attachGroup(blocked, GPU);
        for (int e : cfg.smendx) {
            assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(SMMU0, SmmuRegs.s2cr(e)));
        }
        DmaResult r = rig.master(GPU).read(0, buf, 4);
        assertFalse(r.ok());
        assertEquals("S2CR FAULT", r.fault());
        // back to the default domain: translation through its bank again
        rig.engine.detachGroup(blocked, GPU);
        int cb = ops(rig.engine.domainOf(GPU)).cbndx();
        assertEquals(cb, rig.gr0(SMMU0, SmmuRegs.s2cr(cfg.smendx[0])));
    }

    @Test
    void aDomainCannotSpanTwoSmmusAndTheRefusalChangesNothing() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        int entry = rig.cfg(VIDEO).smendx[0];
        int s2cr = rig.gr0(SMMU1, SmmuRegs.s2cr(entry));
        rig.rec.take();
        IommuException e = assertThrows(IommuException.class, () -> rig.engine.attachGroup(dom, VIDEO));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("cannot span two SMMUs"), e.getMessage());
        assertEquals(List.of(), rig.rec.take());
        assertEquals(s2cr, rig.gr0(SMMU1, SmmuRegs.s2cr(entry)));
        assertEquals(DomainType.DMA, rig.engine.domainOf(VIDEO).type());
    }

    @Test
    void noFreeContextBankIsEnospcAndChangesNothing() {
        try (LogCapture log = new LogCapture()) {
            SmmuInstance s2 = rig.smmu(SMMU2);
            assertEquals(2, s2.contextBanksInUse().cardinality(), "m1 and m2 hold both banks");
            IommuDomain dom = rig.engine.domainAlloc(M1, DomainType.UNMANAGED);
            int entry = rig.cfg(M1).smendx[0];
            int s2cr = rig.gr0(SMMU2, SmmuRegs.s2cr(entry));
            rig.rec.take();
            IommuException e = assertThrows(IommuException.class, () -> rig.engine.attachGroup(dom, M1));
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains(SMMU2 + ": no free context bank (all 2 in use)"), e.getMessage());
            assertEquals(List.of(), rig.rec.take());
            assertEquals(s2cr, rig.gr0(SMMU2, SmmuRegs.s2cr(entry)));
            assertEquals(-1, ops(dom).cbndx());
            assertEquals(DomainType.DMA, rig.engine.domainOf(M1).type());
            dom.free();
            assertEquals(2, s2.contextBanksInUse().cardinality());
        }
    }

    @Test
    void freeingADomainDisablesAndFreesItsBank() {
        SmmuInstance s0 = rig.smmu(SMMU0);
        long tables = ownedPages();
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DMA);
        int cb = ops(dom).cbndx();
        dom.map(0x4000_0000L, buf, PG, RW);
        assertTrue(s0.contextBanksInUse().get(cb));
        assertTrue(ownedPages() > tables);
        IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(SMMU0), 1 + cb);
        rig.engine.detachGroup(dom, DMA);
        rig.rec.take();
        dom.free();
        List<MmioRecordingDriver.Write> w = rig.rec.take();
        assertEquals(new MmioRecordingDriver.Write(SMMU0, bank(cb), 0), w.get(0), "SCTLR off first");
        assertEquals(1, at(w, bank(cb) + SmmuRegs.CB_S1_TLBIASID).size(), "the table's free flushes the ASID");
        assertEquals(0, rig.cb(SMMU0, cb, SmmuRegs.CB_SCTLR));
        assertFalse(s0.contextBanksInUse().get(cb));
        assertTrue(line.actions().isEmpty(), "context interrupt freed");
        assertEquals(tables, ownedPages());
        IommuDomain next = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        rig.engine.attachGroup(next, DMA);
        assertEquals(cb, ops(next).cbndx(), "the freed bank is the first free one again");
    }

    private long ownedPages() {
        return rig.machine.pages().pagesByOwner().entrySet().stream().filter(e -> e.getKey().startsWith("arm-smmu:" + SMMU0))
                .mapToLong(Map.Entry::getValue).sum();
    }

    @Test
    void pageSizesFollowTheCpuPageSizeAndTheApertureIsTheUpstreamBusSize() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        assertEquals(PG | SZ_32M, dom.pgsizeBitmap(), "16 KiB CPU pages: the 16 KiB granule");
        assertEquals(0, dom.geometry().apertureStart());
        assertEquals((1L << 48) - 1, dom.geometry().apertureEnd());
        assertTrue(dom.geometry().forceAperture());
        CoreConfig fourK = new CoreConfig(DomainType.DMA, true, 4096, true);
        SmmuRig r4 = SmmuRig.boot("smmu", fourK, System::nanoTime, true);
        IommuDomain d4 = r4.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        assertEquals(0x1000L | 0x20_0000L | 0x4000_0000L, d4.pgsizeBitmap());
        r4.engine.attachGroup(d4, DMA);
        int tcr = r4.cb(SMMU0, ops(d4).cbndx(), SmmuRegs.CB_TCR);
        assertEquals(0, (tcr >>> 14) & 3, "TG0 = 4 KiB");
        assertEquals(16, tcr & 0x3f, "T0SZ = 64 - 48");
        // an SMMU with only 4 KiB tables and 16 KiB CPU pages: the largest granule below the page
        AtomicLong t = new AtomicLong();
        SmmuRig narrow = SmmuRig.boot("smmu-stuck", CoreConfig.defaults(), () -> t.addAndGet(250_000_000L), true);
        IommuDomain dn = narrow.engine.domainAlloc(NARROW_DMA, DomainType.UNMANAGED);
        assertEquals(0x1000L | 0x20_0000L | 0x4000_0000L, dn.pgsizeBitmap());
    }

    @Test
    void everyMasterReservesTheSoftwareMsiWindow() {
        ReservedRegion msi = new ReservedRegion(0x0800_0000L, 0x10_0000L, Prot.WRITE | Prot.NOEXEC | Prot.MMIO,
                ReservedRegion.Type.SW_MSI);
        assertEquals(List.of(msi), rig.engine.resvRegions(DMA));
        assertEquals(List.of(msi), rig.engine.resvRegions(NIC0));
    }

    @Test
    void mapBeforeTheFirstAttachHasNoTable() {
        IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
        IommuException e = assertThrows(IommuException.class, () -> dom.map(0x10_0000, buf, PG, RW));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals(0, dom.iovaToPhys(0x10_0000));
        List<Integer> banks = new ArrayList<>();
        rig.smmu(SMMU0).contextBanksInUse().stream().forEach(banks::add);
        assertEquals(4, banks.size(), "allocation took no bank");
    }
}
