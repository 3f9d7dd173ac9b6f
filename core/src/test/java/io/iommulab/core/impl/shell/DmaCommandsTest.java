package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.DmaRangeDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.dto.IovaRangeDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code dma:} scope on the testkit board (test IOMMU: 4 KiB granule, 30-bit aperture, top-down IOVAs). */
class DmaCommandsTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    static final String NIC0 = "/soc/pcie@300000000/pci@0,0/nic@0,0";
    static final long BUF = 0x8_0000_0000L;
    static final long TOP = 0x4000_0000L;

    SimMachine machine;
    IommuCoreEngine engine;
    DmaApiImpl api;
    DmaCommands cmd;
    IommuCommands iommu;

    private void boot(CoreConfig config) {
        machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
                List.of(new TestIommuModelFactory()), Map.of());
        engine = new IommuCoreEngine(machine, config);
        engine.addDriver(new TestIommuDriver());
        api = new DmaApiImpl(engine, 3_600_000, TimeUnit.MILLISECONDS);
        cmd = DmaCommands.over(engine, api);
        iommu = IommuCommands.over(engine);
    }

    @AfterEach
    void tearDown() {
        if (api != null) {
            api.close();
        }
    }

    private DmaMaster devA() {
        return machine.master(DEV_A).orElseThrow();
    }

    private static String refused(Errno errno, org.junit.jupiter.api.function.Executable command) {
        IommuException e = assertThrows(IommuException.class, command);
        assertEquals(errno, e.errno(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void mapShowsTheDmaAddressAndUnmapMustMatchWhatWasMapped() {
        boot(CoreConfig.defaults());
        machine.memory().write(BUF + 0x3010, new byte[] {0x5a}, 0, 1);
        int domain = engine.domainOf(DEV_A).id();
        DmaMappingDTO m = cmd.map("dev-a@200000000", "0x800003010", "0x20", "to-device");
        long dma = TOP - 0x1000 + 0x10;
        assertEquals(new DmaMappingDTO(DEV_A, domain, "single", "to-device", dma, 0x20, TOP - 0x1000, 0x1000,
                List.of(new DmaRangeDTO(BUF + 0x3010, 0x20)), List.of(new DmaRangeDTO(dma, 0x20))), m);
        assertEquals("/soc/dev-a@200000000 domain " + domain + ": single to-device pa 0x800003010+0x20 -> dma 0x3ffff010+0x20"
                + " (IOVA 0x3ffff000+0x1000)", new DmaDtoConverter().format(m, Converter.INSPECT, null).toString());
        assertEquals(0x5a, devA().read(0, dma, 1).data()[0]);
        assertFalse(devA().write(0, dma, new byte[] {1}).ok(), "to-device maps read-only");
        assertEquals(List.of(m), cmd.mappings(DEV_A));
        assertEquals(List.of(m), cmd.mappings());

        String dev = "DMA-API: " + DEV_A + ": device driver ";
        assertEquals("EINVAL: " + dev + "tries to free DMA memory it has not allocated [device address=0x000000003ffff000]"
                + " [size=32 bytes]", refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, "0x3ffff000", "0x20", "to-device")));
        assertEquals("EINVAL: " + dev + "frees DMA memory with different size [device address=0x000000003ffff010] "
                + "[map size=32 bytes] [unmap size=4096 bytes]", refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, "0x3ffff010", "4K",
                "to-device")));
        assertEquals("EINVAL: " + dev + "frees DMA memory with different direction [device address=0x000000003ffff010] "
                + "[size=32 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_BIDIRECTIONAL]",
                refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, "0x3ffff010", "0x20", "bidirectional")));
        assertEquals("EINVAL: " + dev + "frees DMA memory with wrong function [device address=0x000000003ffff010] "
                + "[size=32 bytes] [mapped as single] [unmapped as scatter-gather]",
                refused(Errno.EINVAL, () -> cmd.unmapsg(DEV_A, "0x3ffff010", "to-device")));
        assertEquals("EINVAL: " + dev + "frees DMA memory with wrong function [device address=0x000000003ffff010] "
                + "[size=32 bytes] [mapped as single] [unmapped as coherent]", refused(Errno.EINVAL, () -> cmd.free(DEV_A,
                "0x3ffff010")));
        assertEquals(List.of(m), cmd.mappings(DEV_A), "nothing changed");
        assertEquals(0x5a, devA().read(0, dma, 1).data()[0], "still mapped");

        assertEquals(List.of(), cmd.unmap(DEV_A, "0x3ffff010", "32", "TO-DEVICE"));
        assertFalse(devA().read(0, dma, 1).ok(), "strict: faults at once");
        assertEquals(List.of(), cmd.mappings());
    }

    @Test
    void scatterGatherIsPrintedAsTheMergedSgList() {
        boot(CoreConfig.defaults());
        DmaMappingDTO m = cmd.mapsg(DEV_A, "bidirectional", "0x800001000:4K", "0x800005000:0x800", "0x800007000:0x1000");
        // three entries of 4K-padded pieces in one 12K range: the first two merge, the second ends inside a granule
        long iova = TOP - 0x4000;
        assertEquals(List.of(new DmaRangeDTO(iova, 0x1800), new DmaRangeDTO(iova + 0x2000, 0x1000)), m.segments());
        assertEquals(new DmaMappingDTO(DEV_A, m.domain(), "scatter-gather", "bidirectional", iova, 0x2800, iova, 0x3000,
                List.of(new DmaRangeDTO(BUF + 0x1000, 0x1000), new DmaRangeDTO(BUF + 0x5000, 0x800),
                        new DmaRangeDTO(BUF + 0x7000, 0x1000)), m.segments()), m);
        assertEquals(DEV_A + " domain " + m.domain() + ": scatter-gather bidirectional 3 entries -> 2 segments (IOVA 0x3fffc000"
                + "+0x3000)\n"
                + "  entry[0] pa 0x800001000 length 0x1000\n"
                + "  entry[1] pa 0x800005000 length 0x800\n"
                + "  entry[2] pa 0x800007000 length 0x1000\n"
                + "  sg[0] dma_address=0x3fffc000 dma_length=0x1800\n"
                + "  sg[1] dma_address=0x3fffe000 dma_length=0x1000\n", DmaDtoConverter.mapping(m));
        assertTrue(refused(Errno.EINVAL, () -> cmd.unmapsg(DEV_A, "0x3fffc000", "from-device"))
                .contains("different direction"));
        assertTrue(refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, "0x3fffc000", "0x2800", "bidirectional"))
                .contains("[mapped as scatter-gather] [unmapped as single]"));
        assertEquals("EINVAL: DMA-API: " + DEV_A + ": device driver tries to free DMA memory it has not allocated "
                + "[device address=0x000000003fffe000]", refused(Errno.EINVAL, () -> cmd.unmapsg(DEV_A, "0x3fffe000",
                "bidirectional")), "the second segment's address: no list starts there");
        assertTrue(devA().read(0, iova + 0xffe, 4).ok(), "still mapped");
        assertEquals(List.of(), cmd.unmapsg(DEV_A, "0x3fffc000", "bidirectional"));
        assertFalse(devA().read(0, iova, 4).ok());
    }

    @Test
    void coherentBuffersComeFromThePageAllocatorUnderTheDevicesName() {
        boot(CoreConfig.defaults());
        String owner = "dma_alloc_coherent:" + DEV_A;
        DmaMappingDTO m = cmd.alloc(DEV_A, "0x1800");
        assertEquals("coherent", m.type());
        assertEquals("bidirectional", m.direction());
        assertEquals(0x1800, m.size());
        assertEquals(0x4000, m.iovaSize(), "whole CPU pages (16K by default)");
        assertEquals(4L, machine.pages().pagesByOwner().get(owner), "an order-2 block of the allocator's 4K pages");
        long pa = m.entries().get(0).address();
        assertTrue(pa >= BUF + 0x2000_0000L, "from the page allocator (the upper half of RAM)");
        DmaResult w = devA().write(0, m.dmaAddress() + 0x1000, new byte[] {7, 8});
        assertTrue(w.ok(), String.valueOf(w.fault()));
        assertEquals(8, machine.memory().read8(pa + 0x1001));

        assertEquals("EINVAL: DMA-API: " + DEV_A + ": device driver tries to free DMA memory it has not allocated "
                + "[device address=0x0000000000001000]", refused(Errno.EINVAL, () -> cmd.free(DEV_A, "0x1000")));
        assertTrue(refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, Long.toString(m.dmaAddress()), "0x1800", "bidirectional"))
                .contains("[mapped as coherent] [unmapped as single]"));
        assertEquals(4L, machine.pages().pagesByOwner().get(owner), "nothing changed");

        assertEquals(List.of(), cmd.free(DEV_A, "0x" + Long.toHexString(m.dmaAddress())));
        assertNull(machine.pages().pagesByOwner().get(owner), "the pages went back");
        assertFalse(devA().read(0, m.dmaAddress(), 1).ok());
    }

    @Test
    void theIovaViewCoversTheWholeSpaceWithEveryRangesKind() {
        boot(CoreConfig.defaults());
        long a = cmd.map(DEV_A, "0x800000000", "4K", "bidirectional").dmaAddress();
        long b = cmd.map(DEV_A, "0x800000000", "8K", "bidirectional").dmaAddress();
        cmd.unmap(DEV_A, Long.toString(a), "4K", "bidirectional");
        IovaDomainDTO d = cmd.iova(DEV_A);
        assertEquals(new IovaDomainDTO(DEV_A, engine.domainOf(DEV_A).id(), "DMA", 0x1000, 0x1000, TOP - 1, 0x2000, 0, 0x1000,
                0, TOP - 0x1000 - 0x3000, 0, List.of(new IovaRangeDTO(0x1000, b - 0x1000, "free"),
                        new IovaRangeDTO(b, 0x2000, "allocated"), new IovaRangeDTO(TOP - 0x2000, 0x1000, "free"),
                        new IovaRangeDTO(a, 0x1000, "cached")),
                d.rcaches()), d, "strict: a freed range waits in the rcache of its size");
        assertEquals(TOP - 0x4000, b, "8K: aligned to its size, below the first");
        assertEquals(1, d.rcaches().get(0).cached());
        assertEquals(0x1000, d.rcaches().get(0).size());
        assertEquals(256, d.rcaches().get(0).capacity());
        String text = DmaDtoConverter.iova(d);
        assertTrue(text.startsWith(DEV_A + ": domain " + d.domain() + " (DMA), IOVA 0x1000-0x3fffffff in 0x1000 granules: "
                + "allocated 0x2000, queued 0x0, cached 0x1000, reserved 0x0, free 0x3fffc000\n"
                + "START       END         SIZE        KIND\n"
                + "0x1000      0x3fffbfff  0x3fffb000  free\n"
                + "0x3fffc000  0x3fffdfff  0x2000      allocated\n"
                + "0x3fffe000  0x3fffefff  0x1000      free\n"
                + "0x3ffff000  0x3fffffff  0x1000      cached\n"
                + "rcaches:"), text);
        assertTrue(text.endsWith("rcaches: 0x1000 1/256 0x2000 0/256 0x4000 0/256 0x8000 0/256 0x10000 0/256 0x20000 0/256\n"),
                text);
    }

    @Test
    void aLazyDomainShowsWhatWaitsInItsFlushQueue() {
        boot(CoreConfig.defaults().withStrict(false));
        long a = cmd.map(DEV_A, "0x800000000", "4K", "from-device").dmaAddress();
        cmd.unmap(DEV_A, "0x" + Long.toHexString(a), "4K", "from-device");
        IovaDomainDTO d = cmd.iova(DEV_A);
        assertEquals("DMA-FQ", d.domainType());
        assertEquals(List.of(new IovaRangeDTO(0x1000, a - 0x1000, "free"), new IovaRangeDTO(a, 0x1000, "queued")), d.ranges());
        assertEquals(0x1000, d.queued());
        api.device(DEV_A).flush();
        d = cmd.iova(DEV_A);
        assertEquals(1, d.flushes());
        assertEquals(new IovaRangeDTO(a, 0x1000, "cached"), d.ranges().get(1), "flushed: free to reuse, in its rcache");
    }

    @Test
    void badArgumentsAreRefusedNamingThemAndChangeNothing() {
        boot(CoreConfig.defaults());
        long pages = machine.pages().pagesInUse();
        assertEquals("EINVAL: argument DIR: 'up' is not to-device, from-device or bidirectional",
                refused(Errno.EINVAL, () -> cmd.map(DEV_A, "0x800000000", "4K", "up")));
        assertEquals("EINVAL: SIZE '0' is not between 1 and 9223372036854775807",
                refused(Errno.EINVAL, () -> cmd.map(DEV_A, "0x800000000", "0", "to-device")));
        assertEquals("EINVAL: argument PADDR: 0x100000+0x1000 is not in the board's RAM (0x800000000-0x83fffffff)",
                refused(Errno.EINVAL, () -> cmd.map(DEV_A, "1M", "4K", "to-device")));
        assertEquals("EINVAL: argument PADDR: 0x83ffff000+0x2000 is not in the board's RAM (0x800000000-0x83fffffff)",
                refused(Errno.EINVAL, () -> cmd.map(DEV_A, "0x83ffff000", "8K", "to-device")), "runs off the end of RAM");
        assertEquals("EINVAL: argument SG 1: '0x800000000' is not PADDR:LEN",
                refused(Errno.EINVAL, () -> cmd.mapsg(DEV_A, "to-device", "0x800000000:4K", "0x800000000")));
        assertEquals("EINVAL: LEN of SG 0 '0' is not between 1 and 9223372036854775807",
                refused(Errno.EINVAL, () -> cmd.mapsg(DEV_A, "to-device", "0x800000000:0")));
        assertEquals("EINVAL: argument SG: no entries (give PADDR:LEN for each)",
                refused(Errno.EINVAL, () -> cmd.mapsg(DEV_A, "to-device")));
        assertEquals("ENODEV: no DMA master named 'dev-q'", refused(Errno.ENODEV, () -> cmd.map("dev-q", "0x800000000", "4K",
                "to-device")));
        assertEquals("ENODEV: device /soc/dev-x@200040000 is failed: iommus references disabled /soc/iommu@100020000",
                refused(Errno.ENODEV, () -> cmd.mappings("dev-x")));
        assertEquals("EINVAL: SIZE '0' is not between 1 and 9223372036854775807",
                refused(Errno.EINVAL, () -> cmd.alloc(DEV_A, "0")));
        assertTrue(refused(Errno.ENOMEM, () -> cmd.alloc(DEV_A, "1G")).startsWith(
                "ENOMEM: dma_alloc_coherent of 0x40000000 bytes for " + DEV_A + ": "));
        assertEquals(pages, machine.pages().pagesInUse(), "no page allocated or lost on the way");
        iommu.attach(DEV_A, "unmanaged");
        int un = engine.domainOf(DEV_A).id();
        assertEquals("EINVAL: " + DEV_A + " is attached to unmanaged domain " + un + "; dma_map_page needs a DMA or identity"
                + " domain", refused(Errno.EINVAL, () -> cmd.map(DEV_A, "0x800000000", "4K", "to-device")));
        assertEquals(List.of(), cmd.mappings());
    }

    @Test
    void anIdentityDomainMapsOneToOneWithoutAnAllocator() {
        boot(CoreConfig.defaults().withDefaultDomain(DomainType.IDENTITY));
        DmaMappingDTO m = cmd.map(NIC0, "0x800000123", "0x10", "from-device");
        assertEquals(0x8_0000_0123L, m.dmaAddress());
        assertEquals(0, m.iovaSize());
        assertEquals(List.of(m), cmd.mappings("nic@0,0"));
        assertEquals("EINVAL: " + NIC0 + " is attached to identity domain " + m.domain() + ", where DMA addresses are physical"
                + " addresses: there is no IOVA allocator", refused(Errno.EINVAL, () -> cmd.iova(NIC0)));
        assertTrue(refused(Errno.EINVAL, () -> cmd.unmap(NIC0, "0x800000123", "0x10", "to-device"))
                .contains("different direction"), "checked on identity domains too");
        assertEquals(List.of(), cmd.unmap(NIC0, "0x800000123", "0x10", "from-device"));
    }

    @Test
    void aMappingStaysWithTheDomainItWasMadeIn() {
        boot(CoreConfig.defaults());
        DmaMappingDTO m = cmd.map(DEV_A, "0x800000000", "4K", "to-device");
        iommu.attach(DEV_A, "dma");
        int user = engine.domainOf(DEV_A).id();
        assertEquals("EINVAL: DMA address 0x3ffff000 of " + DEV_A + " was mapped in domain " + m.domain() + "; " + DEV_A
                + " is attached to domain " + user + " now", refused(Errno.EINVAL, () -> cmd.unmap(DEV_A, "0x3ffff000", "4K",
                "to-device")));
        DmaMappingDTO u = cmd.map(DEV_A, "0x800000000", "4K", "to-device");
        assertEquals(user, u.domain());
        assertEquals(2, cmd.mappings().size());
        iommu.attach(DEV_A, "default");
        assertEquals(List.of(m), cmd.mappings(), "the user domain was freed with its mapping");
        assertEquals(List.of(), cmd.unmap(DEV_A, "0x3ffff000", "4K", "to-device"));
    }
}
