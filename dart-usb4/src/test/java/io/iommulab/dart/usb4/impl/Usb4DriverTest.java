package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.DartInstance;
import io.iommulab.machine.SimMachine;
import io.iommulab.testkit.MmioRecordingDriver.Write;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The usb4 variant driven by the apple-dart driver against the DART model: 64 streams end to end. */
class Usb4DriverTest {

    static final String DART = Usb4Board.DART;
    static final String NHI = Usb4Board.NHI;
    static final long PG = 0x4000;
    /** STREAM_SELECT words 0 (SIDs 0-31) and 1 (SIDs 32-63), STREAM_COMMAND and its INVALIDATE */
    static final int SELECT0 = 0x34;
    static final int SELECT1 = 0x38;
    static final int COMMAND = 0x20;
    static final int INVALIDATE = 1 << 20;

    Usb4Board board;
    SimMachine machine;
    IommuCoreEngine engine;
    MmioWindow regs;

    @BeforeEach
    void boot() {
        board = Usb4Board.boot(false);
        machine = board.machine;
        engine = board.engine;
        regs = board.regs;
    }

    @Test
    void probesWith64StreamsAndNoBypass() {
        IommuNodeDTO n = engine.iommus().get(0);
        assertEquals("probed", n.state(), n.reason());
        DartInstance d = board.rec.inner.instances().get(0);
        assertEquals(64, d.numStreams());
        assertFalse(d.params().supportsBypass());
        // both stream-enable words written, and TCR[0] (0x100) not clobbered by the second one
        assertEquals(-1, regs.readl(0xFC));
        assertEquals(-1, regs.readl(0xF8));
        assertEquals(0, regs.readl(0x100), "TCR[0] of an unused stream stays blocked");
        // no bypass: def_domain_type asks for DMA, and identity is refused
        assertEquals(DomainType.DMA, engine.domainOf(NHI).type());
        IommuDomain id = engine.domainAlloc(NHI, DomainType.IDENTITY);
        IommuException e = assertThrows(IommuException.class, () -> engine.attachGroup(id, NHI));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void stream40IsTranslatedAndInvalidated() {
        IommuDomain dom = engine.domainAlloc(NHI, DomainType.UNMANAGED);
        engine.attachGroup(dom, NHI);
        assertEquals(0x80, regs.readl(0x100 + 4 * 40), "TCR[40] translates");
        assertTrue(regs.readl(0x400 + 16 * 40) < 0, "TTBR[40][0] VALID, in the usb4 TTBR array at 0x400");
        long pa = machine.ram().get(0).base() + 0x10_0000;
        dom.map(0x20_0000, pa, PG, Prot.READ | Prot.WRITE);
        DmaMaster nhi = machine.master(NHI).orElseThrow();
        byte[] data = {1, 2, 3, 4};
        assertTrue(nhi.write(1, 0x20_0010, data).ok(), "SID 40");
        DmaResult back = nhi.read(1, 0x20_0010, 4);
        assertArrayEquals(data, back.data());
        assertTrue(nhi.read(0, 0x20_0010, 4).ok(), "SID 1");
        // unmap + iotlb_sync must select SID 40 in STREAM_SELECT word 1, or the IOTLB stays stale
        dom.unmap(0x20_0000, PG);
        DmaResult after = nhi.read(1, 0x20_0010, 4);
        assertFalse(after.ok(), "SID 40's IOTLB was invalidated");
        assertEquals("NO PTE FOR IOVA", after.fault());
        assertEquals("NO PTE FOR IOVA", nhi.read(0, 0x20_0010, 4).fault());
        // ERROR.STREAM has 4 bits: SID 40 is reported as 8 (dart-facts §1.7 observation)
        FaultDTO f = engine.faults().get(0);
        assertEquals(40 & 0xF, f.sid());
        assertEquals(0x20_0010, f.iova());
    }

    // ---- upstream's STREAM_SELECT words (T8103Usb4Variant.UPSTREAM_STREAM_SELECT_PROPERTY) -------

    static final long IOVA = 0x20_0000;

    /** @return a domain on SIDs 1 and 40 with a page mapped and read through both, so both IOTLBs hold it */
    private static IommuDomain mappedAndUsed(Usb4Board b) {
        IommuDomain dom = b.engine.domainAlloc(NHI, DomainType.UNMANAGED);
        b.engine.attachGroup(dom, NHI);
        dom.map(IOVA, b.ram() + 0x10_0000, PG, Prot.READ | Prot.WRITE);
        assertTrue(b.nhi().read(0, IOVA + 0x10, 4).ok(), "SID 1");
        assertTrue(b.nhi().read(1, IOVA + 0x10, 4).ok(), "SID 40");
        return dom;
    }

    /** @return the STREAM_SELECT and STREAM_COMMAND writes among {@code writes} */
    private static List<Write> invalidations(List<Write> writes) {
        return writes.stream().filter(w -> w.offset() == SELECT0 || w.offset() == SELECT1 || w.offset() == COMMAND).toList();
    }

    private static List<Write> invalidation(int select0, int select1) {
        return List.of(new Write(DART, SELECT0, select0), new Write(DART, SELECT1, select1), new Write(DART, COMMAND, INVALIDATE));
    }

    @Test
    void ourDriverSelectsStream40InTheSecondWordAndItsIotlbEntryGoes() {
        IommuDomain dom = mappedAndUsed(board);
        board.rec.take();
        dom.unmap(IOVA, PG);
        assertEquals(invalidation(1 << 1, 1 << (40 - 32)), invalidations(board.rec.take()));
        assertEquals("NO PTE FOR IOVA", board.nhi().read(1, IOVA + 0x10, 4).fault());
    }

    @Test
    void upstreamsStreamSelectNeverSelectsStream40SoItsIotlbEntryStaysStale() {
        Usb4Board upstream = Usb4Board.boot(true);
        IommuDomain dom = mappedAndUsed(upstream);
        upstream.rec.take();
        dom.unmap(IOVA, PG);
        assertEquals(invalidation(1 << 1, 0), invalidations(upstream.rec.take()),
                "word 1 is the low half of sidmap[1] (SIDs 64-95): SID 40 is not selected");
        assertEquals(0, dom.iovaToPhys(IOVA));
        assertEquals("NO PTE FOR IOVA", upstream.nhi().read(0, IOVA + 0x10, 4).fault(), "SID 1 was invalidated");
        DmaResult stale = upstream.nhi().read(1, IOVA + 0x10, 4);
        assertTrue(stale.ok(), "SID 40 still reaches the unmapped page through its stale IOTLB entry");
    }

    @Test
    void theResetSelectsStreams32To63OnlyWithoutTheOption() {
        assertEquals(invalidation(-1, -1), invalidations(board.rec.take()).subList(0, 3), "our reset: all 64 streams");
        Usb4Board upstream = Usb4Board.boot(true);
        assertEquals(invalidation(-1, 0), invalidations(upstream.rec.take()).subList(0, 3), "upstream's: SIDs 0-31 only");
    }
}
