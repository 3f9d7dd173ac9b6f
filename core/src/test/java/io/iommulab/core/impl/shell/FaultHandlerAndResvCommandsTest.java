package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.FaultHandlerDTO;
import io.iommulab.api.dto.ResvRegionsDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.Fixture;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.testkit.LogCapture;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code iommu:faulthandler} and {@code iommu:resv} on the testkit board (test IOMMU). */
class FaultHandlerAndResvCommandsTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    static final String DEV_B = "/soc/dev-b@200010000";

    SimMachine machine;
    IommuCoreEngine engine;
    IommuCommands iommu;
    FaultHandlerCommands handler;

    @BeforeEach
    void setUp() {
        Fixture f = Fixture.boot();
        machine = f.machine;
        engine = f.engine;
        iommu = IommuCommands.over(engine);
        handler = FaultHandlerCommands.over(engine);
    }

    private FaultDTO fault() {
        assertFalse(iommu.dma(DEV_A, "read", "0x100000", "4").ok());
        List<FaultDTO> f = iommu.faults();
        return f.get(f.size() - 1);
    }

    @Test
    void countAndLogHandleFaultsOnTheCurrentDomainNoneStops() {
        int domain = engine.domainOf(DEV_A).id();
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "none", 0), handler.faulthandler("dev-a"));
        assertFalse(fault().handled(), "no handler: the core only records the fault");

        assertEquals(new FaultHandlerDTO(DEV_A, domain, "count", 0), handler.faulthandler("dev-a", "count"));
        assertTrue(fault().handled());
        assertTrue(fault().handled());
        FaultHandlerDTO counted = handler.faulthandler(DEV_A);
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "count", 2), counted);
        assertEquals(DEV_A + ": domain " + domain + " fault handler: count, 2 faults handled",
                new IommuViewConverter().format(counted, Converter.INSPECT, null).toString());
        assertTrue(iommu.faults().get(0).toString().contains("handled=false"), "the fault before the handler stays unhandled");

        handler.faulthandler(DEV_A, "LOG");
        try (LogCapture log = new LogCapture()) {
            FaultDTO f = fault();
            assertTrue(f.handled());
            List<String> lines = log.matching("fault handler: " + DEV_A + " read fault at IOVA 0x100000");
            assertEquals(1, lines.size(), log.lines().toString());
            assertTrue(lines.get(0).contains("domain " + domain + ": fault handler: ") && lines.get(0).endsWith(", handled"),
                    lines.get(0));
        }
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "log", 1), handler.faulthandler(DEV_A));

        assertEquals(new FaultHandlerDTO(DEV_A, domain, "none", 0), handler.faulthandler(DEV_A, "none"));
        assertFalse(fault().handled());
    }

    @Test
    void theHandlerStaysWithItsDomain() {
        int def = engine.domainOf(DEV_A).id();
        handler.faulthandler(DEV_A, "count");
        int user = iommu.attach(DEV_A, "unmanaged").domain();
        assertEquals(new FaultHandlerDTO(DEV_A, user, "none", 0), handler.faulthandler(DEV_A), "a new domain has none");
        assertFalse(fault().handled());
        iommu.attach(DEV_A, "default");
        assertEquals(new FaultHandlerDTO(DEV_A, def, "count", 0), handler.faulthandler(DEV_A));
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        IommuException e = assertThrows(IommuException.class, () -> handler.faulthandler(DEV_A, "print"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: argument MODE: 'print' is not log, count or none", e.getMessage());
        assertEquals("none", handler.faulthandler(DEV_A).handler(), "nothing set");
        e = assertThrows(IommuException.class, () -> handler.faulthandler("dev-q", "count"));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("ENODEV: no DMA master named 'dev-q'", e.getMessage());
        e = assertThrows(IommuException.class, () -> ResvCommands.over(engine).resv("dev-x"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().startsWith("ENODEV: device /soc/dev-x@200040000 is failed"), e.getMessage());
    }

    @Test
    void aDeviceWhoseDriverReservesNothingHasNoRegions() {
        ResvRegionsDTO r = ResvCommands.over(engine).resv("dev-b");
        assertEquals(new ResvRegionsDTO(DEV_B, engine.device(DEV_B).group(), List.of()), r);
        assertEquals(DEV_B + " (group " + r.group() + "): 0 reserved regions\n", IommuViewConverter.resv(r));
    }
}
