package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DmaMappingDTO;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import io.iommulab.api.dto.IovaRangeDTO;
import io.iommulab.api.dto.ReservedRegionDTO;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.core.impl.shell.DmaCommands;
import io.iommulab.core.impl.shell.ResvCommands;
import io.iommulab.machine.shell.MachineCommands;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The views of the DMA API at the prompt over arm-smmu: the software MSI window every master
 * reserves (iommu:resv, dma:iova), and the SMMU's one TLB tagged by ASID with the context bank
 * (machine:iotlb).
 */
class DmaViewsTest {

    private final SmmuRig rig = SmmuRig.boot("smmu");
    private final DmaApiImpl api = new DmaApiImpl(rig.engine);
    private final DmaCommands dma = DmaCommands.over(rig.engine, api);

    @AfterEach
    void tearDown() {
        api.close();
    }

    @Test
    void theSoftwareMsiWindowIsReservedForEveryMaster() {
        assertEquals(List.of(new ReservedRegionDTO(0x800_0000L, 0x80f_ffffL, "msi", "IOMMU_RESV_SW_MSI", "WRITE|NOEXEC|MMIO")),
                ResvCommands.over(rig.engine).resv(DMA).regions());
        assertTrue(dma.iova(DMA).ranges().contains(new IovaRangeDTO(0x800_0000L, 0x10_0000, "reserved")),
                dma.iova(DMA).ranges().toString());
    }

    @Test
    void theTlbEntriesCarryTheContextBankAndAsid() {
        long buf = rig.machine.ram().get(0).base();
        DmaMappingDTO m = dma.map(DMA, "0x" + Long.toHexString(buf), "4K", "from-device");
        assertTrue(rig.machine.master(DMA).orElseThrow().write(0, m.dmaAddress(), new byte[] {1}).ok());
        SmmuDomain d = (SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops();
        // a 16K granule (the CPU's page size); LPAE has no write-only permission: from-device maps read-write
        assertEquals(new IotlbDTO(SMMU0, "arm-smmu-v2", List.of(new IotlbEntryDTO(null, d.cbndx(), d.asid(), m.dmaAddress(),
                buf, 0x4000, "rw", List.of()))), MachineCommands.over(rig.machine).iotlb(SMMU0));
    }
}
