package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.testkit.BackendChecks;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DART board with every kind of domain in use, for live updates of the driver: a dwc3 on two
 * DARTs in its default DMA domain with a DMA-API mapping; the audio DMA with a DMA-API mapping in
 * its default domain; where the board has them, a PCI group in the identity domain and one in the
 * blocked domain. With {@code detached}, also domains that no stream runs: the audio DMA moves to a
 * user (UNMANAGED) domain with a mapping, its default domain detached with its DMA-API mapping,
 * and a second user domain of the dwc3 is mapped and never attached. It knows what must survive an
 * update: every register value of the DARTs' TCRs and TTBRs, the domains and groups with their
 * ids, every mapping's translation.
 */
final class UpdateBoard {

    static final long PG = UpdateLoad.PG;

    /** What the board has where. */
    record Layout(String board, DartHw variant, String dwc3, String admac, List<String> darts, String identity,
            List<String> identityMembers, String blocked) {
    }

    static final Layout T8103 = new Layout("t8103", io.iommulab.dart.impl.hw.DartVariants.T8103, "/soc/usb@382280000",
            "/soc/dma-controller@238200000", List.of("/soc/iommu@235004000", "/soc/iommu@382f00000", "/soc/iommu@382f80000",
                    "/soc/iommu@681008000", "/soc/iommu@691008000", "/soc/iommu@692008000"),
            "/soc/pcie@690000000/pci@0,0/network@0,0", List.of("/soc/pcie@690000000/pci@0,0/network@0,0",
                    "/soc/pcie@690000000/pci@0,0/network@0,1"), "/soc/pcie@6a0000000/pci@0,0/ethernet@0,0");

    /** The t8103 board with only the default domains (no group in the identity or blocked domain). */
    static final Layout T8103_DEFAULTS = new Layout(T8103.board(), T8103.variant(), T8103.dwc3(), T8103.admac(), T8103.darts(),
            null, List.of(), null);

    static final Layout T8112 = new Layout("t8112", io.iommulab.dart.impl.hw.DartVariants.T8110, "/soc/usb@382280000",
            "/soc/dma-controller@238200000", List.of("/soc/iommu@235004000", "/soc/iommu@382f00000", "/soc/iommu@382f80000"),
            null, List.of(), null);

    final Layout layout;
    final DartRig rig;
    final DmaApiImpl dma;
    final IommuDomain user;
    final IommuDomain spare;
    final long dwc3Iova;
    final long admacDmaIova;
    final List<UpdateLoad.Pinned> pinned = new ArrayList<>();
    /** domain id → IOVA → PA every mapping made here must keep */
    final Map<Integer, Map<Long, Long>> translations = new TreeMap<>();
    private final long scratch;

    /** Boots the board with {@code driver} (made for the layout's variant) and sets every domain up. */
    UpdateBoard(Layout layout, IommuDriver driver, boolean detached) {
        this.layout = layout;
        this.rig = DartRig.bootWithoutDrivers(layout.board(), CoreConfig.defaults()).add(driver);
        this.dma = new DmaApiImpl(rig.engine);
        this.scratch = rig.ram() + 0x100_0000;
        byte[] hello = "before the update".getBytes(StandardCharsets.US_ASCII);

        DmaDevice dwc3 = dma.device(layout.dwc3());
        dwc3Iova = dwc3.mapPage(buf(0), PG, DmaDirection.BIDIRECTIONAL);
        pin(layout.dwc3(), 0, dwc3Iova, buf(0));
        pin(layout.dwc3(), 1, dwc3Iova + 0x100, buf(0) + 0x100);
        note(rig.engine.domainOf(layout.dwc3()), dwc3Iova, buf(0));

        IommuDomain admacDefault = rig.engine.domainOf(layout.admac());
        admacDmaIova = dma.device(layout.admac()).mapPage(buf(1), PG, DmaDirection.BIDIRECTIONAL);
        note(admacDefault, admacDmaIova, buf(1));
        if (detached) {
            user = rig.engine.domainAlloc(layout.admac(), DomainType.UNMANAGED);
            rig.engine.attachGroup(user, layout.admac());
            user.map(0x10_0000, buf(2), PG, UpdateLoad.RW);
            pin(layout.admac(), 0, 0x10_0000, buf(2));
            note(user, 0x10_0000, buf(2));
            spare = rig.engine.domainAlloc(layout.dwc3(), DomainType.UNMANAGED);
            spare.map(0x4000_0000L, buf(3), PG, UpdateLoad.RW);
            note(spare, 0x4000_0000L, buf(3));
        } else {
            user = null;
            spare = null;
            pin(layout.admac(), 0, admacDmaIova, buf(1));
        }

        if (layout.identity() != null) {
            rig.engine.attachGroup(rig.engine.domainAlloc(layout.identity(), DomainType.IDENTITY), layout.identity());
            for (int i = 0; i < layout.identityMembers().size(); i++) {
                pin(layout.identityMembers().get(i), 0, buf(4) + 0x200L * i, buf(4) + 0x200L * i);
            }
        }
        if (layout.blocked() != null) {
            rig.engine.attachGroup(rig.engine.domainAlloc(layout.blocked(), DomainType.BLOCKED), layout.blocked());
        }
        for (UpdateLoad.Pinned p : pinned) {
            BackendChecks.assertDmaLands(rig.machine.memory(), p.master(), p.stream(), p.iova(), p.pa(), hello);
        }
        assertBlockedStaysBlocked();
    }

    /** @return the 16 KiB scratch buffer {@code i} (the lower half of RAM is the tests') */
    long buf(int i) {
        return scratch + 0x1_0000L * i;
    }

    private void pin(String master, int stream, long iova, long pa) {
        pinned.add(new UpdateLoad.Pinned(rig.master(master), stream, iova, pa));
    }

    private void note(IommuDomain d, long iova, long pa) {
        translations.computeIfAbsent(d.id(), k -> new TreeMap<>()).put(iova, pa);
    }

    /** @return load on the pinned transfers, and a mapper on the user domain (audio DMA, if any) and the dwc3's DMA API */
    UpdateLoad load() {
        return new UpdateLoad(rig.machine.memory(), pinned, new UpdateLoad.Mapper(user, 0x20_0000, rig.master(layout.admac()),
                dma.device(layout.dwc3()), rig.master(layout.dwc3()), buf(5)));
    }

    /** Every TCR and TTBR of every DART, by DART and register offset. */
    Map<String, Map<Integer, Integer>> registers() {
        Map<String, Map<Integer, Integer>> out = new LinkedHashMap<>();
        DartHw hw = layout.variant();
        for (String dart : layout.darts()) {
            Map<Integer, Integer> regs = new TreeMap<>();
            int streams = hw.strategies().params().readParams(hw, rig.regs(dart)).numStreams();
            for (int sid = 0; sid < streams; sid++) {
                regs.put(hw.tcr().offset(sid), rig.regs(dart).readl(hw.tcr().offset(sid)));
                for (int idx = 0; idx < hw.ttbr().count(); idx++) {
                    regs.put(hw.ttbr().offset(sid, idx), rig.regs(dart).readl(hw.ttbr().offset(sid, idx)));
                }
            }
            out.put(dart, regs);
        }
        return out;
    }

    /** @return true if {@code offset} is a TCR or TTBR of a DART of this board */
    boolean isTcrOrTtbr(long offset) {
        DartHw hw = layout.variant();
        for (int sid = 0; sid < DartHw.MAX_STREAMS; sid++) {
            if (offset == hw.tcr().offset(sid)) {
                return true;
            }
            for (int idx = 0; idx < hw.ttbr().count(); idx++) {
                if (offset == hw.ttbr().offset(sid, idx)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Domains by id: type and groups (what a live update must keep). */
    Map<Integer, String> domains() {
        Map<Integer, String> out = new TreeMap<>();
        for (DomainDTO d : rig.engine.domains()) {
            out.put(d.id(), d.type() + " " + d.groups() + " pgsize 0x" + Long.toHexString(d.pgsizeBitmap()) + " aperture 0x"
                    + Long.toHexString(d.apertureEnd()));
        }
        return out;
    }

    /** Groups by id: devices, default domain, domain. */
    Map<Integer, String> groups() {
        Map<Integer, String> out = new TreeMap<>();
        for (GroupDTO g : rig.engine.groups()) {
            out.put(g.id(), g.devices() + " default " + g.defaultDomain() + " domain " + g.domain() + " " + g.domainType());
        }
        return out;
    }

    /** Every mapping made at set-up translates as it did, through the core (iova_to_phys of the domain). */
    void assertTranslations() {
        for (Map.Entry<Integer, Map<Long, Long>> d : translations.entrySet()) {
            IommuDomain dom = domain(d.getKey());
            for (Map.Entry<Long, Long> t : d.getValue().entrySet()) {
                assertEquals(t.getValue() + 0x123, dom.iovaToPhys(t.getKey() + 0x123), "domain " + d.getKey() + " IOVA 0x"
                        + Long.toHexString(t.getKey()));
            }
        }
    }

    IommuDomain domain(int id) {
        for (String dev : List.of(layout.dwc3(), layout.admac())) {
            IommuDomain cur = rig.engine.domainOf(dev);
            if (cur.id() == id) {
                return cur;
            }
            IommuDomain def = rig.engine.defaultDomainOf(dev);
            if (def.id() == id) {
                return def;
            }
        }
        for (IommuDomain d : new IommuDomain[] {user, spare}) {
            if (d != null && d.id() == id) {
                return d;
            }
        }
        throw new IllegalArgumentException("no domain " + id);
    }

    /** DMA through every pinned transfer lands, and the detached domains work once attached. */
    void assertDmaEverywhere(String when) {
        byte[] data = when.getBytes(StandardCharsets.US_ASCII);
        for (UpdateLoad.Pinned p : pinned) {
            BackendChecks.assertDmaLands(rig.machine.memory(), p.master(), p.stream(), p.iova(), p.pa(), data);
        }
        assertBlockedStaysBlocked();
    }

    /** The detached domains attached again: the audio DMA's default domain with its DMA-API mapping, the spare domain of the dwc3. */
    void assertDetachedDomainsWorkWhenAttached(String when) {
        byte[] data = when.getBytes(StandardCharsets.US_ASCII);
        rig.engine.detachGroup(user, layout.admac());
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(layout.admac()), 0, admacDmaIova, buf(1), data);
        rig.engine.attachGroup(spare, layout.dwc3());
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(layout.dwc3()), 0, 0x4000_0040L, buf(3) + 0x40, data);
        BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(layout.dwc3()), 1, 0x4000_0080L, buf(3) + 0x80, data);
    }

    private void assertBlockedStaysBlocked() {
        if (layout.blocked() != null) {
            assertFalse(rig.master(layout.blocked()).read(0, buf(6), 4).ok(), "the blocked group's DMA is refused");
        }
    }
}
