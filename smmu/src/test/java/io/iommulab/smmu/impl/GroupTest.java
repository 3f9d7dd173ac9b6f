package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** arm_smmu_device_group: the group remembered per stream-map entry (dart-facts §4.3). */
class GroupTest {

    SmmuRig rig;

    @BeforeEach
    void boot() {
        rig = SmmuRig.boot("smmu");
    }

    private GroupDTO group(int id) {
        return rig.engine.groups().stream().filter(g -> g.id() == id).findFirst().orElseThrow();
    }

    private IommuGroup entryGroup(String smmu, int idx) {
        return rig.smmu(smmu).streams.s2cr(idx).group;
    }

    @Test
    void aMasterGetsItsOwnGroupRememberedInEveryEntry() {
        DeviceDTO gpu = rig.device(GPU);
        assertEquals("probed", gpu.state(), gpu.reason());
        MasterCfg cfg = rig.cfg(GPU);
        IommuGroup g0 = entryGroup(SMMU0, cfg.smendx[0]);
        assertNotNull(g0);
        assertSame(g0, entryGroup(SMMU0, cfg.smendx[1]));
        assertEquals(gpu.group().intValue(), g0.id());
        assertEquals(List.of(GPU), group(g0.id()).devices());
        assertNotEquals(rig.device(DMA).group(), gpu.group());
    }

    @Test
    void mastersSharingAnEntryShareItsGroup() {
        assertEquals(rig.device(DISPLAY).group(), rig.device(DISPLAY_AUX).group());
        assertEquals(List.of(DISPLAY, DISPLAY_AUX), group(rig.device(DISPLAY).group()).devices());
        // an SMR covering another master's ID: one entry, one group
        assertEquals(rig.device(VIDEO).group(), rig.device(VIDEO_SUB).group());
        // stream indexing: the same SID is the same S2CR
        assertEquals(rig.device(IDX_A).group(), rig.device(IDX_B).group());
        // one group, one domain
        assertEquals(rig.device(DISPLAY).domain(), rig.device(DISPLAY_AUX).domain());
    }

    @Test
    void pciFunctionsOfOneDeviceShareAGroupThroughPciDeviceGroup() {
        DeviceDTO nic0 = rig.device(NIC0);
        DeviceDTO nic1 = rig.device(NIC1);
        assertEquals("probed", nic0.state(), nic0.reason());
        assertEquals("probed", nic1.state(), nic1.reason());
        assertEquals(nic0.group(), nic1.group());
        // different SIDs, different entries, both remember the group
        int e0 = rig.cfg(NIC0).smendx[0];
        int e1 = rig.cfg(NIC1).smendx[0];
        assertNotEquals(e0, e1);
        assertEquals(0x100, rig.cfg(NIC0).sids[0]);
        assertEquals(0x101, rig.cfg(NIC1).sids[0]);
        assertSame(entryGroup(SMMU0, e0), entryGroup(SMMU0, e1));
        assertEquals(nic0.group().intValue(), entryGroup(SMMU0, e0).id());
    }

    @Test
    void entriesInTwoGroupsAreRefusedAndTheMasterGivesItsEntriesBack() {
        // bridge's SIDs reuse the entries of dma (0x10) and display (0x30): two groups
        DeviceDTO bridge = rig.device(BRIDGE);
        assertEquals("failed", bridge.state());
        assertTrue(bridge.reason().contains("EINVAL: " + BRIDGE + ": stream map entry"), bridge.reason());
        assertTrue(bridge.reason().contains("in group " + rig.device(DISPLAY).group()), bridge.reason());
        int dmaEntry = rig.cfg(DMA).smendx[0];
        int displayEntry = rig.cfg(DISPLAY).smendx[0];
        assertEquals(2, rig.smmu(SMMU0).streams.s2cr(dmaEntry).count, "dma and joiner: release_device gave bridge's back");
        assertEquals(2, rig.smmu(SMMU0).streams.s2cr(displayEntry).count, "display and display-aux only");
        assertFalse(group(rig.device(DMA).group()).devices().contains(BRIDGE));
    }

    @Test
    void aMasterSharingOneEntryJoinsThatGroupAndItsOtherEntriesRememberIt() {
        // joiner: 0x10 reuses dma's entry, 0x50 is new; Linux would take the new entry's NULL group
        // last and make a new group for joiner, leaving dma's entry to two groups
        assertEquals(rig.device(DMA).group(), rig.device(JOINER).group());
        int shared = rig.cfg(JOINER).smendx[0];
        int own = rig.cfg(JOINER).smendx[1];
        assertEquals(rig.cfg(DMA).smendx[0], shared);
        assertSame(entryGroup(SMMU0, shared), entryGroup(SMMU0, own));
        // late reuses joiner's second entry: the same group again
        assertEquals(rig.device(DMA).group(), rig.device(LATE).group());
        assertEquals(List.of(DMA, JOINER, LATE), group(rig.device(DMA).group()).devices());
        assertEquals(rig.device(DMA).domain(), rig.device(LATE).domain());
    }

    @Test
    void groupReleaseForgetsTheGroupInEveryEntry() {
        SmmuInstance s0 = rig.smmu(SMMU0);
        assertNotNull(entryGroup(SMMU0, rig.cfg(DMA).smendx[0]));
        rig.engine.removeDriver(rig.rec);
        for (int i = 0; i < s0.streams.size(); i++) {
            assertNull(s0.streams.s2cr(i).group, "entry " + i);
        }
        // a new driver on the same hardware builds the same groups again
        ArmSmmuDriver second = ArmSmmuDriver.create(SmmuRig.FORMATS, System::nanoTime, true);
        rig.engine.addDriver(second);
        assertEquals("probed", rig.device(NIC0).state(), rig.device(NIC0).reason());
        assertEquals(rig.device(NIC0).group(), rig.device(NIC1).group());
        assertEquals(rig.device(DISPLAY).group(), rig.device(DISPLAY_AUX).group());
    }

    @Test
    void theGroupsReleaseCallbackForgetsItInEveryEntry() {
        // white box: a master whose entry remembers no group gets one from the factory; the
        // release callback the driver hands the group must clear the entry again
        int idx = rig.cfg(M1).smendx[0];
        StreamMap map = rig.smmu(SMMU2).streams;
        synchronized (map.lock) {
            map.s2cr(idx).group = null;
        }
        TestGroup made = new TestGroup();
        IommuGroup g = rig.driver.deviceGroup(rig.rec.masters.get(M1), new io.iommulab.api.driver.GroupFactory() {
            @Override
            public IommuGroup generic(io.iommulab.api.driver.IommuMaster dev) {
                return made;
            }

            @Override
            public IommuGroup pci(io.iommulab.api.driver.IommuMaster dev) {
                throw new AssertionError("m1 is no PCI function");
            }
        });
        assertSame(made, g);
        assertSame(made, map.s2cr(idx).group);
        assertSame(rig.driver, made.data);
        made.release.run();
        assertNull(map.s2cr(idx).group);
        assertEquals(1, map.s2cr(idx).count, "the entry itself stays in use");
    }

    /** A group as the core would hand one out, keeping what the driver attaches to it. */
    private static final class TestGroup implements IommuGroup {
        Object data;
        Runnable release;

        @Override
        public int id() {
            return 99;
        }

        @Override
        public List<io.iommulab.api.driver.IommuMaster> devices() {
            return List.of();
        }

        @Override
        public void setIommuData(Object data, Runnable release) {
            this.data = data;
            this.release = release;
        }

        @Override
        public Object iommuData() {
            return data;
        }
    }
}
