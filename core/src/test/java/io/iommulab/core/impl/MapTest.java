package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MapTest {

    static final long K4 = 0x1000;
    static final long M2 = 0x20_0000;
    static final int RW = Prot.READ | Prot.WRITE;

    RecordingDriver rec;
    Fixture f;
    IommuDomain dom;

    @BeforeEach
    void setUp() {
        rec = new RecordingDriver(new TestIommuDriver());
        f = Fixture.boot(CoreConfig.defaults(), rec);
        dom = f.engine.domainAlloc(DEV_A, DomainType.UNMANAGED);
        f.engine.attachGroup(dom, DEV_A);
        rec.take();
    }

    private DmaMaster master(String path) {
        return f.machine.master(path).orElseThrow();
    }

    @Test
    void pgsizeSplitsLikeLinux() {
        long bm = K4 | M2;
        assertEquals(K4, DomainImpl.pgsize(bm, 0x1ff000, 0x1ff000, 0x201000));
        assertEquals(1, DomainImpl.pgcount(bm, 0x1ff000, 0x1ff000, 0x201000, K4));
        assertEquals(M2, DomainImpl.pgsize(bm, 0x200000, 0x200000, 0x400000));
        assertEquals(2, DomainImpl.pgcount(bm, 0x200000, 0x200000, 0x400000, M2));
        // iova and pa offset differently inside 2 MiB: only 4 KiB pages, all in one call
        assertEquals(K4, DomainImpl.pgsize(bm, 0x200000, 0x201000, 0x400000));
        assertEquals(0x400, DomainImpl.pgcount(bm, 0x200000, 0x201000, 0x400000, K4));
        // too short for the next size: every 4 KiB page in one call
        assertEquals(0x1ff, DomainImpl.pgcount(bm, 0x1000, 0x1000, 0x1ff000, K4));
    }

    @Test
    void mapIsSplitIntoPagesAnd2MiBBlocks() {
        dom.map(0x1ff000, BUF + 0x1ff000, M2 + K4, RW);
        assertEquals(List.of("map 0x1ff000 0x8001ff000 0x1000 x1", "map 0x200000 0x800200000 0x200000 x1",
                "sync_map 0x1ff000 0x201000"), rec.take());
        dom.map(0x400000, BUF + 0x400000, M2 + K4, RW);
        assertEquals(List.of("map 0x400000 0x800400000 0x200000 x1", "map 0x600000 0x800600000 0x1000 x1",
                "sync_map 0x400000 0x201000"), rec.take());
        dom.map(0x80_0000, BUF, 3 * M2, RW);
        assertEquals(List.of("map 0x800000 0x800000000 0x200000 x3", "sync_map 0x800000 0x600000"), rec.take());
        assertEquals(BUF + 0x200123, dom.iovaToPhys(0x200123));
        assertEquals(BUF + 0x600000, dom.iovaToPhys(0x600000));
        DomainDTO d = f.engine.domains().stream().filter(x -> x.id() == dom.id()).findFirst().orElseThrow();
        assertEquals(2 * (M2 + K4) + 3 * M2, d.mappedBytes());
        assertEquals("unmanaged", d.type());
    }

    @Test
    void badMapsChangeNothing() {
        dom.map(0x10000, BUF + 0x10000, 0x2000, RW);
        rec.take();
        IommuException e = assertThrows(IommuException.class, () -> dom.map(0x10800, BUF, 0x1000, RW));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: IOVA 0x10800 is not aligned to the minimum page size 0x1000 of domain " + dom.id(),
                e.getMessage());
        e = assertThrows(IommuException.class, () -> dom.map(0x20000, BUF + 4, 0x1000, RW));
        assertTrue(e.getMessage().contains("physical address 0x800000004"), e.getMessage());
        e = assertThrows(IommuException.class, () -> dom.map(0x20000, BUF, 0x1800, RW));
        assertTrue(e.getMessage().contains("size 0x1800"), e.getMessage());
        e = assertThrows(IommuException.class, () -> dom.map(0x20000, BUF, 0x1000, Prot.CACHE));
        assertEquals(Errno.EINVAL, e.errno());
        e = assertThrows(IommuException.class, () -> dom.map(0x3fff_f000L, BUF, 0x2000, RW));
        assertEquals(Errno.ERANGE, e.errno());
        assertEquals("ERANGE: IOVA 0x3ffff000 size 0x2000 is outside the aperture 0x0-0x3fffffff of domain " + dom.id(),
                e.getMessage());
        e = assertThrows(IommuException.class, () -> dom.map(0x11000, BUF, 0x1000, RW));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(List.of("map 0x11000 0x800000000 0x1000 x1"), rec.take(), "only the overlap reached the driver");
        assertEquals(BUF + 0x10000, dom.iovaToPhys(0x10000));
        assertEquals(BUF + 0x11000, dom.iovaToPhys(0x11000));
        assertEquals(0x2000, f.engine.domains().stream().filter(x -> x.id() == dom.id()).findFirst().orElseThrow()
                .mappedBytes());
    }

    @Test
    void failureInALaterPieceUndoesTheEarlierOnes() {
        dom.map(0x200000, BUF + 0x900000, K4, RW);
        memoryPattern(BUF + 0x900000, 16, 0x40);
        rec.take();
        // 4 KiB at 0x1ff000 goes in, the 2 MiB block at 0x200000 collides: the 4 KiB page is taken back out
        IommuException e = assertThrows(IommuException.class, () -> dom.map(0x1ff000, BUF + 0x1ff000, M2 + K4, RW));
        assertEquals(Errno.EEXIST, e.errno());
        List<String> calls = rec.take();
        assertEquals("map 0x1ff000 0x8001ff000 0x1000 x1", calls.get(0));
        assertEquals("map 0x200000 0x800200000 0x200000 x1", calls.get(1));
        assertEquals("unmap 0x1ff000 0x1000 x1", calls.get(2));
        assertEquals(0, dom.iovaToPhys(0x1ff000));
        assertEquals(BUF + 0x900000, dom.iovaToPhys(0x200000));
        // and the hardware still translates the old mapping
        DmaResult r = master(DEV_A).read(0, 0x200000, 16);
        assertTrue(r.ok(), String.valueOf(r.fault()));
        assertEquals(0x40, r.data()[0]);
        assertFalse(master(DEV_A).read(0, 0x1ff000, 16).ok());
    }

    private void memoryPattern(long pa, int n, int first) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (first + i);
        }
        f.machine.memory().write(pa, b, 0, n);
    }

    @Test
    void unmapStopsAtTheFirstHole() {
        dom.map(0x10000, BUF, 0x2000, RW);
        dom.map(0x14000, BUF, 0x1000, RW);
        rec.take();
        assertEquals(0x2000, dom.unmap(0x10000, 0x5000));
        assertEquals(0, dom.iovaToPhys(0x10000));
        assertEquals(BUF, dom.iovaToPhys(0x14000), "beyond the hole stays mapped");
        assertEquals(0, dom.unmap(0x10000, 0x1000));
        IommuException e = assertThrows(IommuException.class, () -> dom.unmap(0x14800, 0x1000));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(f.engine.trace().stream().anyMatch(t -> t.event().equals("unmap") && t.text().equals(
                "IOMMU: iova=0x0000000000010000 - 0x0000000000015000 size=20480 unmapped_size=8192")));
    }

    @Test
    void unmapGathersAndSyncsWhenThePageSizeChanges() {
        dom.map(0x1ff000, BUF + 0x1ff000, M2 + K4, RW);
        dom.map(0x800000, BUF, 0x4000, RW);
        rec.take();
        assertEquals(M2 + K4, dom.unmap(0x1ff000, M2 + K4));
        assertEquals(List.of("unmap 0x1ff000 0x1000 x1", "unmap 0x200000 0x200000 x1", "sync 0x1ff000-0x1fffff",
                "sync 0x200000-0x3fffff"), rec.take());
        assertEquals(0x4000, dom.unmap(0x800000, 0x4000));
        assertEquals(List.of("unmap 0x800000 0x1000 x4", "sync 0x800000-0x803fff"), rec.take());
    }

    @Test
    void gatherAddPageRules() {
        List<String> syncs = new ArrayList<>();
        io.iommulab.api.driver.DomainOps ops = new io.iommulab.api.driver.DomainOps() {
            @Override
            public void attachDev(io.iommulab.api.driver.IommuMaster dev) {
            }

            @Override
            public void iotlbSync(io.iommulab.api.driver.IotlbGather g) {
                syncs.add(Long.toHexString(g.start()) + "-" + Long.toHexString(g.end()) + "/" + Long.toHexString(g.pgsize()));
            }
        };
        GatherImpl g = new GatherImpl(ops, false);
        assertTrue(g.start() > g.end(), "empty");
        g.add(0x2000, 0x1000);
        g.add(0x1000, 0x1000);   // adjacent below: merged
        g.add(0x3000, 0x1000);   // adjacent above: merged
        assertEquals(List.of(), syncs);
        assertEquals(0x1000, g.start());
        assertEquals(0x3fff, g.end());
        g.add(0x9000, 0x1000);   // disjoint: what was gathered is synced first
        assertEquals(List.of("1000-3fff/1000"), syncs);
        assertEquals(0x9000, g.start());
        g.add(0xa000, 0x20_0000); // other page size: synced first
        assertEquals(List.of("1000-3fff/1000", "9000-9fff/1000"), syncs);
        g.sync();
        assertTrue(g.start() > g.end());
        GatherImpl q = new GatherImpl(ops, true);
        q.add(0x1000, 0x1000);
        q.add(0x9000, 0x1000);   // queued: no sync, the flush queue flushes everything
        assertEquals(3, syncs.size());
        assertEquals(0x1000, q.start());
        assertEquals(0x9fff, q.end());
    }

    @Test
    void dmaThroughTheMasterAfterMapAndFaultBefore() {
        List<FaultDTO> handled = new ArrayList<>();
        dom.setFaultHandler((d, fault) -> {
            handled.add(fault);
            return true;
        });
        DmaMaster a = master(DEV_A);
        DmaResult before = a.read(0, 0x30000, 8);
        assertFalse(before.ok());
        assertEquals(1, handled.size());
        FaultDTO h = handled.get(0);
        assertEquals(IOMMU0, h.iommu());
        assertEquals(0, h.sid());
        assertEquals(DEV_A, h.device());
        assertEquals(dom.id(), h.domain());
        assertEquals(0x30000, h.iova());
        assertEquals("read", h.access());
        List<FaultDTO> all = f.engine.faults();
        assertEquals(1, all.size());
        assertTrue(all.get(0).handled());
        assertTrue(f.engine.trace().stream().anyMatch(t -> t.event().equals("io_page_fault") && t.text().equals(
                "IOMMU:test-iommu " + DEV_A + " iova=0x0000000000030000 flags=0x0000")));

        dom.map(0x30000, BUF + 0x5000, 0x1000, RW);
        memoryPattern(BUF + 0x5000, 8, 1);
        DmaResult r = a.read(0, 0x30000, 8);
        assertTrue(r.ok(), String.valueOf(r.fault()));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, r.data());
        assertTrue(a.write(0, 0x30010, new byte[] {9, 9}).ok());
        assertEquals(9, f.machine.memory().read8(BUF + 0x5011));
        // read-only mapping: a write faults
        dom.map(0x40000, BUF + 0x6000, 0x1000, Prot.READ);
        assertFalse(a.write(0, 0x40000, new byte[] {1}).ok());
        assertEquals(2, handled.size());
        // dev-b's streams are in another domain: no fault handler there, the fault is recorded unhandled
        assertFalse(master(DEV_B).read(1, 0x30000, 4).ok());
        FaultDTO last = f.engine.faults().get(f.engine.faults().size() - 1);
        assertEquals(IOMMU1, last.iommu());
        assertEquals(DEV_B, last.device());
        assertFalse(last.handled());
    }

    @Test
    void domainsAndAttachRules() {
        IommuDomain other = f.engine.domainAlloc(DEV_A, DomainType.UNMANAGED);
        IommuException e = assertThrows(IommuException.class, () -> f.engine.attachGroup(other, DEV_A));
        assertEquals(Errno.EBUSY, e.errno());
        e = assertThrows(IommuException.class, () -> dom.free());
        assertEquals(Errno.EBUSY, e.errno());
        f.engine.attachGroup(dom, DEV_A); // already there: no-op
        IommuDomain identity = f.engine.domainAlloc(DEV_C, DomainType.IDENTITY);
        f.engine.attachGroup(identity, DEV_C);
        assertEquals("identity", f.engine.device(DEV_D).domainType(), "the whole group moved");
        assertEquals(0x1234_5000L, identity.iovaToPhys(0x1234_5000L));
        e = assertThrows(IommuException.class, () -> identity.map(0, BUF, 0x1000, RW));
        assertEquals("EINVAL: domain " + identity.id() + " is identity; map needs a paging domain", e.getMessage());
        f.engine.detachGroup(identity, DEV_D);
        assertEquals("DMA", f.engine.device(DEV_C).domainType());
        identity.free();
        f.engine.detachGroup(dom, DEV_A);
        f.engine.attachGroup(other, DEV_A);
        dom.free();
        e = assertThrows(IommuException.class, () -> dom.map(0, BUF, 0x1000, RW));
        assertEquals(Errno.ENODEV, e.errno());
        e = assertThrows(IommuException.class, () -> f.engine.attachGroup(dom, DEV_A));
        assertEquals(Errno.ENODEV, e.errno());
    }

    @Test
    void attachFailureLeavesTheGroupWhereItWas() {
        var m = Fixture.machine(java.util.Map.of("iommulab.model." + IOMMU0 + ".bypass", "false"));
        IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
        e.addDriver(new TestIommuDriver());
        IommuDomain before = e.domainOf(DEV_C);
        before.map(0x1000, BUF, 0x1000, RW);
        IommuDomain identity = e.domainAlloc(DEV_C, DomainType.IDENTITY);
        IommuException ex = assertThrows(IommuException.class, () -> e.attachGroup(identity, DEV_C));
        assertEquals(Errno.EINVAL, ex.errno());
        assertSame(before, e.domainOf(DEV_C));
        assertTrue(m.master(DEV_D).orElseThrow().read(0, 0x1000, 4).ok(), "still translated by the old domain");
    }
}
