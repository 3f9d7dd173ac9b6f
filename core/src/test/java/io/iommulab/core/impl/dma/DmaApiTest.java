package io.iommulab.core.impl.dma;

import io.iommulab.testkit.DelegatingDriver;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DmaApiTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    static final String NIC0 = "/soc/pcie@300000000/pci@0,0/nic@0,0";
    static final long BUF = 0x8_0000_0000L;

    SimMachine machine;
    IommuCoreEngine engine;
    DmaApiImpl api;

    private void boot(CoreConfig config, long fqTimeoutMs) {
        machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
                List.of(new TestIommuModelFactory()), Map.of());
        engine = new IommuCoreEngine(machine, config);
        engine.addDriver(new TestIommuDriver());
        api = new DmaApiImpl(engine, fqTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void tearDown() {
        if (api != null) {
            api.close();
        }
    }

    private void pattern(long pa, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (0x30 + i);
        }
        machine.memory().write(pa, b, 0, n);
    }

    private DmaMaster master(String path) {
        return machine.master(path).orElseThrow();
    }

    @Test
    void strictUnmapFaultsAtOnce() {
        boot(CoreConfig.defaults(), 3_600_000);
        pattern(BUF + 0x3000, 0x40);
        DmaDevice dev = api.device("dev-a@200000000");
        assertEquals(DEV_A, dev.name());
        long dma = dev.mapPage(BUF + 0x3010, 0x20, DmaDirection.TO_DEVICE);
        assertEquals(0x10, dma & 0xfff, "the offset inside the page is kept");
        assertEquals(engine.domainOf(DEV_A).geometry().apertureEnd() & ~0xfffL, dma & ~0xfffL, "top-down");
        DmaResult r = master(DEV_A).read(0, dma, 4);
        assertTrue(r.ok(), String.valueOf(r.fault()));
        assertEquals(0x40, r.data()[0]);
        assertFalse(master(DEV_A).write(0, dma, new byte[] {1}).ok(), "TO_DEVICE maps read-only");
        dev.unmapPage(dma, 0x20, DmaDirection.TO_DEVICE);
        assertFalse(master(DEV_A).read(0, dma, 4).ok(), "strict: invalidated before unmap returned");
        // the same range is not unmapped twice, a foreign address not at all
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> dev.unmapPage(dma, 0x20, DmaDirection.TO_DEVICE)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> dev.unmapPage(0x1000, 0x20, DmaDirection.TO_DEVICE)).errno());
        assertEquals(0, engine.domains().stream().filter(d -> d.id() == engine.domainOf(DEV_A).id()).findFirst()
                .orElseThrow().mappedBytes());
    }

    @Test
    void lazyUnmapLeavesTheStaleEntryUntilTheQueueFlushes() {
        boot(CoreConfig.defaults().withStrict(false), 3_600_000);
        assertEquals(DomainType.DMA_FQ, engine.domainOf(DEV_A).type());
        pattern(BUF + 0x3000, 0x40);
        DmaDevice dev = api.device(DEV_A);
        long dma = dev.mapPage(BUF + 0x3000, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertTrue(master(DEV_A).read(0, dma, 4).ok());
        dev.unmapPage(dma, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertEquals(0, engine.domainOf(DEV_A).iovaToPhys(dma), "the page table no longer maps it");
        DmaResult stale = master(DEV_A).read(0, dma, 4);
        assertTrue(stale.ok(), "lazy: the IOTLB still holds the old translation");
        assertEquals(0x30, stale.data()[0]);
        // the queued IOVA is not handed out again before the flush
        long other = dev.mapPage(BUF + 0x3000, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertNotEquals(dma, other);
        dev.flush();
        assertFalse(master(DEV_A).read(0, dma, 4).ok(), "flushed: the stale entry is gone");
        assertEquals(dma, dev.mapPage(BUF + 0x4000, 0x1000, DmaDirection.BIDIRECTIONAL), "freed IOVA reused");
        dev.unmapPage(other, 0x1000, DmaDirection.BIDIRECTIONAL);
    }

    @Test
    void flushQueueTimerFlushes() throws InterruptedException {
        boot(CoreConfig.defaults().withStrict(false), 20);
        pattern(BUF, 0x10);
        DmaDevice dev = api.device(DEV_A);
        long dma = dev.mapPage(BUF, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertTrue(master(DEV_A).read(0, dma, 4).ok());
        dev.unmapPage(dma, 0x1000, DmaDirection.BIDIRECTIONAL);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (master(DEV_A).read(0, dma, 4).ok()) {
            assertTrue(System.nanoTime() < deadline, "the 20 ms timer never flushed");
            Thread.sleep(5);
        }
    }

    @Test
    void fullQueueFlushes() {
        boot(CoreConfig.defaults().withStrict(false), 3_600_000);
        DmaDevice dev = api.device(DEV_A);
        long first = dev.mapPage(BUF, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertTrue(master(DEV_A).read(0, first, 4).ok());
        dev.unmapPage(first, 0x1000, DmaDirection.BIDIRECTIONAL);
        for (int i = 0; i < IovaCookie.FQ_SIZE; i++) {
            long d = dev.mapPage(BUF, 0x1000, DmaDirection.BIDIRECTIONAL);
            dev.unmapPage(d, 0x1000, DmaDirection.BIDIRECTIONAL);
        }
        assertFalse(master(DEV_A).read(0, first, 4).ok(), "257 queued entries: the queue flushed once full");
    }

    @Test
    void scatterGatherIsOneRangeWithMergedSegments() {
        boot(CoreConfig.defaults(), 3_600_000);
        pattern(BUF + 0x1000, 0x1000);
        pattern(BUF + 0x5000, 0x800);
        DmaDevice dev = api.device(DEV_A);
        List<DmaSegment> segs = dev.mapSg(List.of(new SgEntry(BUF + 0x1000, 0x1000), new SgEntry(BUF + 0x5000, 0x800),
                new SgEntry(BUF + 0x7000, 0x1000)), DmaDirection.BIDIRECTIONAL);
        assertEquals(2, segs.size(), segs.toString());
        assertEquals(0x1800, segs.get(0).length());
        assertEquals(segs.get(0).dmaAddress() + 0x2000, segs.get(1).dmaAddress());
        DmaResult r = master(DEV_A).read(0, segs.get(0).dmaAddress() + 0xffe, 4);
        assertTrue(r.ok(), String.valueOf(r.fault()));
        assertArrayEquals(new byte[] {(byte) (0x30 + 0xffe), (byte) (0x30 + 0xfff), 0x30, 0x31}, r.data(),
                "one device-visible segment across two buffers");
        dev.unmapSg(segs, DmaDirection.BIDIRECTIONAL);
        assertEquals(0, engine.domainOf(DEV_A).iovaToPhys(segs.get(1).dmaAddress()));
        assertFalse(master(DEV_A).read(0, segs.get(0).dmaAddress(), 4).ok());
    }

    /**
     * A device that moved to another DMA domain with a mapping left in the old one: the new domain's
     * allocator hands out the same first IOVA, and each unmap finds its own domain's scatterlist
     * (found by the differential campaign: the unmap in the new domain was refused with "different
     * entry count", matched against the old domain's list).
     */
    @Test
    void sameDmaAddressInTwoDomainsUnmapsEach() {
        boot(CoreConfig.defaults(), 3_600_000);
        DmaDevice dev = api.device(DEV_A);
        List<DmaSegment> old = dev.mapSg(List.of(new SgEntry(BUF + 0x1000, 0x1000), new SgEntry(BUF + 0x5000, 0x800),
                new SgEntry(BUF + 0x7000, 0x1000)), DmaDirection.BIDIRECTIONAL);
        IommuDomain first = engine.domainOf(DEV_A);
        IommuDomain other = engine.domainAlloc(DEV_A, DomainType.DMA);
        engine.attachGroup(other, DEV_A);
        List<DmaSegment> now = dev.mapSg(List.of(new SgEntry(BUF + 0x9000, 0x3000)), DmaDirection.BIDIRECTIONAL);
        assertEquals(old.get(0).dmaAddress(), now.get(0).dmaAddress(), "both allocators start at the top: " + old + " " + now);
        assertNotEquals(old.size(), now.size());
        dev.unmapSg(now, DmaDirection.BIDIRECTIONAL);
        assertEquals(0, other.iovaToPhys(now.get(0).dmaAddress()));
        IommuException e = assertThrows(IommuException.class, () -> dev.unmapSg(old, DmaDirection.BIDIRECTIONAL));
        assertTrue(e.getMessage().contains("was mapped in domain " + first.id()), e.getMessage());
        engine.detachGroup(other, DEV_A);
        dev.unmapSg(old, DmaDirection.BIDIRECTIONAL);
        assertEquals(0, first.iovaToPhys(old.get(0).dmaAddress()));
    }

    @Test
    void identityAndNonDmaDomains() {
        boot(CoreConfig.defaults().withDefaultDomain(DomainType.IDENTITY), 3_600_000);
        DmaDevice dev = api.device(NIC0);
        assertEquals(BUF + 0x123, dev.mapPage(BUF + 0x123, 0x10, DmaDirection.FROM_DEVICE));
        dev.unmapPage(BUF + 0x123, 0x10, DmaDirection.FROM_DEVICE);
        IommuDomain un = engine.domainAlloc(DEV_A, DomainType.UNMANAGED);
        engine.attachGroup(un, DEV_A);
        IommuException e = assertThrows(IommuException.class,
                () -> api.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("unmanaged domain " + un.id()), e.getMessage());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class,
                () -> api.device("/soc/dev-x@200040000")).errno());
    }

    @Test
    void removingTheDriverWithQueuedIovasReturnsEveryPage() {
        machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
                List.of(new TestIommuModelFactory()), Map.of());
        long baseline = machine.pages().pagesInUse();
        engine = new IommuCoreEngine(machine, CoreConfig.defaults().withStrict(false));
        TestIommuDriver drv = new TestIommuDriver();
        engine.addDriver(drv);
        api = new DmaApiImpl(engine, 3_600_000, TimeUnit.MILLISECONDS);
        DmaDevice dev = api.device(DEV_A);
        long kept = dev.mapPage(BUF, 0x3000, DmaDirection.BIDIRECTIONAL);
        long queued = dev.mapPage(BUF, 0x20_0000, DmaDirection.BIDIRECTIONAL);
        dev.unmapPage(queued, 0x20_0000, DmaDirection.BIDIRECTIONAL);
        assertTrue(machine.pages().pagesInUse() > baseline);
        engine.removeDriver(drv);
        assertEquals(baseline, machine.pages().pagesInUse());
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class,
                () -> dev.unmapPage(kept, 0x3000, DmaDirection.BIDIRECTIONAL)).errno());
        engine.addDriver(new TestIommuDriver());
        long again = api.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.BIDIRECTIONAL);
        assertTrue(master(DEV_A).read(0, again, 4).ok(), "a new default domain with a new IOVA space");
    }

    @Test
    void manyMappingsFromManyThreads() throws Exception {
        boot(CoreConfig.defaults().withStrict(false), 5);
        DmaDevice dev = api.device(NIC0);
        Thread[] ts = new Thread[4];
        Throwable[] err = new Throwable[1];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < 2000; i++) {
                        long size = 0x1000L * (1 + (i % 5));
                        long d = dev.mapPage(BUF + 0x10000, size, DmaDirection.BIDIRECTIONAL);
                        dev.unmapPage(d, size, DmaDirection.BIDIRECTIONAL);
                    }
                } catch (Throwable e) {
                    synchronized (err) {
                        err[0] = e;
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertNull(err[0], () -> String.valueOf(err[0]));
        dev.flush();
        assertEquals(0, engine.domainOf(NIC0).iovaToPhys(engine.domainOf(NIC0).geometry().apertureEnd() & ~0xfffL));
    }

    @Test
    void reservedRegionsOfTheDriverAreNeverHandedOut() {
        boot(CoreConfig.defaults(), 10);
        long first = api.device(DEV_A).mapPage(BUF, 0x1000, DmaDirection.TO_DEVICE);
        api.close();
        // The same board again, with a driver that reserves the range the allocator handed out first
        // (top-down: the top of the aperture), as apple-dart reserves the PCIe MSI doorbell page.
        long granule = 0x1000;
        long resv = first & ~(granule - 1);
        machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
                List.of(new TestIommuModelFactory()), Map.of());
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        engine.addDriver(new DelegatingDriver(new TestIommuDriver()) {
            @Override
            public List<io.iommulab.api.driver.ReservedRegion> getResvRegions(io.iommulab.api.driver.IommuMaster dev) {
                return List.of(new io.iommulab.api.driver.ReservedRegion(resv, 4 * granule, 0,
                        io.iommulab.api.driver.ReservedRegion.Type.MSI));
            }
        });
        api = new DmaApiImpl(engine, 10, TimeUnit.MILLISECONDS);
        assertEquals(List.of(new io.iommulab.api.driver.ReservedRegion(resv, 4 * granule, 0,
                io.iommulab.api.driver.ReservedRegion.Type.MSI)), engine.resvRegions(DEV_A));
        DmaDevice dev = api.device(DEV_A);
        for (int i = 0; i < 64; i++) {
            long iova = dev.mapPage(BUF + i * granule, granule, DmaDirection.TO_DEVICE);
            assertTrue(iova + granule <= resv || iova >= resv + 4 * granule,
                    String.format("IOVA 0x%x lies in the reserved 0x%x+0x%x", iova, resv, 4 * granule));
        }
    }
}
