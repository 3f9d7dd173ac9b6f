package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.dart.impl.AppleDartDriver;
import io.iommulab.dart.impl.DartFamiliesComponent;
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
import org.junit.jupiter.api.Test;

/**
 * The stream-id check of of_xlate holds for a variant bundle too: the usb4 DART has 64 streams, so
 * SID 63 is accepted and SID 64 refused, naming the master, the DART, the SID and the count.
 */
class Usb4StreamIdTest {

    static final String DART = "/soc/iommu@38b004000";
    static final String NHI0 = "/soc/thunderbolt@38a000000";
    static final String NHI1 = "/soc/thunderbolt@38c000000";

    @Test
    void stream64IsRefusedAnd63Accepted() throws IOException {
        SimMachine machine;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("boards/usb4-sids.dts")) {
            machine = SimMachine.boot(DeviceTrees.parse("usb4-sids.dts", in.readAllBytes()), List.of(DartModelFactory.builtInAnd(T8103Usb4ModelVariant.build(new DartModelFamiliesComponent()))),
                    Map.of());
        }
        IommuCoreEngine engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        engine.addDriver(AppleDartDriver.create(new T8103Usb4Variant(new DartFamiliesComponent()).hw(), DartFormat::byName));

        DeviceDTO bad = engine.device(NHI1);
        assertEquals("failed", bad.state());
        assertEquals("apple-dart: EINVAL: " + NHI1 + ": stream 64 of " + DART + " is out of range: the DART has 64 streams",
                bad.reason());
        assertNull(bad.group());
        assertEquals(1, engine.groups().size(), "only the good master's group");
        assertEquals(1, engine.domains().size(), "only its default domain");

        DeviceDTO good = engine.device(NHI0);
        assertEquals("probed", good.state(), good.reason());
        IommuDomain dom = engine.domainAlloc(NHI0, DomainType.UNMANAGED);
        engine.attachGroup(dom, NHI0);
        long pa = machine.ram().get(0).base() + 0x10_0000;
        dom.map(0x20_0000, pa, 0x4000, Prot.READ | Prot.WRITE);
        DmaResult w = machine.master(NHI0).orElseThrow().write(0, 0x20_0000, new byte[] {1, 2, 3, 4});
        assertTrue(w.ok(), w.fault());
        assertEquals(0x04030201, machine.memory().read32(pa));
    }
}
