package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The model's walk through the machine's debug port ({@code Machine.hardwareWalk}): what the
 * registers and the tables in memory give now, never the IOTLB, and nothing a transaction leaves
 * behind (no count, no fill, no latched error).
 */
class DartWalkPortTest {
    private final DartRig rig = new DartRig();

    @Test
    void walkGivesTheTablesAndPermissionsWithoutTouchingTheHardwareState() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long rw = rig.allocPage(0);
        long ro = rig.allocPage(0);
        long wo = rig.allocPage(0);
        t.map(0x10_0000L, rw);
        t.map(0x10_4000L, ro, true, false);
        t.map(0x10_8000L, wo, false, true);
        MmioWindow w = rig.regs(DART_A);
        DartT8020ModelTest.translate(w, 0x200, 1, 0, t);
        Map<String, Long> before = rig.counters(DART_A);

        assertEquals(TableWalk.of(rw + 0x123, Prot.READ | Prot.WRITE), rig.machine.hardwareWalk(DART_A, 1, 0x10_0123L));
        assertEquals(TableWalk.of(ro + 0x3ff8, Prot.READ), rig.machine.hardwareWalk(DART_A, 1, 0x10_7ff8L));
        assertEquals(TableWalk.of(wo, Prot.WRITE), rig.machine.hardwareWalk(DART_A, 1, 0x10_8000L));
        assertEquals(TableWalk.fault("NO PTE FOR IOVA"), rig.machine.hardwareWalk(DART_A, 1, 0x10_c000L));
        assertEquals(TableWalk.fault("NO PMD FOR IOVA"), rig.machine.hardwareWalk(DART_A, 1, 0x4000_0000L));
        assertEquals(TableWalk.fault("NO TTBR FOR IOVA"), rig.machine.hardwareWalk(DART_A, 1, 1L << 36));

        assertEquals(before, rig.counters(DART_A), "a walk through the debug port is no transaction");
        assertEquals(0, w.readl(DartT8020ModelTest.ERROR), "nothing latched");
    }

    @Test
    void walkIgnoresTheIotlb() {
        DartRig.Tables t = rig.new Tables(Pte.DART1, 2);
        long page = rig.allocPage(0x5a);
        t.map(0x20_0000L, page);
        DartT8020ModelTest.translate(rig.regs(DART_A), 0x200, 1, 0, t);
        DmaMaster m = rig.master(DMA_A);
        assertEquals(0x5a, dmaPeek(m, 1, 0x20_0000L), "the IOTLB now holds the page");
        t.unmap(0x20_0000L);
        assertEquals(0x5a, dmaPeek(m, 1, 0x20_0000L), "no invalidation: the IOTLB still serves it");
        assertEquals(TableWalk.fault("NO PTE FOR IOVA"), rig.machine.hardwareWalk(DART_A, 1, 0x20_0000L),
                "the walk reads the tables as they are");
    }

    @Test
    void bypassBlockedAndDisabledStreams() {
        MmioWindow w = rig.regs(DART_A);
        assertEquals(TableWalk.fault("STREAM DISABLED"), rig.machine.hardwareWalk(DART_A, 0, RAM));
        w.writel(DartT8020ModelTest.ENABLE, 1);
        assertEquals(TableWalk.fault("NO TTBR FOR IOVA"), rig.machine.hardwareWalk(DART_A, 0, RAM), "TCR 0: blocked");
        w.writel(DartT8020ModelTest.tcr(0), DartT8020ModelTest.TCR_BYPASS_DART | DartT8020ModelTest.TCR_BYPASS_DAPF);
        assertEquals(TableWalk.of(RAM + 0x40, Prot.READ | Prot.WRITE), rig.machine.hardwareWalk(DART_A, 0, RAM + 0x40));
        assertEquals(TableWalk.fault("NO SUCH STREAM"), rig.machine.hardwareWalk(DART_A, 99, RAM));
    }

    @Test
    void fourLevelT8110Walk() {
        DartRig.Tables t = rig.new Tables(Pte.DART2, 3);
        long page = rig.allocPage(0);
        long iova = 0x8_1234_4000L;
        t.map(iova, page);
        DartT8110ModelTest.translate(rig.regs(T8110), 2, t);
        assertEquals(TableWalk.of(page + 0x10, Prot.READ | Prot.WRITE), rig.machine.hardwareWalk(T8110, 2, iova + 0x10));
        assertTrue(!rig.machine.hardwareWalk(T8110, 2, iova + PAGE).ok());
    }

    @Test
    void unknownIommuIsEnodev() {
        IommuException e = assertThrows(IommuException.class, () -> rig.machine.hardwareWalk("/soc/nothing", 0, 0));
        assertEquals(Errno.ENODEV, e.errno());
    }
}
