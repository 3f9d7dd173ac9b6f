package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.lib.cmdline.CommandUsage;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.smmu.impl.shell.BankDTO;
import io.iommulab.smmu.impl.shell.SmmuCommands;
import io.iommulab.smmu.impl.shell.SmmuDTO;
import io.iommulab.smmu.impl.shell.StreamEntryDTO;
import io.iommulab.smmu.model.SmmuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code smmu:} shell scope: read-only views through the registers. */
class SmmuCommandsTest {

    @Test
    void smmusStreamsAndBanksShowWhatTheRegistersHold() {
        SmmuRig rig = SmmuRig.boot("smmu");
        SmmuCommands cmd = SmmuCommands.over(List.of(rig.driver));
        List<SmmuDTO> smmus = cmd.smmus();
        assertEquals(List.of(SMMU0, SMMU1, SMMU2, SMMU3), smmus.stream().map(SmmuDTO::node).toList());
        SmmuDTO s0 = smmus.get(0);
        assertEquals(8, s0.contextBanks());
        assertEquals(4, s0.banksInUse());
        assertTrue(s0.streamMatching());
        assertEquals(32, s0.entries());
        assertEquals(0x7fff, s0.streamIdMask());
        assertTrue(s0.disableBypass());
        assertFalse(smmus.get(3).streamMatching());
        assertTrue(s0.toString().contains("8 context banks (4 in use)"), s0.toString());

        int entry = rig.cfg(DMA).smendx[0];
        int cb = ((SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops()).cbndx();
        StreamEntryDTO e = cmd.streams("smmu0").get(entry);
        assertTrue(e.valid());
        assertEquals(0x10, e.id());
        assertEquals(0, e.mask());
        assertEquals("TRANS", e.type());
        assertEquals(cb, e.cbndx());
        assertTrue(e.toString().contains("-> cb " + cb), e.toString());
        StreamEntryDTO video = cmd.streams(SMMU1).get(rig.cfg(VIDEO).smendx[0]);
        assertEquals(0x500, video.id());
        assertEquals(0xf, video.mask());
        StreamEntryDTO idx = cmd.streams("iommu@530000000").get(5);
        assertNull(idx.smr());
        assertEquals("TRANS", idx.type());

        BankDTO bank = cmd.banks(SMMU0).get(cb);
        assertTrue(bank.inUse());
        assertEquals(cb, bank.asid());
        assertEquals(0x1067, bank.sctlr());
        assertEquals(0, bank.fsr());
        assertFalse(cmd.banks(SMMU0).get(7).inUse());
        assertEquals(0, cmd.banks(SMMU0).get(7).sctlr());
    }

    @Test
    void anSmmuIsNamedByPathNodeNameSuffixOrLabel() {
        SmmuRig rig = SmmuRig.boot("smmu");
        SmmuCommands cmd = SmmuCommands.over(List.of(rig.driver));
        IommuDomain dom = rig.engine.domainAlloc(M1, DomainType.IDENTITY);
        rig.engine.attachGroup(dom, M1);
        assertEquals("BYPASS", cmd.streams("smmu2").get(rig.cfg(M1).smendx[0]).type());
        assertEquals(2, cmd.banks("soc/iommu@520000000").size());
        IommuException none = assertThrows(IommuException.class, () -> cmd.banks("nope"));
        assertEquals(Errno.ENODEV, none.errno());
        IommuException amb = assertThrows(IommuException.class, () -> cmd.banks("iommu"));
        assertEquals(Errno.EINVAL, amb.errno());
        assertTrue(amb.getMessage().contains("ambiguous"), amb.getMessage());
    }

    /** The SMMU twin of the two-die t6002 board: both dies' SMMUs sit at iommu@702f00000. */
    @Test
    void twoDieSmmusAreNamedUnambiguously() {
        SmmuRig rig = SmmuRig.boot(BoardTwins.twinTree(DeviceTrees.parse("t6002.dts", TestBoards.t6002Dts()),
                new SmmuModelFactory()));
        SmmuCommands cmd = SmmuCommands.over(List.of(rig.driver));
        String die0 = "/soc@200000000/iommu@702f00000";
        String die1 = "/soc@2200000000/iommu@702f00000";
        List<String> nodes = cmd.smmus().stream().map(SmmuDTO::node).toList();
        assertTrue(nodes.contains(die0) && nodes.contains(die1), nodes.toString());
        assertEquals(nodes.size(), nodes.stream().distinct().count());
        IommuException amb = assertThrows(IommuException.class, () -> cmd.streams("iommu@702f00000"));
        assertEquals(Errno.EINVAL, amb.errno());
        assertEquals("EINVAL: SMMU name 'iommu@702f00000' is ambiguous: " + die0 + ", " + die1, amb.getMessage());
        int entry = rig.cfg("/soc@2200000000/usb@702280000").smendx[0];
        assertTrue(cmd.streams("soc@2200000000/iommu@702f00000").get(entry).valid(), "die 1's dwc3 entry on die 1's SMMU");
        assertEquals(cmd.banks(die1), cmd.banks("dwc3_0_dart_0_die1"), "the twin keeps the DART's label");
    }

    /** Every {@code smmu:} command and each of its parameters says what it is, for {@code help} and usage errors. */
    @Test
    void everyCommandAndParameterIsDescribed() {
        assertEquals(List.of(), CommandUsage.undescribed(SmmuCommands.class));
    }
}
