package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.testkit.MmioRecordingDriver;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Regs;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A master naming a stream its DART does not have is refused by of_xlate with EINVAL naming the
 * master, the DART, the SID and the count (16 on t8103, PARAMS4 on t8110), through {@code iommus}
 * and through {@code iommu-map}; nothing is attached, no group or domain is left, and the other
 * masters of the DART work.
 */
class StreamIdTest {

    static final String SIO = "/soc/iommu@235004000";
    static final String ADMAC = "/soc/dma-controller@238200000";
    static final String ADMAC_BAD = "/soc/dma-controller@238400000";
    static final String DWC3 = "/soc/usb@382280000";
    static final String DWC3_DART0 = "/soc/iommu@382f00000";
    static final String DWC3_DART1 = "/soc/iommu@382f80000";
    static final String PCIE_DART = "/soc/iommu@681008000";
    static final String NIC0 = "/soc/pcie@690000000/pci@0,0/ethernet@0,0";
    static final String NIC1 = "/soc/pcie@690000000/pci@0,0/ethernet@0,1";
    static final byte[] DATA = "stream in range".getBytes(StandardCharsets.US_ASCII);

    private static DeviceDTO device(DartRig rig, String path) {
        return rig.engine.devices().stream().filter(d -> d.node().equals(path)).findFirst().orElseThrow();
    }

    private static void assertRefused(DartRig rig, String master, int sid, String dart, int count) {
        DeviceDTO d = device(rig, master);
        assertEquals("failed", d.state(), master);
        assertEquals(String.format("apple-dart: EINVAL: %s: stream %d of %s is out of range: the DART has %d streams",
                master, sid, dart, count), d.reason());
        assertNull(d.group(), "no group");
        assertNull(d.domain(), "no domain");
        assertTrue(rig.engine.groups().stream().noneMatch(g -> g.devices().contains(master)));
        assertThrows(IommuException.class, () -> rig.engine.domainOf(master), "nothing to map on");
    }

    private static void assertDmaWorks(DartRig rig, String master) {
        DeviceDTO d = device(rig, master);
        assertEquals("probed", d.state(), d.reason());
        IommuDomain dom = rig.engine.domainAlloc(master, DomainType.UNMANAGED);
        rig.engine.attachGroup(dom, master);
        long pa = rig.ram() + 0x100_0000;
        dom.map(0x10000, pa, 0x4000, Prot.READ | Prot.WRITE);
        DmaMaster m = rig.master(master);
        DmaResult w = m.write(0, 0x10000, DATA);
        assertTrue(w.ok(), () -> master + ": " + w.fault());
        byte[] got = new byte[DATA.length];
        rig.machine.memory().read(pa, got, 0, got.length);
        assertArrayEquals(DATA, got);
    }

    /** Before any test attach: every domain is one group's default, so a refused master left nothing behind. */
    private static void assertNoLeak(DartRig rig) {
        assertEquals(rig.engine.groups().size(), rig.engine.domains().size(), () -> rig.engine.domains().toString());
        assertTrue(rig.engine.domains().stream().allMatch(d -> d.groups().size() == 1), () -> rig.engine.domains().toString());
    }

    @Test
    void t8103Stream16IsRefusedAnd15Accepted() {
        DartRig rig = DartRig.boot("t8103-sids");
        assertRefused(rig, ADMAC_BAD, 16, SIO, 16);
        assertNoLeak(rig);
        assertDmaWorks(rig, ADMAC);
    }

    @Test
    void aMasterWithOneBadStreamGetsNothingOnItsGoodDart() {
        DartRig rig = DartRig.boot("t8103-sids");
        assertRefused(rig, DWC3, 17, DWC3_DART1, 16);
        MmioWindow dart0 = rig.regs(DWC3_DART0);
        assertEquals(0, dart0.readl(T8020Regs.TCR), "SID 0 of the first DART stays blocked");
        assertEquals(0, dart0.readl(T8020Regs.TTBR), "and has no table");
        assertNull(rig.dart(DWC3_DART0).sid2group[0], "and belongs to no group");
        assertNoLeak(rig);
    }

    @Test
    void anIommuMapFunctionWhoseSidIsOutOfRangeIsRefusedTheSameWay() {
        DartRig rig = DartRig.boot("t8103-sids");
        assertEquals(0x101, rig.master(NIC1).requesterId());
        assertEquals(16, rig.master(NIC1).streams().get(0).sid(), "iommu-map: 0x101 - 0x100 + 15");
        assertRefused(rig, NIC1, 16, PCIE_DART, 16);
        assertNoLeak(rig);
        assertEquals(NIC0, String.join(",", rig.engine.groups().stream()
                .filter(g -> g.devices().contains(NIC0)).findFirst().orElseThrow().devices()), "function 1 joined no group");
        assertDmaWorks(rig, NIC0);
    }

    @Test
    void t8110StreamCountComesFromParams4() {
        DartRig rig = DartRig.boot("t8112-sids");
        assertEquals(24, rig.regs(SIO).readl(T8110Regs.PARAMS4) & 0x1ff, "the model reports 24 streams");
        assertEquals(24, rig.dart(SIO).numStreams());
        assertRefused(rig, ADMAC_BAD, 24, SIO, 24);
        assertNoLeak(rig);
        assertDmaWorks(rig, ADMAC);
    }

    @Test
    void aNegativeCellReadsAsTheUnsignedSidAndChangesNothing() {
        DartRig rig = DartRig.bootWithoutDrivers("t8103-sids", CoreConfig.defaults());
        MmioRecordingDriver<AppleDartDriver> rec = new MmioRecordingDriver<>(
                AppleDartDriver.create(DartVariants.T8103, DartRig.FORMATS));
        rig.add(rec);
        IommuMaster admac = rec.masters.get(ADMAC);
        String before = admac.priv().toString();
        IommuException e = assertThrows(IommuException.class,
                () -> rec.inner.ofXlate(admac, rig.dart(SIO), new int[] {-1}));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(ADMAC + ": stream 4294967295 of " + SIO + " is out of range"), e.getMessage());
        assertEquals(before, admac.priv().toString());
    }
}
