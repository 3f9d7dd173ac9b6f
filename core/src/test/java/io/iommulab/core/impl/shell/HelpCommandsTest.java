package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.shell.HelpCommands.Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code help} over the core's own commands, as the registry lists them (an alias resolved to the command it calls). */
class HelpCommandsTest {

    static final List<Command> COMMANDS = List.of(
            new Command("dma:map", DmaCommands.class, "map", null),
            new Command("dma:map-sg", DmaCommands.class, "mapsg", "dma:mapsg"),
            new Command("dma:mapsg", DmaCommands.class, "mapsg", null),
            new Command("iommu:map", IommuCommands.class, "map", null),
            new Command("iommu:other", null, "other", null));

    @Test
    void theListHasEveryCommandWithItsSimplestFormsDescription() {
        assertEquals("""
                COMMAND      DESCRIPTION
                dma:map      dma_map_page: map a physical buffer for the device's DMA; shows the DMA address it gets
                dma:map-sg   dma_map_sg: map a scatterlist into one IOVA range; shows the DMA segments after merging
                dma:mapsg    the same as dma:map-sg
                iommu:map    iommu_map on the device's current domain, read-write
                iommu:other \s
                help NAME shows how to call a command""", HelpCommands.list(COMMANDS));
    }

    @Test
    void aCommandsUsageHasEachFormWithItsParameters() {
        assertEquals("""
                iommu:map DEV IOVA PADDR SIZE
                  iommu_map on the device's current domain, read-write
                    DEV    device
                    IOVA   IOVA (decimal or 0x hex, K/M/G/T suffix)
                    PADDR  physical address
                    SIZE   size in bytes
                iommu:map DEV IOVA PADDR SIZE PROT
                  iommu_map on the device's current domain
                    PROT   protection: r, w or rw""", HelpCommands.usage(COMMANDS, "iommu:map"));
    }

    @Test
    void anAliasShowsItsOwnNameANameAloneEveryScopesCommandCaseAsGogoIgnoresIt() {
        assertTrue(HelpCommands.usage(COMMANDS, "dma:map-sg").startsWith("dma:map-sg DEV DIR [ENTRIES...]\n"),
                HelpCommands.usage(COMMANDS, "dma:map-sg"));
        String both = HelpCommands.usage(COMMANDS, "MAP");
        assertTrue(both.startsWith("dma:map DEV PADDR SIZE DIR\n"), both);
        assertTrue(both.contains("\n\niommu:map DEV IOVA PADDR SIZE\n"), both);
        assertEquals("iommu:other\n  (no description)", HelpCommands.usage(COMMANDS, "other"));
    }

    @Test
    void anUnknownNameIsRefusedNamingIt() {
        IommuException e = assertThrows(IommuException.class, () -> HelpCommands.usage(COMMANDS, "iommu:mapp"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT: help: no command is named 'iommu:mapp' (help lists them)", e.getMessage());
    }
}
