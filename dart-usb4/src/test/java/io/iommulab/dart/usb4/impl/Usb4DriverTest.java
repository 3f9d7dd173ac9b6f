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
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.impl.DartInstance;
import io.iommulab.machine.SimMachine;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The usb4 variant driven by the apple-dart driver against the DART model: 64 streams end to end. */
class Usb4DriverTest {

    static final String DART = "/soc/iommu@38b004000";
    static final String NHI = "/soc/thunderbolt@38a000000";
    static final long PG = 0x4000;

    SimMachine machine;
    IommuCoreEngine engine;
    AppleDartDriver driver;
    MmioWindow regs;

    @BeforeEach
    void boot() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("boards/usb4.dts")) {
            machine = SimMachine.boot(DeviceTrees.parse("usb4.dts", in.readAllBytes()), List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        }
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        driver = AppleDartDriver.create(new T8103Usb4Variant(new DartFamiliesComponent()).hw(), DartFormat::byName);
        engine.addDriver(driver);
        regs = machine.ioremap(machine.deviceTree().node(DART).orElseThrow(), 0);
    }

    @Test
    void probesWith64StreamsAndNoBypass() {
        IommuNodeDTO n = engine.iommus().get(0);
        assertEquals("probed", n.state(), n.reason());
        DartInstance d = driver.instances().get(0);
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
}
