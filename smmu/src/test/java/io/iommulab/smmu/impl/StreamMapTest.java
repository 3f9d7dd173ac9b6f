package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** of_xlate, probe_device and release_device: stream-map entries as arm-smmu allocates them (dart-facts §4.3). */
class StreamMapTest {

    SmmuRig rig;

    @BeforeEach
    void boot() {
        rig = SmmuRig.boot("smmu");
    }

    /** @return (SMR index) of every valid SMR of the SMMU whose ID/MASK are as given */
    private List<Integer> smrs(String smmu, int id, int mask) {
        List<Integer> out = new ArrayList<>();
        int n = rig.smmu(smmu).params().numMappingGroups();
        for (int i = 0; i < n; i++) {
            int smr = rig.gr0(smmu, SmmuRegs.smr(i));
            if ((smr & SmmuRegs.SMR_VALID) != 0 && (smr & 0xffff) == id && ((smr >>> 16) & 0x7fff) == mask) {
                out.add(i);
            }
        }
        return out;
    }

    private int validSmrs(String smmu) {
        int count = 0;
        for (int i = 0; i < rig.smmu(smmu).params().numMappingGroups(); i++) {
            count += (rig.gr0(smmu, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID) != 0 ? 1 : 0;
        }
        return count;
    }

    private void assertFailed(String dev, String errno, String text) {
        DeviceDTO d = rig.device(dev);
        assertEquals("failed", d.state(), dev);
        assertTrue(d.reason().contains(errno + ": ") && d.reason().contains(text), dev + ": " + d.reason());
    }

    @Test
    void aMastersStreamGetsAnSmrAndItsS2crPointsAtTheDomainsBank() {
        List<Integer> idx = smrs(SMMU0, 0x10, 0);
        assertEquals(1, idx.size());
        MasterCfg cfg = rig.cfg(DMA);
        assertArrayEquals(new int[] {idx.get(0)}, cfg.smendx);
        int s2cr = rig.gr0(SMMU0, SmmuRegs.s2cr(idx.get(0)));
        assertEquals(SmmuRegs.S2CR_TYPE_TRANS, (s2cr >>> 16) & 3);
        SmmuDomain dom = (SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops();
        assertEquals(dom.cbndx(), s2cr & 0xff);
        assertEquals(2, rig.smmu(SMMU0).streams.s2cr(idx.get(0)).count, "dma and joiner");
    }

    @Test
    void twoStreamsOfOneMasterTakeTwoEntriesOnOneBank() {
        int a = smrs(SMMU0, 0x20, 0).get(0);
        int b = smrs(SMMU0, 0x21, 0).get(0);
        assertNotEquals(a, b);
        assertEquals(rig.gr0(SMMU0, SmmuRegs.s2cr(a)), rig.gr0(SMMU0, SmmuRegs.s2cr(b)));
    }

    @Test
    void mastersWithTheSameIdShareOneReferenceCountedEntry() {
        List<Integer> idx = smrs(SMMU0, 0x30, 0);
        assertEquals(1, idx.size(), "one SMR for both displays");
        assertEquals(2, rig.smmu(SMMU0).streams.s2cr(idx.get(0)).count);
        assertArrayEquals(rig.cfg(DISPLAY).smendx, rig.cfg(DISPLAY_AUX).smendx);
        // release_device of one user keeps the entry; of the last one frees it
        int s2cr = rig.gr0(SMMU0, SmmuRegs.s2cr(idx.get(0)));
        IommuMaster aux = rig.rec.masters.get(DISPLAY_AUX);
        MasterCfg auxCfg = rig.cfg(DISPLAY_AUX);
        rig.driver.releaseDevice(aux);
        assertNull(aux.priv());
        assertEquals(MasterCfg.INVALID_SMENDX, auxCfg.smendx[0]);
        assertEquals(1, rig.smmu(SMMU0).streams.s2cr(idx.get(0)).count);
        assertEquals(idx, smrs(SMMU0, 0x30, 0));
        assertEquals(s2cr, rig.gr0(SMMU0, SmmuRegs.s2cr(idx.get(0))));
        rig.driver.releaseDevice(rig.rec.masters.get(DISPLAY));
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.smr(idx.get(0))) & SmmuRegs.SMR_VALID, "SMR invalid");
        assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(SMMU0, SmmuRegs.s2cr(idx.get(0))), "S2CR back to its init type");
        assertEquals(0, rig.smmu(SMMU0).streams.s2cr(idx.get(0)).count);
    }

    @Test
    void releaseOfEveryMasterLeavesEveryEntryFree() {
        rig.engine.removeDriver(rig.rec);
        for (String smmu : List.of(SMMU0, SMMU1, SMMU2)) {
            for (int i = 0; i < (smmu.equals(SMMU2) ? 2 : 32); i++) {
                assertEquals(0, rig.gr0(smmu, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID, smmu + " SMR " + i);
                assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(smmu, SmmuRegs.s2cr(i)), smmu + " S2CR " + i);
            }
        }
        assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(SMMU3, SmmuRegs.s2cr(5)));
    }

    @Test
    void aStreamIdBeyondTheProbedWidthIsRefused() {
        assertFailed(BAD_SID, "EINVAL", BAD_SID + ": stream ID 0x8000 out of range for SMMU " + SMMU0 + " (0x7fff)");
        assertFailed(IDX_C, "EINVAL", IDX_C + ": stream ID 0x80 out of range for SMMU " + SMMU3 + " (0x7f)");
        // the refused masters took no entry: only the 7 SMRs of the probed masters are valid
        assertEquals(7, validSmrs(SMMU0));
        assertEquals(0, rig.smmu(SMMU3).streams.s2cr(0).count, "no S2CR counted for 0x80 (which the hardware would see as 0)");
    }

    @Test
    void anSmrMaskBeyondTheProbedWidthIsRefused() {
        assertFailed(BAD_MASK, "EINVAL", BAD_MASK + ": SMR mask 0x8000 out of range for SMMU " + SMMU1 + " (0x7fff)");
        assertTrue(smrs(SMMU1, 0x10, 0).isEmpty());
    }

    @Test
    void aMasterOnTwoSmmusIsRefusedNamingBoth() {
        assertFailed(DUAL, "EINVAL", DUAL + ": iommus names two SMMUs, " + SMMU0 + " and " + SMMU1);
        assertTrue(smrs(SMMU0, 0x40, 0).isEmpty());
        assertTrue(smrs(SMMU1, 0x40, 0).isEmpty());
    }

    @Test
    void aCoveringSmrIsReusedAndAPartialOverlapRefused() {
        assertEquals("probed", rig.device(VIDEO).state());
        assertEquals(1, smrs(SMMU1, 0x500, 0xf).size());
        // 0x50c/0x30 matches 0x50c..0x53f: some of them match 0x500/0xf too
        assertFailed(VIDEO_OVERLAP, "EINVAL", "stream ID 0x50c mask 0x30 partially overlaps SMR");
        // 0x508/0 lies inside 0x500/0xf: the same entry, counted twice
        assertEquals("probed", rig.device(VIDEO_SUB).state());
        assertArrayEquals(rig.cfg(VIDEO).smendx, rig.cfg(VIDEO_SUB).smendx);
        assertEquals(1, validSmrs(SMMU1), "video and video-sub share one SMR; the refused masters took none");
    }

    @Test
    void noFreeSmrIsEnospcAndTheEntriesTakenBeforeAreGivenBack() {
        assertFailed(M3, "ENOSPC", "no free stream match register for stream ID 0x3 mask 0x0 on " + SMMU2 + " (all 2 in use)");
        assertEquals(2, validSmrs(SMMU2));
        // m3's first ID reused m2's entry before the second failed: the count went back to 1, so
        // releasing m2 frees the entry
        int idx = rig.cfg(M2).smendx[0];
        assertEquals(1, rig.smmu(SMMU2).streams.s2cr(idx).count);
        rig.driver.releaseDevice(rig.rec.masters.get(M2));
        assertEquals(0, rig.gr0(SMMU2, SmmuRegs.smr(idx)) & SmmuRegs.SMR_VALID);
    }

    @Test
    void aFailedAllocationWritesNoRegister() {
        SmmuRig fresh = SmmuRig.boot("smmu");
        // re-run probe_device for m3 alone: ENOSPC, and not one register written
        IommuMaster m3 = fresh.rec.masters.get(M3);
        SmmuInstance s2 = fresh.smmu(SMMU2);
        MasterCfg cfg = new MasterCfg(s2);
        cfg.addId(2, 0);
        cfg.addId(3, 0);
        m3.setPriv(cfg);
        fresh.rec.take();
        IommuException e = assertThrows(IommuException.class,
                () -> fresh.driver.probeDevice(m3));
        assertEquals(Errno.ENOSPC, e.errno());
        assertEquals(List.of(), fresh.rec.take());
        assertArrayEquals(new int[] {MasterCfg.INVALID_SMENDX, MasterCfg.INVALID_SMENDX}, cfg.smendx);
        m3.setPriv(null);
    }

    @Test
    void streamIndexingUsesTheSidAsTheEntry() {
        assertArrayEquals(new int[] {5}, rig.cfg(IDX_A).smendx);
        assertArrayEquals(new int[] {5}, rig.cfg(IDX_B).smendx);
        assertEquals(2, rig.smmu(SMMU3).streams.s2cr(5).count);
        int s2cr = rig.gr0(SMMU3, SmmuRegs.s2cr(5));
        assertEquals(SmmuRegs.S2CR_TYPE_TRANS, (s2cr >>> 16) & 3);
        assertEquals(SmmuRegs.S2CR_TYPE_FAULT << 16, rig.gr0(SMMU3, SmmuRegs.s2cr(6)));
    }

    @Test
    void theSmmuNodesStreamMatchMaskIsTheMaskOfOneCellSpecifiers() {
        AtomicLong t = new AtomicLong();
        SmmuRig r = SmmuRig.boot("smmu-stuck", CoreConfig.defaults(), () -> t.addAndGet(250_000_000L), true);
        MasterCfg cfg = (MasterCfg) r.rec.masters.get(NARROW_DMA).priv();
        assertArrayEquals(new int[] {0x204}, cfg.sids);
        assertArrayEquals(new int[] {0x3}, cfg.masks);
        int smr = r.gr0(NARROW, SmmuRegs.smr(cfg.smendx[0]));
        assertEquals(SmmuRegs.SMR_VALID | 0x3 << 16 | 0x204, smr);
        DeviceDTO wide = r.device(TOO_WIDE);
        assertEquals("failed", wide.state());
        assertTrue(wide.reason().contains("stream ID 0x400 out of range for SMMU " + NARROW + " (0x3ff)"), wide.reason());
    }

    @Test
    void ofXlateRefusesMoreThanTwoCellsAndChangesNothing() {
        IommuMaster dma = rig.rec.masters.get(DMA);
        MasterCfg cfg = rig.cfg(DMA);
        String before = cfg.toString();
        IommuException e = assertThrows(IommuException.class,
                () -> rig.driver.ofXlate(dma, rig.smmu(SMMU0), new int[] {1, 2, 3}));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("3 specifier cells"), e.getMessage());
        IommuException two = assertThrows(IommuException.class,
                () -> rig.driver.ofXlate(dma, rig.smmu(SMMU1), new int[] {1, 0}));
        assertTrue(two.getMessage().contains(SMMU0 + " and " + SMMU1), two.getMessage());
        assertEquals(before, cfg.toString());
    }
}
