package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.dto.PageOwnerDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.dto.RamRegionDTO;
import io.iommulab.machine.shell.MachineCommands;
import io.iommulab.machine.shell.MachineDtoConverter;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

/** {@code machine:ram} without an IOMMU core: regions, what the allocator manages and uses, pages by owner. */
class MachineRamTest {

    private final SimMachine machine = SimMachine.boot(TestBoards.load("test-board.dts"), List.of(), Map.of());
    private final MachineCommands cmd = MachineCommands.over(machine);

    @Test
    void regionsTheAllocatorsHalfAndPagesByOwner() {
        long half = 32L << 20;
        assertEquals(new RamDTO(4096, half / 4096, 0, List.of(new RamRegionDTO(TestBoards.RAM, 64L << 20, TestBoards.RAM + half,
                half, 0)), List.of(), List.of()), cmd.ram());
        machine.pages().allocPages(2, "driver-b");
        long a = machine.pages().allocPages(0, "driver-a");
        machine.pages().allocPages(0, "driver-a");
        RamDTO r = cmd.ram();
        assertEquals(6, r.pagesInUse());
        assertEquals(6, r.regions().get(0).pagesInUse());
        assertEquals(List.of(new PageOwnerDTO("driver-a", 2, List.of(), List.of()),
                new PageOwnerDTO("driver-b", 4, List.of(), List.of())), r.owners(), "by owner name");
        assertEquals(List.of(), r.iommuPages(), "no IOMMU core: no page tables known");
        assertEquals("RAM: 64 MiB in 1 region; page allocator: 6 of 8192 pages of 4 KiB in use\n"
                + "BASE         SIZE       ALLOCATOR                IN USE\n"
                + "0x800000000  0x4000000  0x802000000-0x803ffffff  6\n"
                + "OWNER     PAGES  DOMAINS  DEVICES\n"
                + "driver-a  2      -        -\n"
                + "driver-b  4      -        -\n", new MachineDtoConverter().format(r, Converter.INSPECT, null).toString());
        machine.pages().freePages(a);
        assertEquals(new PageOwnerDTO("driver-a", 1, List.of(), List.of()), cmd.ram().owners().get(0));
    }
}
