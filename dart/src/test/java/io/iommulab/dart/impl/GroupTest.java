package io.iommulab.dart.impl;

import io.iommulab.testkit.MmioRecordingDriver;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.dart.impl.hw.DartVariants;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** device_group with the per-DART sid2group tables, the PCI merge, group release; of_xlate checks. */
class GroupTest {

    static final String DWC3 = "/soc/usb@382280000";
    static final String WIFI = "/soc/pcie@690000000/pci@0,0/network@0,0";
    static final String BT = "/soc/pcie@690000000/pci@0,0/network@0,1";
    static final String NIC0 = "/soc/pcie@6a0000000/pci@0,0/ethernet@0,0";
    static final String NIC1 = "/soc/pcie@6a0000000/pci@0,0/ethernet@0,1";
    static final String NIC2 = "/soc/pcie@6a0000000/pci@0,0/ethernet@0,2";

    DartRig rig;
    MmioRecordingDriver<AppleDartDriver> rec;

    @BeforeEach
    void boot() {
        rig = DartRig.bootWithoutDrivers("t8103", CoreConfig.defaults());
        rec = new MmioRecordingDriver<>(AppleDartDriver.create(DartVariants.T8103, DartRig.FORMATS));
        rig.add(rec);
    }

    private DeviceDTO device(String path) {
        return rig.engine.devices().stream().filter(d -> d.node().equals(path)).findFirst().orElseThrow();
    }

    private GroupDTO group(int id) {
        return rig.engine.groups().stream().filter(g -> g.id() == id).findFirst().orElseThrow();
    }

    @Test
    void aMasterOnTwoDartsIsOneGroupRecordedOnBoth() {
        DeviceDTO dwc3 = device(DWC3);
        assertEquals("probed", dwc3.state(), dwc3.reason());
        IommuGroup g0 = rig.dart("/soc/iommu@382f00000").sid2group[0];
        IommuGroup g1 = rig.dart("/soc/iommu@382f80000").sid2group[1];
        assertNotNull(g0);
        assertSame(g0, g1);
        assertEquals(dwc3.group().intValue(), g0.id());
        assertEquals(List.of(DWC3), group(g0.id()).devices());
    }

    @Test
    void pciFunctionsSharingAStreamShareAGroup() {
        DeviceDTO wifi = device(WIFI);
        DeviceDTO bt = device(BT);
        assertEquals("probed", wifi.state());
        assertEquals("probed", bt.state());
        assertEquals(wifi.group(), bt.group());
        assertEquals(List.of(WIFI, BT), group(wifi.group()).devices());
        assertEquals(wifi.group().intValue(), rig.dart("/soc/iommu@681008000").sid2group[1].id());
        // one group, one domain: both functions translate through it
        assertEquals(wifi.domain(), bt.domain());
    }

    @Test
    void pciFunctionsOnOneDartMergeAndAFunctionOnAnotherDartIsRefused() {
        DeviceDTO nic0 = device(NIC0);
        DeviceDTO nic1 = device(NIC1);
        assertEquals(nic0.group(), nic1.group(), "pci_device_group put function 1 in function 0's group");
        DartInstance d0 = rig.dart("/soc/iommu@691008000");
        assertSame(d0.sid2group[1], d0.sid2group[2]);
        assertEquals(nic0.group().intValue(), d0.sid2group[2].id());
        MasterCfg merged = (MasterCfg) d0.sid2group[1].iommuData();
        assertEquals("1 2", io.iommulab.klib.Bitmap.toText(merged.maps[0].sidmap, 16));
        DeviceDTO nic2 = device(NIC2);
        assertEquals("failed", nic2.state());
        assertTrue(nic2.reason().contains("EINVAL: " + NIC2 + ": Failed to merge DART IOMMU groups."), nic2.reason());
        assertNull(rig.dart("/soc/iommu@692008000").sid2group[3], "a refused function records nothing");
        assertEquals(List.of(NIC0, NIC1), group(nic0.group()).devices());
    }

    @Test
    void groupReleaseClearsTheStreamTables() {
        List<DartInstance> darts = rig.driver("t8103").instances();
        assertTrue(darts.stream().anyMatch(d -> java.util.Arrays.stream(d.sid2group).anyMatch(g -> g != null)));
        rig.engine.removeDriver(rec);
        for (DartInstance d : darts) {
            for (int sid = 0; sid < d.sid2group.length; sid++) {
                assertNull(d.sid2group[sid], d.node() + " sid " + sid);
            }
        }
        // and a new driver builds the same groups again
        rig.add(new MmioRecordingDriver<>(AppleDartDriver.create(DartVariants.T8103, DartRig.FORMATS)));
        assertEquals(device(WIFI).group(), device(BT).group());
        assertEquals("probed", device(DWC3).state());
    }

    @Test
    void ofXlateRefusesBadSpecifiersAndChangesNothing() {
        IommuMaster dwc3 = rec.masters.get(DWC3);
        MasterCfg cfg = (MasterCfg) dwc3.priv();
        String before = cfg.toString();
        DartInstance sio = rig.dart("/soc/iommu@235004000");
        DartInstance pcie = rig.dart("/soc/iommu@681008000");
        IommuException cells = assertThrows(IommuException.class, () -> rec.inner.ofXlate(dwc3, sio, new int[] {1, 2}));
        assertEquals(Errno.EINVAL, cells.errno());
        assertTrue(cells.getMessage().contains("2 specifier cells"), cells.getMessage());
        IommuException big = assertThrows(IommuException.class, () -> rec.inner.ofXlate(dwc3, sio, new int[] {256}));
        assertEquals(Errno.EINVAL, big.errno());
        assertTrue(big.getMessage().contains("stream 256"), big.getMessage());
        assertEquals(before, cfg.toString());
        // a third DART fits (MAX_DARTS_PER_DEVICE = 3), a fourth does not
        rec.inner.ofXlate(dwc3, sio, new int[] {5});
        assertEquals(3, cfg.count());
        String three = cfg.toString();
        IommuException fourth = assertThrows(IommuException.class, () -> rec.inner.ofXlate(dwc3, pcie, new int[] {4}));
        assertEquals(Errno.EINVAL, fourth.errno());
        assertTrue(fourth.getMessage().contains("at most 3"), fourth.getMessage());
        assertEquals(three, cfg.toString());
    }

    @Test
    void probeDeviceWithoutOfXlateIsNotOurs() {
        IommuMaster dwc3 = rec.masters.get(DWC3);
        Object priv = dwc3.priv();
        dwc3.setPriv(null);
        try {
            IommuException e = assertThrows(IommuException.class, () -> rec.inner.probeDevice(dwc3));
            assertEquals(Errno.ENODEV, e.errno());
        } finally {
            dwc3.setPriv(priv);
        }
    }
}
