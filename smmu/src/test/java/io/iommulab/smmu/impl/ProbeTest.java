package io.iommulab.smmu.impl;

import static io.iommulab.testkit.BackendChecks.assertProbeFailed;
import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.testkit.LogCapture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** arm_smmu_device_probe / _reset / _remove (dart-facts §4.3) and every probe failure. */
class ProbeTest {

    @Test
    void probeLogsTheLinuxLinesForWhatIdRegistersSay() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu");
            for (String s : List.of(SMMU0, SMMU1, SMMU2, SMMU3)) {
                IommuNodeDTO n = rig.iommu(s);
                assertEquals("probed", n.state(), s + ": " + n.reason());
                assertEquals(ArmSmmuDriver.NAME, n.driver());
            }
            String p = "arm-smmu " + SMMU0 + ": ";
            for (String line : List.of("probing hardware configuration...", "SMMUv2 with:", "\tstage 1 translation",
                    "\tstream matching with 32 register groups", "\t8 context banks (0 stage-2 only)",
                    "\tSupported page sizes: 0x62215000", "\tStage-1: 48-bit VA -> 48-bit IPA")) {
                assertEquals(1, log.matching(p + line).size(), line);
            }
            assertEquals(1, log.matching("arm-smmu " + SMMU2 + ": \t2 context banks (0 stage-2 only)").size());
            assertEquals(1, log.matching("arm-smmu " + SMMU2 + ": \tstream matching with 2 register groups").size());
            assertTrue(log.matching("arm-smmu " + SMMU3 + ": \tstream matching").isEmpty(), "stream indexing: no SMRs");
            SmmuParams p0 = rig.smmu(SMMU0).params();
            assertEquals(8, p0.numContextBanks());
            assertEquals(32, p0.numMappingGroups());
            assertEquals(48, p0.vaSize());
            assertEquals(48, p0.ipaSize());
            assertEquals(128, rig.smmu(SMMU3).params().numMappingGroups(), "stream indexing: 2^7 S2CRs");
        }
    }

    @Test
    void resetEnablesTheClientPortWithUnmatchedStreamsFaultingAndFreeEntriesFaulting() {
        SmmuRig rig = SmmuRig.boot("smmu");
        int scr0 = rig.gr0(SMMU0, SmmuRegs.GR0_SCR0);
        assertEquals(0, scr0 & SmmuRegs.SCR0_CLIENTPD, "client port enabled");
        assertNotEquals(0, scr0 & SmmuRegs.SCR0_USFCFG, "disable_bypass: unmatched streams fault");
        for (int bit : new int[] {SmmuRegs.SCR0_GFRE, SmmuRegs.SCR0_GFIE, SmmuRegs.SCR0_GCFGFRE, SmmuRegs.SCR0_GCFGFIE,
                SmmuRegs.SCR0_VMIDPNE, SmmuRegs.SCR0_PTM}) {
            assertNotEquals(0, scr0 & bit, "sCR0 bit 0x" + Integer.toHexString(bit));
        }
        assertEquals(0, scr0 & (SmmuRegs.SCR0_FB | SmmuRegs.SCR0_BSU));
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SGFSR));
        // every SMR nobody uses is invalid and its S2CR faults; every bank nobody uses is off
        SmmuInstance s = rig.smmu(SMMU0);
        int used = 0;
        for (int i = 0; i < 32; i++) {
            int smr = rig.gr0(SMMU0, SmmuRegs.smr(i));
            int s2cr = rig.gr0(SMMU0, SmmuRegs.s2cr(i));
            if ((smr & SmmuRegs.SMR_VALID) == 0) {
                assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, s2cr, "free S2CR " + i);
                assertEquals(0, s.streams.s2cr(i).count);
            } else {
                used++;
                assertEquals(SmmuRegs.S2CR_TYPE_TRANS, (s2cr >>> 16) & 3, "used S2CR " + i);
            }
        }
        // dma 0x10 (shared with joiner), gpu 0x20 + 0x21, display 0x30 (shared), joiner 0x50 (shared
        // with late), nic0 0x100, nic1 0x101
        assertEquals(7, used);
        for (int cb = 0; cb < 8; cb++) {
            boolean inUse = s.contextBanksInUse().get(cb);
            assertEquals(inUse, (rig.cb(SMMU0, cb, SmmuRegs.CB_SCTLR) & SmmuRegs.SCTLR_M) != 0, "bank " + cb);
            assertEquals(0, rig.cb(SMMU0, cb, SmmuRegs.CB_FSR), "FSR of bank " + cb);
        }
        assertEquals(4, s.contextBanksInUse().cardinality(), "dma group, gpu, display group, nic group");
    }

    @Test
    void smrWidthsAreProbedByWritingAllOnesIntoAFreeSmr() {
        SmmuRig rig = SmmuRig.boot("smmu");
        assertEquals(0x7fff, rig.smmu(SMMU0).streamIdMask());
        assertEquals(0x7fff, rig.smmu(SMMU0).smrMaskMask());
        assertEquals(0x8000, rig.smmu(SMMU0).numStreams());
        assertEquals(0x7f, rig.smmu(SMMU3).streamIdMask(), "stream indexing: NUMSIDB only");
        assertEquals(0, rig.smmu(SMMU3).smrMaskMask(), "stream indexing: no SMR, no mask");
        // (the stuck SMMU of that board times its syncs out on a clock that runs 250 ms per read)
        AtomicLong t = new AtomicLong();
        SmmuRig narrow = SmmuRig.boot("smmu-stuck", CoreConfig.defaults(), () -> t.addAndGet(250_000_000L), true);
        assertEquals(0x3ff, narrow.smmu(NARROW).streamIdMask(), "sid-bits=10");
        assertEquals(0x3ff, narrow.smmu(NARROW).smrMaskMask());
    }

    @Test
    void probeRequestsTheSharedGlobalInterruptAndRemoveFreesEveryHandler() {
        SmmuRig rig = SmmuRig.boot("smmu");
        IrqLineImpl global = (IrqLineImpl) rig.machine.irq(rig.node(SMMU0), 0);
        assertEquals(1, global.actions().size());
        assertEquals(ArmSmmuDriver.GLOBAL_IRQ_NAME, global.actions().get(0).devName());
        assertTrue(global.actions().get(0).shared());
        SmmuInstance s = rig.smmu(SMMU0);
        for (int cb = 0; cb < 8; cb++) {
            IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(SMMU0), 1 + cb);
            if (s.contextBanksInUse().get(cb)) {
                assertEquals(1, line.actions().size(), "bank " + cb);
                assertEquals(SmmuDomain.CONTEXT_IRQ_NAME, line.actions().get(0).devName());
                assertTrue(line.actions().get(0).shared());
            } else {
                assertTrue(line.actions().isEmpty(), "bank " + cb);
            }
        }
        // smmu1 has every interrupt on one line: global + one per bank in use, all shared
        IrqLineImpl shared = (IrqLineImpl) rig.machine.irq(rig.node(SMMU1), 0);
        assertEquals(1 + rig.smmu(SMMU1).contextBanksInUse().cardinality(), shared.actions().size());
        rig.engine.removeDriver(rig.rec);
        assertTrue(global.actions().isEmpty());
        assertTrue(shared.actions().isEmpty());
        for (int cb = 0; cb < 8; cb++) {
            assertTrue(((IrqLineImpl) rig.machine.irq(rig.node(SMMU0), 1 + cb)).actions().isEmpty());
        }
        assertTrue(rig.driver.instances().isEmpty());
        assertEquals("deferred", rig.iommu(SMMU0).state());
    }

    @Test
    void removeTurnsTranslationOffSoEveryStreamBypassesUnlikeDart() {
        SmmuRig rig = SmmuRig.boot("smmu");
        long pa = rig.ram() + 0x200_0000;
        byte[] data = "bypassed".getBytes(StandardCharsets.US_ASCII);
        assertFalse(rig.master(DMA).write(0, pa, data).ok(), "translated: nothing mapped at that IOVA");
        rig.engine.removeDriver(rig.rec);
        assertEquals(SmmuRegs.SCR0_CLIENTPD, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_CLIENTPD);
        DmaResult w = rig.master(DMA).write(0, pa, data);
        assertTrue(w.ok(), () -> "CLIENTPD: pa = iova, " + w.fault());
        byte[] got = new byte[data.length];
        rig.machine.memory().read(pa, got, 0, got.length);
        assertArrayEquals(data, got);
        // a master that never probed bypasses too
        assertTrue(rig.master(DUAL).read(0, pa, 4).ok());
    }

    @Test
    void removeWithBanksInUseSaysDisablingTranslation() {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu");
            rig.driver.remove(rig.smmu(SMMU2));
            assertEquals(1, log.matching("arm-smmu " + SMMU2 + ": disabling translation").size());
            assertEquals(SmmuRegs.SCR0_CLIENTPD, rig.gr0(SMMU2, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_CLIENTPD);
            assertFalse(rig.driver.instances().stream().anyMatch(s -> s.node().equals(SMMU2)));
            // through the core, domains are freed before remove: no banks in use, no message
            rig.engine.removeDriver(rig.rec);
            assertEquals(0, log.matching("arm-smmu " + SMMU0 + ": disabling translation").size());
        }
    }

    @Test
    void eachProbeFailureIsReportedAndLeavesNothingBehind() {
        SmmuRig rig = SmmuRig.boot("smmu-faulty");
        assertProbeFailed(rig.iommu(NO_GLOBAL), "ENODEV", "missing #global-interrupts property");
        assertProbeFailed(rig.iommu(GLOBAL_ONLY), "ENODEV", "found 1 interrupts but expected at least 2");
        assertProbeFailed(rig.iommu(FEW_IRQS), "ENODEV", "found only 2 context irq(s) but 4 required");
        assertEquals("probed", rig.iommu(GOOD).state());
        assertEquals(List.of(GOOD), rig.driver.instances().stream().map(SmmuInstance::node).toList());
        for (String smmu : List.of(NO_GLOBAL, GLOBAL_ONLY, FEW_IRQS)) {
            IrqLineImpl line = (IrqLineImpl) rig.machine.irq(rig.node(smmu), 0);
            assertTrue(line.actions().isEmpty(), smmu);
            // nothing was reset: the client port is still disabled, as the hardware came up
            assertNotEquals(0, rig.gr0(smmu, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_CLIENTPD, smmu);
        }
        assertEquals("deferred", rig.device(WAITING).state());
        assertEquals("probed", rig.device(WORKING).state());
    }

    @Test
    void aRegSmallerThanTheRegisterSpaceIsRefusedWithoutWritingAnything() {
        SmmuRig rig = SmmuRig.boot("smmu", CoreConfig.defaults(), ArmSmmuDriver.create(SmmuRig.FORMATS, System::nanoTime, true),
                Map.of(SMMU2, 0x2000L));
        assertProbeFailed(rig.iommu(SMMU2), "EINVAL", "SMMU address space size (0x4000) exceeds mapped region size (0x2000)");
        // the other SMMUs probed; nothing was written to this one
        assertEquals("probed", rig.iommu(SMMU0).state());
        assertTrue(rig.rec.take().stream().noneMatch(w -> w.iommu().equals(SMMU2)), "no register of " + SMMU2 + " written");
        assertEquals("deferred", rig.device(M1).state());
        assertNotEquals(0, rig.gr0(SMMU2, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_CLIENTPD);
        assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(SMMU2, SmmuRegs.s2cr(0)), "reset value untouched");
    }

    @Test
    void disableBypassOffLetsUnmatchedStreamsAndFreeEntriesBypass() {
        SmmuRig rig = SmmuRig.boot("smmu", CoreConfig.defaults(), System::nanoTime, false);
        assertFalse(rig.driver.disableBypass());
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SCR0) & SmmuRegs.SCR0_USFCFG);
        for (int i = 0; i < 32; i++) {
            if ((rig.gr0(SMMU0, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID) == 0) {
                assertEquals(SmmuRegs.S2CR_TYPE_BYPASS << 16, rig.gr0(SMMU0, SmmuRegs.s2cr(i)), "free S2CR " + i);
            }
        }
        long pa = rig.ram() + 0x300_0000;
        assertTrue(rig.master(DUAL).read(0, pa, 16).ok(), "no SMR matches SID 0x40: bypass");
        assertTrue(rig.engine.faults().isEmpty());
    }
}
