package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import io.iommulab.api.dto.IovaDomainDTO;
import io.iommulab.api.dto.IovaRangeDTO;
import io.iommulab.api.dto.PageOwnerDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.dto.ReservedRegionDTO;
import io.iommulab.api.dto.ResvRegionsDTO;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.core.impl.shell.DmaCommands;
import io.iommulab.core.impl.shell.ResvCommands;
import io.iommulab.machine.shell.MachineCommands;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The views of the DMA API at the prompt over apple-dart: a PCIe function's MSI doorbell as its reserved
 * region (iommu:resv) and in its DMA domain's IOVA space (dma:iova), and the DART's IOTLB after DMA
 * through a dma:map mapping (machine:iotlb).
 */
class DmaViewsTest {

    static final String WIFI = "/soc/pcie@690000000/pci@0,0/network@0,0";
    static final String BLUETOOTH = "/soc/pcie@690000000/pci@0,0/network@0,1";
    static final String PCIE0_DART = "/soc/iommu@681008000";
    static final long BUF = 0x8_0000_0000L;

    private final DartRig rig = DartRig.boot("t8103");
    private final DmaApiImpl api = new DmaApiImpl(rig.engine);
    private final DmaCommands dma = DmaCommands.over(rig.engine, api);

    @AfterEach
    void tearDown() {
        api.close();
    }

    @Test
    void aPcieFunctionsMsiDoorbellIsReservedAndKeptOutOfItsIovaSpace() {
        ResvRegionsDTO r = ResvCommands.over(rig.engine).resv("wifi0");
        ReservedRegionDTO msi = new ReservedRegionDTO(0xffff_c000L, 0xffff_ffffL, "msi", "IOMMU_RESV_MSI", "WRITE|NOEXEC|MMIO");
        assertEquals(new ResvRegionsDTO(WIFI, rig.engine.device(WIFI).group(), List.of(msi)), r,
                "the doorbell's CPU page (16K)");
        assertEquals(List.of(), ResvCommands.over(rig.engine).resv("/soc/usb@382280000").regions(), "not a PCI function");

        IovaDomainDTO iova = dma.iova(WIFI);
        assertEquals(new IovaRangeDTO(0xffff_c000L, 0x4000, "reserved"), iova.ranges().get(iova.ranges().size() - 1));
        assertEquals(0x4000, iova.reserved());
        DmaMappingDTO m = dma.map(WIFI, "0x800000000", "16K", "bidirectional");
        assertEquals(0xffff_8000L, m.dmaAddress(), "top-down, below the doorbell");
    }

    @Test
    void everyDartTableOwnerIsOneDomainWithItsDevices() {
        dma.map(WIFI, "0x800000000", "16K", "bidirectional");
        RamDTO r = MachineCommands.over(rig.machine, rig.engine).ram();
        List<PageOwnerDTO> darts = r.owners().stream().filter(o -> o.owner().startsWith("apple-dart:")).toList();
        assertFalse(darts.isEmpty());
        for (PageOwnerDTO o : darts) {
            assertEquals(1, o.domains().size(), "apple-dart names its tables per domain: " + o);
        }
        int wifiDomain = rig.engine.domainOf(WIFI).id();
        PageOwnerDTO wifi = darts.stream().filter(o -> o.domains().contains(wifiDomain)).findFirst().orElseThrow();
        assertEquals(List.of(WIFI, BLUETOOTH), wifi.devices());
        assertTrue(wifi.owner().startsWith("apple-dart:" + PCIE0_DART + ":domain@"), wifi.owner());
        assertTrue(wifi.pages() >= 8, "two levels of 16K tables at least: " + wifi.pages());
    }

    @Test
    void theDartsIotlbHoldsWhatTheMasterReadThroughItsStream() {
        rig.machine.memory().write(BUF + 0x4000, new byte[] {0x42}, 0, 1);
        DmaMappingDTO m = dma.map(WIFI, "0x800004000", "16K", "to-device");
        assertEquals(0x42, rig.machine.master(WIFI).orElseThrow().read(0, m.dmaAddress(), 1).data()[0]);
        IotlbDTO t = MachineCommands.over(rig.machine).iotlb("pcie0_dart_0");
        assertEquals(new IotlbDTO(PCIE0_DART, "apple-dart", List.of(new IotlbEntryDTO(1, null, null, m.dmaAddress(),
                BUF + 0x4000, 0x4000, "r", List.of(WIFI, BLUETOOTH)))), t, "stream 1, shared by the bus's functions");
    }
}
