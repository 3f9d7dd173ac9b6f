package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.IommuPageDTO;
import io.iommulab.api.dto.PageOwnerDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.core.impl.Fixture;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.shell.MachineCommands;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code machine:ram} with the IOMMU core on the machine: every table page the test IOMMU's driver holds
 * belongs to the domain whose driver code allocated it, although the driver names one owner per IOMMU.
 */
class MachineRamTest {

    static final String DEV_A = "/soc/dev-a@200000000";
    static final String IOMMU0 = "/soc/iommu@100000000";
    static final String OWNER0 = "io.iommulab.testiommu:" + IOMMU0;

    SimMachine machine;
    IommuCoreEngine engine;
    MachineCommands cmd;
    IommuCommands iommu;

    @BeforeEach
    void setUp() {
        Fixture f = Fixture.boot();
        machine = f.machine;
        engine = f.engine;
        cmd = MachineCommands.over(machine, engine);
        iommu = IommuCommands.over(engine);
    }

    private Set<Integer> pagingDomains() {
        return engine.domains().stream().filter(d -> d.pgsizeBitmap() != 0).map(DomainDTO::id).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void everyTablePageBelongsToTheDomainThatAllocatedIt() {
        RamDTO r = cmd.ram();
        assertFalse(r.iommuPages().isEmpty());
        assertEquals(pagingDomains(), r.iommuPages().stream().map(IommuPageDTO::domain).collect(Collectors.toCollection(TreeSet::new)),
                "one L1 table per default DMA domain, each with its domain");
        int def = engine.domainOf(DEV_A).id();
        IommuPageDTO l1 = r.iommuPages().stream().filter(p -> p.domain() == def).findFirst().orElseThrow();
        assertEquals(OWNER0, l1.owner());
        assertEquals(IOMMU0, l1.iommu());
        assertEquals("DMA", l1.domainType());
        assertEquals(List.of(DEV_A), l1.devices());

        int user = iommu.attach(DEV_A, "unmanaged").domain();
        iommu.map(DEV_A, "0x10000", "0x800000000", "4K");
        List<IommuPageDTO> mine = cmd.ram().iommuPages().stream().filter(p -> p.domain() == user).toList();
        assertEquals(2, mine.size(), "its L1 (domain_alloc) and the L2 the map needed");
        for (IommuPageDTO p : mine) {
            assertEquals(new IommuPageDTO(p.paddr(), 0x1000, OWNER0, IOMMU0, user, "unmanaged", List.of(DEV_A)), p);
        }
        assertEquals(List.of(), cmd.ram().iommuPages().stream().filter(p -> p.domain() == def).findFirst().orElseThrow()
                .devices(), "the default domain has no device attached now");
        PageOwnerDTO owner = cmd.ram().owners().stream().filter(o -> o.owner().equals(OWNER0)).findFirst().orElseThrow();
        assertTrue(owner.domains().contains(user) && owner.domains().contains(def), owner.toString());
        assertEquals(owner.pages(), cmd.ram().iommuPages().stream().filter(p -> p.owner().equals(OWNER0))
                .mapToLong(p -> p.size() / 4096).sum(), "every page of the owner is a known block");

        iommu.attach(DEV_A, "default");
        assertTrue(cmd.ram().iommuPages().stream().noneMatch(p -> p.domain() == user), "freed with the user domain");
    }
}
