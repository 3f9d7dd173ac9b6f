package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.model.impl.DartModelFactory;
import io.iommulab.dart.model.impl.DartModelFamiliesComponent;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.usb4.model.impl.T8103Usb4ModelVariant;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.pgtable.dart.DartFormat;
import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.DelegatingDriver;
import io.iommulab.testkit.MmioRecordingDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A live update of the usb4 variant's driver (64 streams, TTBRs at 0x400, SID 40 in the second
 * word of every stream bitmap): the new driver takes the DART over from the record, and from the
 * hardware when there is none, without changing a register; DMA on SID 1 and SID 40 goes on.
 */
class Usb4LiveUpdateTest {

    static final String DART = Usb4DriverTest.DART;
    static final String NHI = Usb4DriverTest.NHI;
    static final long PG = Usb4DriverTest.PG;

    final DartHw hw = new T8103Usb4Variant(new DartFamiliesComponent()).hw();

    private SimMachine boot() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("boards/usb4.dts")) {
            return SimMachine.boot(DeviceTrees.parse("usb4.dts", in.readAllBytes()),
                    List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))), Map.of());
        }
    }

    private Map<Integer, Integer> registers(MmioWindow regs) {
        Map<Integer, Integer> out = new TreeMap<>();
        for (int sid = 0; sid < 64; sid++) {
            out.put(hw.tcr().offset(sid), regs.readl(hw.tcr().offset(sid)));
            for (int idx = 0; idx < hw.ttbr().count(); idx++) {
                out.put(hw.ttbr().offset(sid, idx), regs.readl(hw.ttbr().offset(sid, idx)));
            }
        }
        return out;
    }

    private void update(boolean withRecord) throws IOException {
        SimMachine m = boot();
        IommuCoreEngine engine = new IommuCoreEngine(m, CoreConfig.defaults());
        AppleDartDriver old = AppleDartDriver.create(hw, DartFormat::byName);
        DelegatingDriver oldDriver = new DelegatingDriver(old) {
            @Override
            public PreservedIommu preserve(IommuDevice iommu) {
                PreservedIommu rec = base.preserve(iommu);
                return withRecord ? rec : null;
            }
        };
        engine.addDriver(oldDriver);
        MmioWindow regs = m.ioremap(m.deviceTree().node(DART).orElseThrow(), 0);
        DmaMaster nhi = m.master(NHI).orElseThrow();
        long pa = m.ram().get(0).base() + 0x20_0000;
        long iova;
        try (DmaApiImpl dma = new DmaApiImpl(engine)) {
            iova = dma.device(NHI).mapPage(pa, PG, DmaDirection.BIDIRECTIONAL);
            byte[] before = "before".getBytes(StandardCharsets.US_ASCII);
            BackendChecks.assertDmaLands(m.memory(), nhi, 1, iova, pa, before);
            Map<Integer, Integer> was = registers(regs);
            int domain = engine.domainOf(NHI).id();

            MmioRecordingDriver<AppleDartDriver> next = new MmioRecordingDriver<>(AppleDartDriver.create(hw, DartFormat::byName));
            engine.removeDriver(oldDriver, true);
            engine.addDriver(next, "io.iommulab.dart.usb4 0.2.0");

            LiveUpdateDTO u = engine.liveUpdates().get(0);
            assertTrue(u.adopted(), u.reason());
            assertEquals(withRecord ? 1 : 0, u.fromRecord());
            assertEquals(withRecord ? 0 : 1, u.fromHardware());
            assertEquals(1, u.domains());
            assertEquals(1, u.verified());
            assertEquals(0, u.mismatches());
            assertEquals(was, registers(regs), "every TCR and TTBR of the 64 streams as before");
            assertEquals(List.of(), next.takeChanges().stream().filter(c -> c.write().offset() >= hw.tcr().base()
                    && c.write().offset() < hw.ttbr().base() + 64 * 16 && c.before() != c.write().value()).toList());
            assertEquals(domain, engine.domainOf(NHI).id());
            assertEquals(pa + 0x40, engine.domainOf(NHI).iovaToPhys(iova + 0x40));
            byte[] after = "after".getBytes(StandardCharsets.US_ASCII);
            BackendChecks.assertDmaLands(m.memory(), nhi, 1, iova + 0x100, pa + 0x100, after);
            BackendChecks.assertDmaLands(m.memory(), nhi, 0, iova + 0x200, pa + 0x200, after);
            // unmap on the new code selects SID 40 in the second STREAM_SELECT word
            dma.device(NHI).unmapPage(iova, PG, DmaDirection.BIDIRECTIONAL);
            assertEquals("NO PTE FOR IOVA", nhi.read(1, iova, 4).fault());
        }
    }

    @Test
    void theUsb4DartIsTakenOverFromTheRecord() throws IOException {
        update(true);
    }

    @Test
    void theUsb4DartIsTakenOverFromItsRegistersWithoutARecord() throws IOException {
        update(false);
    }
}
