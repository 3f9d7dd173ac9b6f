package io.iommulab.smmu.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import org.junit.jupiter.api.Test;

/**
 * arm_smmu_probe_device refuses an ID with bits beyond the probed stream ID width, through
 * {@code iommus} and through {@code iommu-map}, naming the master, the SMMU, the ID and the mask;
 * the refused master takes no stream-map entry and the others work.
 */
class StreamIdTest {

    static final String SMMU = "/soc/iommu@500000000";
    static final String DMA = "/soc/dma-controller@600000000";
    static final String DMA_BAD = "/soc/dma-controller@601000000";
    static final String NIC0 = "/soc/pcie@700000000/pci@0,0/ethernet@0,0";
    static final String NIC1 = "/soc/pcie@700000000/pci@0,0/ethernet@0,1";

    final SmmuRig rig = SmmuRig.boot("smmu-sids");

    private void assertRefused(String master, int sid) {
        DeviceDTO d = rig.device(master);
        assertEquals("failed", d.state(), master);
        assertEquals(String.format("arm-smmu: EINVAL: %s: stream ID 0x%x out of range for SMMU %s (0x7f)", master, sid, SMMU),
                d.reason());
        assertNull(d.group());
        assertNull(d.domain());
    }

    private int validSmrs() {
        int count = 0;
        for (int i = 0; i < rig.smmu(SMMU).params().numMappingGroups(); i++) {
            count += (rig.gr0(SMMU, SmmuRegs.smr(i)) & SmmuRegs.SMR_VALID) != 0 ? 1 : 0;
        }
        return count;
    }

    @Test
    void theProbedWidthIs7Bits() {
        assertEquals(0x7f, rig.smmu(SMMU).streamIdMask());
    }

    @Test
    void sid0x80IsRefusedAnd0x7fAccepted() {
        assertRefused(DMA_BAD, 0x80);
        assertEquals("probed", rig.device(DMA).state(), rig.device(DMA).reason());
    }

    @Test
    void anIommuMapFunctionWhoseSidIsTooWideIsRefusedTheSameWay() {
        assertEquals(0x80, rig.machine.master(NIC1).orElseThrow().streams().get(0).sid());
        assertRefused(NIC1, 0x80);
        assertEquals("probed", rig.device(NIC0).state(), rig.device(NIC0).reason());
    }

    @Test
    void theRefusedMastersTookNoEntry() {
        // dma and nic0 share SID 0x7f: one SMR; nothing for 0x80 (the hardware would see 0x00)
        assertEquals(1, validSmrs());
        assertEquals(rig.engine.groups().size(), rig.engine.domains().size());
    }
}
