package io.iommulab.smmu.impl;

import io.iommulab.testkit.LogCapture;

import io.iommulab.klib.RateLimit;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** arm_smmu_context_fault and arm_smmu_global_fault (dart-facts §4.3): report, rate-limited log, W1C. */
class FaultTest {

    private static SmmuRig boot(AtomicLong clock) {
        return SmmuRig.boot("smmu", CoreConfig.defaults(), clock::get, true);
    }

    private static int bankOf(SmmuRig rig, String dev) {
        return ((SmmuDomain) ((DomainImpl) rig.engine.domainOf(dev)).ops()).cbndx();
    }

    /** @return log lines containing {@code text}, from the device prefix on */
    private static List<String> lines(LogCapture log, String text) {
        return log.matching(text).stream().map(l -> l.substring(l.indexOf("arm-smmu "))).toList();
    }

    @Test
    void anUnhandledContextFaultIsReportedLoggedAndCleared() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = boot(new AtomicLong());
            int cb = bankOf(rig, DMA);
            DmaResult r = rig.master(DMA).read(0, 0x123_4000L, 8);
            assertFalse(r.ok());
            assertTrue(r.fault().startsWith("TRANSLATION FAULT"), r.fault());
            String p = "arm-smmu " + SMMU0 + ": ";
            assertEquals(List.of(p + String.format("Unhandled context fault: fsr=0x2, iova=0x01234000, fsynr=0x0,"
                    + " cbfrsynra=0x10, cb=%d", cb)), lines(log, "Unhandled context fault"));
            assertEquals(List.of(p + "FSR    = 00000002 [Format=0 TF], SID=0x10"), lines(log, "FSR    ="));
            assertEquals(List.of(p + "FSYNR0 = 00000000 [S1CBNDX=0 PLVL=0]"), lines(log, "FSYNR0 ="));
            assertEquals(0, rig.cb(SMMU0, cb, SmmuRegs.CB_FSR), "FSR cleared");
            List<FaultDTO> faults = rig.engine.faults();
            assertEquals(1, faults.size());
            FaultDTO f = faults.get(0);
            assertEquals(SMMU0, f.iommu());
            assertEquals(0x10, f.sid());
            assertEquals(DMA, f.device());
            assertEquals(rig.engine.domainOf(DMA).id(), f.domain());
            assertEquals(0x123_4000L, f.iova());
            assertEquals("read", f.access());
            assertEquals(SmmuRegs.FSR_TF, f.status());
            assertEquals("TRANSLATION FAULT (level 0)", f.reason());
            assertFalse(f.handled());
            // cleared: the next fault latches again, a write this time
            assertFalse(rig.master(DMA).write(0, 0x200_0000L, new byte[4]).ok());
            FaultDTO w = rig.engine.faults().get(1);
            assertEquals("write", w.access());
            assertEquals(1, lines(log, "FSYNR0 = 00000010 [S1CBNDX=0 WNR PLVL=0]").size());
        }
    }

    @Test
    void aFaultTheDomainHandlesIsNotLogged() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = boot(new AtomicLong());
            IommuDomain dom = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
            rig.engine.attachGroup(dom, DMA);
            List<FaultDTO> seen = new ArrayList<>();
            dom.setFaultHandler((d, f) -> seen.add(f));
            dom.map(0x10_0000, rig.ram() + 0x100_0000, 0x4000, Prot.READ);
            assertTrue(rig.master(DMA).read(0, 0x10_0000, 4).ok());
            DmaResult w = rig.master(DMA).write(0, 0x10_0010, new byte[4]);
            assertTrue(w.fault().startsWith("PERMISSION FAULT"), w.fault());
            assertEquals(1, seen.size());
            assertEquals("PERMISSION FAULT (level 3)", seen.get(0).reason());
            assertEquals("write", seen.get(0).access());
            assertEquals(SmmuRegs.FSR_PF, seen.get(0).status());
            assertTrue(rig.engine.faults().get(0).handled());
            assertTrue(log.matching("Unhandled context fault").isEmpty());
            assertEquals(0, rig.cb(SMMU0, ((SmmuDomain) ((DomainImpl) dom).ops()).cbndx(), SmmuRegs.CB_FSR));
        }
    }

    @Test
    void contextFaultMessagesAreRateLimitedTenPerFiveSeconds() {
        AtomicLong clock = new AtomicLong(1_000);
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = boot(clock);
            for (int i = 0; i < 12; i++) {
                assertFalse(rig.master(DMA).read(0, 0x1000_0000L + 0x4000L * i, 4).ok());
            }
            assertEquals(10, log.matching("Unhandled context fault").size());
            assertEquals(10, log.matching("FSYNR0 =").size());
            assertEquals(12, rig.engine.faults().size(), "every fault is still reported");
            clock.addAndGet(RateLimit.INTERVAL_NANOS - 1);
            assertFalse(rig.master(DMA).read(0, 0x2000_0000L, 4).ok());
            assertEquals(10, log.matching("Unhandled context fault").size(), "window not over yet");
            clock.addAndGet(1);
            assertFalse(rig.master(DMA).read(0, 0x2000_4000L, 4).ok());
            assertEquals(11, log.matching("Unhandled context fault").size());
            assertEquals(1, log.matching(SMMU0 + ": arm_smmu_context_fault: 3 callbacks suppressed").size());
        }
    }

    @Test
    void onASharedLineEveryOtherHandlerAnswersNone() {
        SmmuRig rig = boot(new AtomicLong());
        // a second bank on smmu1, whose interrupts all share one line
        IommuDomain other = rig.engine.domainAlloc(VIDEO, DomainType.UNMANAGED);
        rig.engine.attachGroup(other, VIDEO);
        rig.engine.detachGroup(other, VIDEO);
        IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(SMMU1), 0);
        assertEquals(3, line.actions().size(), "global + two banks");
        long raised = line.raisedCount();
        assertFalse(rig.master(VIDEO).read(0, 0x7000_0000L, 4).ok());
        assertEquals(raised + 1, line.raisedCount());
        assertEquals(0, line.unhandledCount(), "the default domain's bank handled it");
        assertEquals(IrqReturn.NONE, ((SmmuDomain) ((DomainImpl) other).ops()).contextFault(line.number()));
        assertEquals(IrqReturn.NONE, rig.smmu(SMMU1).globalFault(line.number()));
        FaultDTO f = rig.engine.faults().get(0);
        assertEquals(SMMU1, f.iommu());
        assertEquals(0x500, f.sid());
        assertEquals(VIDEO, f.device());
    }

    @Test
    void anUnknownStreamIsBlockedAndReportedWithTheSidOfGfsynr1() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = boot(new AtomicLong());
            DmaResult r = rig.master(DUAL).read(0, 0x5000, 4);
            assertFalse(r.ok());
            assertEquals("UNIDENTIFIED STREAM", r.fault());
            String p = "arm-smmu " + SMMU0 + ": ";
            assertEquals(List.of(p + "Blocked unknown Stream ID 0x40; boot with \"arm-smmu.disable_bypass=0\" to allow, but this"
                    + " may have security implications"), lines(log, "Blocked unknown Stream ID"));
            assertEquals(List.of(p + "\tGFSR 0x00000002, GFSYNR0 0x00000000, GFSYNR1 0x00000040, GFSYNR2 0x00000000"),
                    lines(log, "GFSR 0x"));
            assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SGFSR), "sGFSR cleared");
            FaultDTO f = rig.engine.faults().get(0);
            assertEquals(SMMU0, f.iommu());
            assertEquals(0x40, f.sid());
            assertEquals(0x5000, f.iova());
            assertEquals("UNIDENTIFIED STREAM", f.reason());
            assertEquals(SmmuRegs.SGFSR_USF, f.status());
            // the next one latches again
            assertFalse(rig.master(DUAL).write(0, 0x6000, new byte[4]).ok());
            assertEquals("write", rig.engine.faults().get(1).access());
        }
    }

    @Test
    void anyOtherGlobalFaultIsUnexpected() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = boot(new AtomicLong());
            // hardware misprogrammed behind the driver's back: dma's S2CR names bank 200
            int entry = rig.cfg(DMA).smendx[0];
            rig.regs(SMMU0).writel(SmmuRegs.s2cr(entry), 200);
            DmaResult r = rig.master(DMA).read(0, 0x5000, 4);
            assertEquals("INVALID CONTEXT BANK", r.fault());
            String p = "arm-smmu " + SMMU0 + ": ";
            assertEquals(List.of(p + "Unexpected global fault, this could be serious"), lines(log, "Unexpected global fault"));
            assertEquals(List.of(p + "\tGFSR 0x00000008, GFSYNR0 0x00000000, GFSYNR1 0x00000010, GFSYNR2 0x00000000"),
                    lines(log, "GFSR 0x"));
            assertEquals("INVALID CONTEXT BANK", rig.engine.faults().get(0).reason());
            assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SGFSR));
            assertEquals(IrqReturn.NONE, rig.smmu(SMMU0).globalFault(0), "nothing latched");
        }
    }
}
