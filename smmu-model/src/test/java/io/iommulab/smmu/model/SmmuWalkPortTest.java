package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The model's walk through the machine's debug port ({@code Machine.hardwareWalk}): the stream's
 * route (client bypass, SMR, S2CR, bank) and the bank's tables as they are now, never the TLB, and
 * nothing latched or counted.
 */
class SmmuWalkPortTest {
    static final int ON = M | TRE | AFE | CFRE | CFIE;

    private final SmmuRig rig = new SmmuRig();
    private final MmioWindow w = rig.regs(SMMU0);
    private final DmaMaster m = rig.master(DMA0);

    private TableWalk walk(long iova) {
        return rig.machine.hardwareWalk(SMMU0, 0x10, iova);
    }

    @Test
    void walkGivesPagesBlocksAndDevicePermissions() {
        SmmuRig.Tables t = rig.new Tables(14, 48);
        long page = rig.alloc(0x4000);
        long ro = rig.alloc(0x4000);
        t.page(0x10_0000L, page);
        t.page(0x10_4000L, ro, false);
        t.block(0x400_0000L, 2, RAM + 0x200_0000L);
        context(w, 8, 0, t, 1, ON);
        stream(w, 0, 0x10, S2CR_TRANS);
        enable(w);
        Map<String, Long> before = rig.counters(SMMU0);

        assertEquals(TableWalk.of(page + 0x123, Prot.READ | Prot.WRITE), walk(0x10_0123L));
        assertEquals(TableWalk.of(ro, Prot.READ), walk(0x10_4000L));
        assertEquals(TableWalk.of(RAM + 0x200_0000L + 0x1_2345L, Prot.READ | Prot.WRITE), walk(0x401_2345L),
                "32 MiB block at level 2");
        assertEquals(TableWalk.fault("TRANSLATION FAULT (level 3)"), walk(0x10_8000L));
        assertEquals(TableWalk.fault("TRANSLATION FAULT (level 2)"), walk(0x800_0000L));
        assertEquals(before, rig.counters(SMMU0), "a walk through the debug port is no transaction");
        assertEquals(0, w.readl(cb(8, 0, FSR)), "no context fault latched");
    }

    @Test
    void walkIgnoresTheTlb() {
        SmmuRig.Tables t = rig.new Tables(14, 48);
        long page = rig.alloc(0x4000);
        rig.fill(page, 16, 0x6b);
        t.page(0x20_0000L, page);
        context(w, 8, 0, t, 1, ON);
        stream(w, 0, 0x10, S2CR_TRANS);
        enable(w);
        assertEquals(0x6b, dmaPeek(m, 0, 0x20_0000L), "the TLB now holds the page");
        t.put(0x20_0000L, 3, 0);
        assertEquals(0x6b, dmaPeek(m, 0, 0x20_0000L), "no TLBI: the TLB still serves it");
        assertEquals(TableWalk.fault("TRANSLATION FAULT (level 3)"), walk(0x20_0000L));
    }

    @Test
    void bypassFaultAndUnmatchedStreams() {
        assertEquals(TableWalk.of(0x1234, Prot.READ | Prot.WRITE), walk(0x1234), "CLIENTPD at reset: bypass");
        enable(w);
        assertEquals(TableWalk.fault("UNIDENTIFIED STREAM"), walk(0x1234), "USFCFG: an unmatched stream faults");
        stream(w, 0, 0x10, S2CR_BYPASS);
        assertEquals(TableWalk.of(0x1234, Prot.READ | Prot.WRITE), walk(0x1234));
        stream(w, 0, 0x10, S2CR_FAULT);
        assertEquals(TableWalk.fault(SmmuFault.S2CR_FAULT.text()), walk(0x1234));
        assertEquals(0, w.readl(SGFSR), "nothing latched");
    }
}
