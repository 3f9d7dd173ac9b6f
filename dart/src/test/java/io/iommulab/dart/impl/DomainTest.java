package io.iommulab.dart.impl;

import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.MmioRecordingDriver;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every domain type on real (modelled) DARTs: attach programming, map/unmap/sync, DMA. */
class DomainTest {

    static final String DWC3 = "/soc/usb@382280000";
    static final String ADMAC = "/soc/dma-controller@238200000";
    static final String WIFI = "/soc/pcie@690000000/pci@0,0/network@0,0";
    static final String DART0 = "/soc/iommu@382f00000";
    static final String DART1 = "/soc/iommu@382f80000";
    static final String SIO = "/soc/iommu@235004000";
    static final long PG = 0x4000;
    static final int RW = Prot.READ | Prot.WRITE;
    static final byte[] DATA = "DART says hello".getBytes(StandardCharsets.US_ASCII);

    DartRig rig;
    MmioRecordingDriver<AppleDartDriver> rec;
    long buf;

    @BeforeEach
    void boot() {
        rig = DartRig.bootWithoutDrivers("t8103", CoreConfig.defaults());
        rec = new MmioRecordingDriver<>(AppleDartDriver.create(DartVariants.T8103, DartRig.FORMATS));
        rig.add(rec);
        buf = rig.ram() + 0x100_0000;
    }

    private void assertDmaLands(DmaMaster m, int stream, long iova, long pa) {
        BackendChecks.assertDmaLands(rig.machine.memory(), m, stream, iova, pa, DATA);
    }

    @Test
    void defaultDomainsAreDmaAndStayStrictWithoutDeferredFlush() {
        assertEquals(DomainType.DMA, rig.engine.domainOf(DWC3).type());
        DartRig lazy = DartRig.boot("t8103", Map.of(), CoreConfig.defaults().withStrict(false), System::nanoTime,
                DartVariants.all());
        // iommu.strict=0 asks for DMA-FQ; the driver has no capable(DEFERRED_FLUSH): plain DMA
        assertEquals(DomainType.DMA, lazy.engine.domainOf(DWC3).type());
    }

    @Test
    void pagingDomainTranslatesOnBothDartsOfTheMaster() {
        IommuDomain dom = rig.engine.domainAlloc(DWC3, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DWC3);
        dom.map(0x10000, buf, PG, RW);
        assertEquals(buf + 0x123, dom.iovaToPhys(0x10123));
        DmaMaster dwc3 = rig.master(DWC3);
        assertDmaLands(dwc3, 0, 0x10000 + 0x40, buf + 0x40);
        assertDmaLands(dwc3, 1, 0x10000 + 0x80, buf + 0x80);
    }

    @Test
    void attachWritesTtbrsThenTcrThenInvalidatesTheMastersStreams() {
        IommuDomain dom = rig.engine.domainAlloc(DWC3, DomainType.UNMANAGED);
        long table = ((DartDomain) ((DomainImpl) dom).ops()).tableState().ttbrs()[0];
        rec.take();
        rig.engine.attachGroup(dom, DWC3);
        int ttbr = T8020Regs.TTBR_VALID | (int) (table >>> 12);
        assertEquals(List.of(
                new MmioRecordingDriver.Write(DART0, T8020Regs.TTBR, ttbr),
                new MmioRecordingDriver.Write(DART0, T8020Regs.TTBR + 4, 0),
                new MmioRecordingDriver.Write(DART0, T8020Regs.TTBR + 8, 0),
                new MmioRecordingDriver.Write(DART0, T8020Regs.TTBR + 12, 0),
                new MmioRecordingDriver.Write(DART0, T8020Regs.TCR, T8020Regs.TCR_TRANSLATE_ENABLE),
                new MmioRecordingDriver.Write(DART0, T8020Regs.STREAM_SELECT, 1),
                new MmioRecordingDriver.Write(DART0, T8020Regs.STREAM_COMMAND, T8020Regs.STREAM_COMMAND_INVALIDATE),
                new MmioRecordingDriver.Write(DART1, T8020Regs.TTBR + 16, ttbr),
                new MmioRecordingDriver.Write(DART1, T8020Regs.TTBR + 20, 0),
                new MmioRecordingDriver.Write(DART1, T8020Regs.TTBR + 24, 0),
                new MmioRecordingDriver.Write(DART1, T8020Regs.TTBR + 28, 0),
                new MmioRecordingDriver.Write(DART1, T8020Regs.TCR + 4, T8020Regs.TCR_TRANSLATE_ENABLE),
                new MmioRecordingDriver.Write(DART1, T8020Regs.STREAM_SELECT, 1 << 1),
                new MmioRecordingDriver.Write(DART1, T8020Regs.STREAM_COMMAND, T8020Regs.STREAM_COMMAND_INVALIDATE)),
                rec.take());
        assertEquals(ttbr, rig.regs(DART0).readl(T8020Regs.TTBR));
    }

    @Test
    void unmapIsStaleUntilTheIotlbSyncInvalidates() {
        IommuDomain dom = rig.engine.domainAlloc(ADMAC, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, ADMAC);
        dom.map(0x80000, buf, PG, RW);
        DmaMaster admac = rig.master(ADMAC);
        assertDmaLands(admac, 0, 0x80010, buf + 0x10);
        DomainImpl d = (DomainImpl) dom;
        // the table forgets the page, nobody invalidates: the DART's IOTLB still translates
        assertEquals(PG, d.ops().unmapPages(0x80000, PG, 1, null));
        assertEquals(0, dom.iovaToPhys(0x80000));
        assertTrue(admac.read(0, 0x80010, 4).ok(), "stale IOTLB entry still used");
        d.ops().iotlbSync(null);
        DmaResult after = admac.read(0, 0x80010, 4);
        assertFalse(after.ok());
        assertEquals("NO PTE FOR IOVA", after.fault());
        // through the core: unmap syncs at once
        dom.map(0x80000, buf, PG, RW);
        assertTrue(admac.read(0, 0x80010, 4).ok());
        assertEquals(PG, dom.unmap(0x80000, PG));
        assertEquals("NO PTE FOR IOVA", admac.read(0, 0x80010, 4).fault());
    }

    @Test
    void mapIsSyncedSoAnEarlierMissIsNotRemembered() {
        IommuDomain dom = rig.engine.domainAlloc(ADMAC, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, ADMAC);
        DmaMaster admac = rig.master(ADMAC);
        assertFalse(admac.read(0, 0x84000, 4).ok());
        dom.map(0x84000, buf, PG, RW);
        assertTrue(admac.read(0, 0x84000, 4).ok());
    }

    @Test
    void identityDomainBypassesOnEveryDartOfTheMaster() {
        IommuDomain id = rig.engine.domainAlloc(DWC3, DomainType.IDENTITY);
        rig.engine.attachGroup(id, DWC3);
        int bypass = T8020Regs.TCR_BYPASS_DART | T8020Regs.TCR_BYPASS_DAPF;
        assertEquals(bypass, rig.regs(DART0).readl(T8020Regs.TCR));
        assertEquals(bypass, rig.regs(DART1).readl(T8020Regs.TCR + 4));
        assertDmaLands(rig.master(DWC3), 0, buf + 0x200, buf + 0x200);
        assertDmaLands(rig.master(DWC3), 1, buf + 0x300, buf + 0x300);
    }

    @Test
    void identityNeedsBypassSupport() {
        DartRig nb = DartRig.boot("t8103", Map.of("iommulab.model." + SIO + ".bypass", "false"), CoreConfig.defaults(),
                System::nanoTime, DartVariants.all());
        assertFalse(nb.dart(SIO).params().supportsBypass());
        IommuDomain id = nb.engine.domainAlloc(ADMAC, DomainType.IDENTITY);
        int before = nb.regs(SIO).readl(T8020Regs.TCR + 8);
        IommuException e = assertThrows(IommuException.class, () -> nb.engine.attachGroup(id, ADMAC));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(before, nb.regs(SIO).readl(T8020Regs.TCR + 8), "refused attach wrote nothing");
        assertEquals(DomainType.DMA, nb.engine.domainOf(ADMAC).type());
    }

    @Test
    void blockedDomainStopsDma() {
        IommuDomain blocked = rig.engine.domainAlloc(DWC3, DomainType.BLOCKED);
        rig.engine.attachGroup(blocked, DWC3);
        assertEquals(0, rig.regs(DART0).readl(T8020Regs.TCR));
        assertEquals(0, rig.regs(DART1).readl(T8020Regs.TCR + 4));
        DmaResult r = rig.master(DWC3).read(0, 0x4000, 4);
        assertFalse(r.ok());
        assertEquals("NO TTBR FOR IOVA", r.fault());
        // back to the default DMA domain: translation again
        rig.engine.detachGroup(blocked, DWC3);
        assertEquals(T8020Regs.TCR_TRANSLATE_ENABLE, rig.regs(DART0).readl(T8020Regs.TCR));
    }

    @Test
    void dmaFqDomainIsAcceptedAndRunsStrict() {
        IommuDomain fq = rig.engine.domainAlloc(ADMAC, DomainType.DMA_FQ);
        rig.engine.attachGroup(fq, ADMAC);
        assertEquals(DomainType.DMA_FQ, fq.type());
        fq.map(0x100000, buf, PG, RW);
        assertDmaLands(rig.master(ADMAC), 0, 0x100000, buf);
        fq.unmap(0x100000, PG);
        assertEquals("NO PTE FOR IOVA", rig.master(ADMAC).read(0, 0x100000, 4).fault());
    }

    @Test
    void domainGeometryIsTheDartsIas() {
        IommuDomain dom = rig.engine.domainAlloc(DWC3, DomainType.UNMANAGED);
        assertEquals(PG, dom.pgsizeBitmap());
        assertEquals(0, dom.geometry().apertureStart());
        assertEquals(0xffff_ffffL, dom.geometry().apertureEnd());
        assertTrue(dom.geometry().forceAperture());
        IommuException e = assertThrows(IommuException.class, () -> dom.map(0x1_0000_0000L, buf, PG, RW));
        assertEquals(Errno.ERANGE, e.errno());
    }

    @Test
    void freedDomainReturnsItsTables() {
        String owner = "apple-dart:" + DART0;
        long before = ownedPages(owner);
        IommuDomain dom = rig.engine.domainAlloc(DWC3, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, DWC3);
        dom.map(0x4000_0000L, buf, PG, RW);
        assertTrue(ownedPages(owner) > before);
        rig.engine.detachGroup(dom, DWC3);
        dom.free();
        assertEquals(before, ownedPages(owner));
    }

    private long ownedPages(String prefix) {
        return rig.machine.pages().pagesByOwner().entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(Map.Entry::getValue).sum();
    }

    @Test
    void pciFunctionsGetTheMsiDoorbellReserved() {
        IommuMaster wifi = rec.masters.get(WIFI);
        assertEquals(List.of(new ReservedRegion(0xFFFF_C000L, 0x4000, Prot.WRITE | Prot.NOEXEC | Prot.MMIO,
                ReservedRegion.Type.MSI)), rec.inner.getResvRegions(wifi));
        assertEquals(List.of(), rec.inner.getResvRegions(rec.masters.get(DWC3)));
    }

    @Test
    void t6000MasterOnTwoDartsUsesDart2TablesAbove36Bits() {
        DartRig t6000 = DartRig.boot("t6000");
        String admac = "/soc/dma-controller@39b400000";
        IommuDomain dom = t6000.engine.domainAlloc(admac, DomainType.UNMANAGED);
        t6000.engine.attachGroup(dom, admac);
        long pa = t6000.ram() + 0x20_0000;
        assertTrue(pa >= 1L << 40, "RAM of this board is above a DART1 PTE's reach");
        dom.map(0x8000_0000L, pa, PG, RW);
        DmaMaster m = t6000.master(admac);
        rig = t6000;
        assertDmaLands(m, 0, 0x8000_0040L, pa + 0x40);
        assertDmaLands(m, 1, 0x8000_0080L, pa + 0x80);
    }

    @Test
    void t6020FourLevelTablesReachIovasAbove36Bits() {
        DartRig t6020 = DartRig.boot("t6020");
        String admac = "/soc/dma-controller@39b400000";
        IommuDomain dom = t6020.engine.domainAlloc(admac, DomainType.UNMANAGED);
        assertEquals((1L << 42) - 1, dom.geometry().apertureEnd());
        assertEquals(4, ((DartDomain) ((DomainImpl) dom).ops()).tableState().levels());
        t6020.engine.attachGroup(dom, admac);
        MmioWindow w = t6020.regs("/soc/iommu@39b004000");
        assertEquals(T8110Regs.TCR_TRANSLATE_ENABLE | T8110Regs.TCR_FOUR_LEVEL, w.readl(T8110Regs.TCR + 8));
        long iova = 0x123_4000_0000L;
        long pa = t6020.ram() + 0x40_0000;
        dom.map(iova, pa, PG, RW);
        rig = t6020;
        assertDmaLands(t6020.master(admac), 0, iova + 0x20, pa + 0x20);
    }
}
