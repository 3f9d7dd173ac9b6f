package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.Fixture;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code iommu:sanitize} and {@code iommu:inject}: their arguments, results and how the shell prints them. */
class SanitizeCommandsTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    static final String IOMMU0 = "/soc/iommu@100000000";
    SimMachine machine;
    IommuCoreEngine engine;
    IommuCommands cmd;
    final DtoConverter conv = new DtoConverter();

    @BeforeEach
    void setUp() {
        Fixture f = Fixture.boot();
        machine = f.machine;
        engine = f.engine;
        cmd = IommuCommands.over(engine);
    }

    @AfterEach
    void tearDown() {
        engine.shutdown();
    }

    private String inspect(Object o) {
        return conv.format(o, Converter.INSPECT, null).toString();
    }

    @Test
    void onListClearOff() {
        assertFalse(cmd.sanitize().enabled());
        assertTrue(inspect(cmd.sanitize()).startsWith("DMA sanitizer off: 0 findings, 0 transactions checked"));
        assertTrue(cmd.sanitize("on").enabled());
        cmd.map(DEV_A, "0x4000", "0x800000000", "0x1000");
        cmd.dma(DEV_A, "read", "0x4000", "16");
        // a map of the IOMMU's own registers
        cmd.map(DEV_A, "0x8000", "0x100000000", "0x1000", "r");
        SanitizerDTO s = cmd.sanitize();
        assertEquals(1, s.total());
        assertEquals(1, s.transactions());
        String text = inspect(s);
        assertTrue(text.startsWith("DMA sanitizer on: 1 finding (map-of-iommu-memory 1), 1 transactions checked, "
                + "0 stale IOTLB hits reported\n#1 "), text);
        assertTrue(text.contains("map-of-iommu-memory: " + IOMMU0 + " domain "), text);
        assertTrue(text.contains("map iova 0x8000: 0x100000000+0x1000 r, now the registers of " + IOMMU0), text);
        assertEquals(0, cmd.sanitize("clear").total());
        assertFalse(cmd.sanitize("OFF").enabled());
        IommuException e = assertThrows(IommuException.class, () -> cmd.sanitize("maybe"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: argument ACTION: 'maybe' is not on, off or clear", e.getMessage());
    }

    /**
     * A flush queue's line says whether its windows kept within the queue's timeout, within the
     * timeout plus how late the host ran the timer, or how many were overdue.
     */
    @Test
    void flushQueueWindowsAreShownAgainstTheTimeoutAndTheTimersLateness() {
        long ms = 1_000_000;
        FlushQueueDTO inTime = new FlushQueueDTO(3, false, 40, 0, 9 * ms, 4 * ms, 10 * ms, 2, 5, 0, 0);
        FlushQueueDTO late = new FlushQueueDTO(4, true, 30, 1, 25 * ms, 6 * ms, 10 * ms, 0, 4, 15 * ms, 0);
        FlushQueueDTO overdue = new FlushQueueDTO(5, false, 20, 0, 40 * ms, 12 * ms, 10 * ms, 0, 3, 2 * ms, 7);
        String text = inspect(new SanitizerDTO(true, 100, 2, Map.of(), 0, List.of(inTime, late), List.of()));
        assertTrue(text.startsWith("DMA sanitizer on: 0 findings, 100 transactions checked, 2 stale IOTLB hits reported; "
                + "flush queues: 70 windows, max 25.000 ms (bounded by the queue timeout 10.000 ms + the timer running late "
                + "(up to 15.000 ms)), 2 transactions through inside, 1 open\n"), text);
        assertTrue(text.contains("\n  flush queue of domain 3: 40 windows closed by 5 flushes, max 9.000 ms, mean 4.000 ms, "
                + "bounded by the queue timeout 10.000 ms, 2 transactions through inside, 0 open\n"), text);
        assertTrue(text.contains("\n  flush queue of domain 4 (freed): 30 windows closed by 4 flushes, max 25.000 ms, mean "
                + "6.000 ms, bounded by the queue timeout 10.000 ms + the timer running late (up to 15.000 ms), 0 transactions "
                + "through inside, 1 open\n"), text);
        String bad = inspect(new SanitizerDTO(true, 0, 0, Map.of(), 0, List.of(inTime, overdue), List.of()));
        assertTrue(bad.contains("flush queues: 60 windows, max 40.000 ms (7 LONGER than the queue timeout 10.000 ms + the "
                + "timer's lateness)"), bad);
        assertTrue(bad.contains("flush queue of domain 5: 20 windows closed by 3 flushes, max 40.000 ms, mean 12.000 ms, 7 "
                + "LONGER than the queue timeout 10.000 ms + the timer's lateness, 0 transactions through inside"), bad);
    }

    @Test
    void injectAndClear() {
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", -1, 0)), cmd.inject("iommu@100000000", "skip-invalidate"));
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", 3, 0)), cmd.inject(IOMMU0, "skip-invalidate", "3"));
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", 3, 0)), cmd.inject());
        String table = inspect(cmd.inject());
        assertTrue(table.startsWith("IOMMU"), table);
        assertTrue(table.contains(IOMMU0 + "  skip-invalidate  3"), table);
        assertEquals(List.of(new InjectionDTO(IOMMU0, "skip-invalidate", 0, 0)), cmd.inject(IOMMU0, "off"));
        assertTrue(cmd.inject().isEmpty());

        IommuException n = assertThrows(IommuException.class, () -> cmd.inject(IOMMU0, "skip-invalidate", "0"));
        assertEquals(Errno.EINVAL, n.errno());
        assertTrue(n.getMessage().contains("N '0' is not between 1 and"), n.getMessage());
        IommuException p = assertThrows(IommuException.class, () -> cmd.inject(IOMMU0, "skip-flush"));
        assertEquals("EINVAL: injection point 'skip-flush' is not one of skip-invalidate, kzalloc, cb-alloc", p.getMessage());
        IommuException amb = assertThrows(IommuException.class, () -> cmd.inject("iommu", "off"));
        assertEquals(Errno.EINVAL, amb.errno());
        assertTrue(amb.getMessage().contains("is ambiguous"), amb.getMessage());
    }

    /** A driver's error point set on one IOMMU fails that IOMMU's allocations only; fail-nth's state reads as one line. */
    @Test
    void aDriversAllocationsFailWhereInjectedAndFailNthReadsAsOneLine() {
        assertEquals(List.of(new InjectionDTO(IOMMU0, "kzalloc", 1, 0)), cmd.inject(IOMMU0, "kzalloc", "1"));
        IommuException e = assertThrows(IommuException.class, () -> engine.domainAlloc(DEV_A, io.iommulab.api.DomainType.DMA));
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().contains("no memory for a paging domain of " + DEV_A), e.getMessage());
        assertEquals(List.of(new InjectionDTO(IOMMU0, "kzalloc", 0, 1)), cmd.inject());
        engine.domainAlloc(DEV_A, io.iommulab.api.DomainType.DMA).free();

        io.iommulab.api.machine.FailNth f = machine.failNth();
        f.arm(2, List.of());
        assertEquals("fail-nth: armed: hit 2 of any point fails; 0 hit(s) so far", inspect(f.state()).trim());
        // hit 1: the driver's kzalloc of the domain; hit 2: the page of its table
        IommuException nomem = assertThrows(IommuException.class, () -> engine.domainAlloc(DEV_A,
                io.iommulab.api.DomainType.UNMANAGED));
        assertEquals(Errno.ENOMEM, nomem.errno());
        String hit = inspect(f.state()).trim();
        assertTrue(hit.startsWith("fail-nth: hit 2 failed: page-alloc at io.iommulab.testiommu:" + IOMMU0 + ", asked by "), hit);
        f.arm(5, List.of());
        engine.domainAlloc(DEV_A, io.iommulab.api.DomainType.UNMANAGED).free();
        // the driver's kzalloc, its table's page, the core's half of the domain
        assertEquals("fail-nth: off (3 hit(s) counted, none failed)", inspect(f.disarm()).trim());
    }
}
