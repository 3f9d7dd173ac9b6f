package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.Board.*;
import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.dma.DmaApiImpl;
import io.iommulab.machine.irq.IrqLineImpl;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import io.iommulab.smmu.impl.shell.SmmuCommands;
import io.iommulab.smmu.impl.shell.SmmuDTO;
import io.iommulab.testkit.BackendChecks;
import io.iommulab.testkit.DelegatingDriver;
import io.iommulab.testkit.LogCapture;
import io.iommulab.testkit.MmioRecordingDriver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Live update: a new arm-smmu driver takes over the running SMMUs of the test board (four SMMUs:
 * SMRs with shared and masked entries, a small one, and one with stream indexing) while masters do
 * DMA and a thread maps and unmaps, from the old driver's record, from the hardware alone, or not at
 * all (a corrupted SMMU: the core removes and probes again).
 */
class LiveUpdateTest {

    static final long PG = 0x4000;
    static final int RW = Prot.READ | Prot.WRITE;
    static final byte[] DATA = "taken over, not reset".getBytes(StandardCharsets.US_ASCII);
    static final List<String> SMMUS = List.of(SMMU0, SMMU1, SMMU2, SMMU3);
    /** far above what the DMA API's IOVA allocator hands out: the mapper thread's own page */
    static final long MAPPER_IOVA = 0x10_0000_0000L;
    static final String NEW_ORIGIN = "io.iommulab.smmu 2.0.0";

    /** One IOVA a master reaches through stream {@code stream}, and where it lands. */
    record Mapping(String master, int stream, long iova, long pa) {
    }

    /**
     * The board in use: DMA-API pages on default DMA domains (one SMR entry shared by two masters, a
     * masked SMR covering another master's, the stream-indexed SMMU's entry shared by two, a PCI
     * group), and with {@code extras}: an identity domain (m1), a blocked one (the PCI group), gpu
     * on an unmanaged domain with iommu_map pages, and an unmanaged domain never attached. Those
     * leave the groups' default domains on their banks without a stream, which only a record can
     * tell the new driver about.
     */
    static final class Workload {
        final SmmuRig rig;
        final DmaApiImpl dma;
        final List<Mapping> mappings = new ArrayList<>();
        IommuDomain unmanaged;
        IommuDomain idle;
        /** gpu's DMA-API page in its default domain (not reachable while gpu is on {@code unmanaged}) */
        Mapping gpuDefault;
        long next;

        Workload(SmmuRig rig, boolean extras) {
            this.rig = rig;
            this.dma = new DmaApiImpl(rig.engine);
            this.next = rig.ram() + 0x200_0000;
            dmaPage(DMA, DMA, 0);
            dmaPage(DMA, DMA, 0);
            dmaPage(DISPLAY, DISPLAY_AUX, 0); // display and display-aux share SID 0x30's entry
            dmaPage(GPU, GPU, 1);
            dmaPage(NIC0, NIC1, 0);
            dmaPage(VIDEO, VIDEO_SUB, 0);     // video-sub's SMR is covered by video's (0x500/0xf)
            dmaPage(M2, M3, 0);             // m3 failed to probe (no SMR for 0x3) but its 0x2 shares m2's SMR
            dmaPage(IDX_A, IDX_B, 0);         // stream indexing: both on S2CR 5
            dmaPage(M1, M1, 0);
            gpuDefault = mappings.stream().filter(m -> m.master().equals(GPU)).findFirst().orElseThrow();
            if (extras) {
                long m1 = page();
                mappings.removeIf(m -> m.master().equals(M1));
                mappings.add(new Mapping(M1, 0, m1, m1));
                rig.engine.attachGroup(rig.engine.domainAlloc(M1, DomainType.IDENTITY), M1);
                // the blocked domain goes on a group with no mapping to check: its S2CRs fault
                mappings.removeIf(m -> m.master().equals(NIC1));
                rig.engine.attachGroup(rig.engine.domainAlloc(NIC0, DomainType.BLOCKED), NIC0);
                unmanaged = rig.engine.domainAlloc(GPU, DomainType.UNMANAGED);
                rig.engine.attachGroup(unmanaged, GPU);
                long pa = page();
                unmanaged.map(0x4000_0000L, pa, PG, RW);
                mappings.remove(gpuDefault);
                mappings.add(new Mapping(GPU, 0, 0x4000_0000L, pa));
                idle = rig.engine.domainAlloc(DMA, DomainType.UNMANAGED);
            }
            // the mapper's tables exist before anything is measured
            mapperStep();
        }

        private long page() {
            long pa = next;
            next += PG;
            return pa;
        }

        private void dmaPage(String device, String via, int stream) {
            long pa = page();
            DmaDevice d = dma.device(device);
            mappings.add(new Mapping(via, stream, d.mapPage(pa, PG, DmaDirection.BIDIRECTIONAL), pa));
        }

        /** One map and unmap of the mapper's page in dma's DMA domain (iommu_map / iommu_unmap). */
        void mapperStep() {
            IommuDomain d = rig.engine.domainOf(DMA);
            d.map(MAPPER_IOVA, rig.ram() + 0x300_0000, PG, RW);
            assertEquals(rig.ram() + 0x300_0000, d.iovaToPhys(MAPPER_IOVA));
            assertEquals(PG, d.unmap(MAPPER_IOVA, PG));
        }

        void assertEveryMappingLands() {
            for (Mapping m : mappings) {
                BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(m.master()), m.stream(), m.iova(), m.pa(), DATA);
            }
        }
    }

    /** What must not change: per device its state, group and domain; per paging domain its bank. */
    static Map<String, String> devices(SmmuRig rig) {
        Map<String, String> out = new TreeMap<>();
        for (DeviceDTO d : rig.engine.devices()) {
            out.put(d.node(), d.state() + " group " + d.group() + " domain " + d.domain() + " " + d.domainType());
        }
        return out;
    }

    static Map<Integer, String> banks(SmmuRig rig) {
        Map<Integer, String> out = new TreeMap<>();
        for (var d : rig.engine.domains()) {
            IommuDomain dom = null;
            for (DeviceDTO dev : rig.engine.devices()) {
                if (d.id() == (dev.domain() == null ? -1 : dev.domain())) {
                    dom = rig.engine.domainOf(dev.node());
                }
            }
            if (dom != null && ((DomainImpl) dom).ops() instanceof SmmuDomain s) {
                out.put(d.id(), s.smmu().node() + " cb " + s.cbndx() + " asid " + s.asid());
            }
        }
        return out;
    }

    static Map<String, List<String>> irqActions(SmmuRig rig) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String smmu : SMMUS) {
            for (int i = 0; ; i++) {
                IrqLineImpl line;
                try {
                    line = (IrqLineImpl) rig.machine.irq(rig.node(smmu), i);
                } catch (RuntimeException e) {
                    break;
                }
                out.put(smmu + " irq " + i, line.actions().stream().map(IrqLineImpl.Action::devName).toList());
            }
        }
        return out;
    }

    private static MmioRecordingDriver<ArmSmmuDriver> newDriver() {
        return new MmioRecordingDriver<>(ArmSmmuDriver.create(SmmuRig.FORMATS, System::nanoTime, true));
    }

    private static LiveUpdateDTO last(SmmuRig rig) {
        List<LiveUpdateDTO> all = rig.engine.liveUpdates();
        assertFalse(all.isEmpty(), "no live update was reported");
        return all.get(all.size() - 1);
    }

    /**
     * Replaces the driver (engine.removeDriver(old, true) + addDriver(new)) while one thread maps
     * and unmaps and another does DMA through every mapping, then checks that nothing changed.
     *
     * @return the new driver
     */
    private static MmioRecordingDriver<ArmSmmuDriver> updateUnderLoad(SmmuRig rig, Workload w, boolean fromRecord) throws Exception {
        SmmuRegisters regs = SmmuRegisters.read(rig, SMMUS);
        Map<String, String> devices = devices(rig);
        Map<Integer, String> banks = banks(rig);
        Map<String, List<String>> irqs = irqActions(rig);
        long pages = rig.machine.pages().pagesInUse();
        int domains = rig.engine.domains().size();
        rig.rec.take();

        MmioRecordingDriver<ArmSmmuDriver> neu = newDriver();
        try (SmmuLoad load = SmmuLoad.start(w)) {
            load.awaitRounds(20);
            rig.engine.removeDriver(rig.registered, true);
            rig.engine.addDriver(neu, NEW_ORIGIN);
            load.awaitRounds(20);
        }

        LiveUpdateDTO u = last(rig);
        assertTrue(u.adopted(), () -> "fell back: " + u.reason());
        assertEquals(fromRecord ? SMMUS.size() : 0, u.fromRecord(), "taken over from the record");
        assertEquals(fromRecord ? 0 : SMMUS.size(), u.fromHardware(), "read from the hardware");
        assertEquals(SMMUS, u.iommus());
        assertEquals(domains, u.domains());
        assertEquals(0, u.mismatches());
        assertTrue(u.verified() >= 7, "every DMA-API page verified: " + u.verified());
        assertEquals(0, u.faultsDuringSwap());
        assertEquals(NEW_ORIGIN, u.to());
        assertEquals(List.of(), rig.engine.faults(), "no transaction faulted");

        assertEquals(List.of(neu), rig.engine.drivers());
        assertEquals(List.of(), rig.driver.instances(), "the old driver lets go of every SMMU");
        assertEquals(SMMUS, neu.inner.instances().stream().map(SmmuInstance::node).toList());
        assertEquals(devices, devices(rig), "groups and domains keep their ids");
        assertEquals(banks, banks(rig), "every domain keeps its context bank and ASID");
        for (DeviceDTO d : rig.engine.devices()) {
            if ("probed".equals(d.state()) && rig.engine.domainOf(d.node()).type().isPaging()) {
                SmmuDomain s = (SmmuDomain) ((DomainImpl) rig.engine.domainOf(d.node())).ops();
                assertTrue(neu.inner.instances().contains(s.smmu()), d.node() + " runs on the new code");
            }
        }
        assertEquals(regs, SmmuRegisters.read(rig, SMMUS), "no configuration register changed");
        List<MmioRecordingDriver.Write> writes = neu.take();
        assertEquals(List.of(), regs.changedBy(writes), "the new driver wrote only what the registers held");
        assertTrue(regs.configWrites(writes) > 0, "probe_device wrote the stream map entries again");
        assertEquals(List.of(), regs.changedBy(rig.rec.take()), "the old driver changed nothing either");
        assertEquals(pages, rig.machine.pages().pagesInUse(), "no table page allocated or freed");
        assertEquals(irqs, irqActions(rig), "the same interrupt handlers, registered once");
        w.assertEveryMappingLands();
        return neu;
    }

    @Test
    void aNewDriverTakesOverFromTheRecordWhileMastersDoDma() throws Exception {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu");
            Workload w = new Workload(rig, true);
            int gpuDefault = rig.engine.defaultDomainOf(GPU).id();
            MmioRecordingDriver<ArmSmmuDriver> neu = updateUnderLoad(rig, w, true);
            for (String smmu : SMMUS) {
                assertEquals(1, log.matching(smmu + ": arm-smmu from " + NEW_ORIGIN + " adopted").size(), smmu);
            }
            assertEquals(SMMUS.size(), log.matching("took over a running SMMU from the arm-smmu record").size());

            // the new code runs everything: new mappings, faults, a domain without streams, free
            long pa = w.page();
            DmaDevice dma = w.dma.device(DMA);
            long iova = dma.mapPage(pa, PG, DmaDirection.BIDIRECTIONAL);
            BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(DMA), 0, iova, pa, DATA);
            dma.unmapPage(iova, PG, DmaDirection.BIDIRECTIONAL);
            assertFalse(rig.master(DMA).read(0, iova, 8).ok(), "unmapped on the new code, TLB invalidated");
            assertEquals(1, rig.engine.faults().size());
            assertEquals(rig.engine.domainOf(DMA).id(), rig.engine.faults().get(0).domain());

            rig.engine.detachGroup(w.unmanaged, GPU);
            assertEquals(gpuDefault, rig.engine.domainOf(GPU).id(), "gpu is back on its default domain");
            long before = rig.machine.pages().pagesInUse();
            w.unmanaged.free();
            assertTrue(rig.machine.pages().pagesInUse() < before, "the unmanaged domain's tables are freed by the new code");
            assertEquals(0, rig.gr0(SMMU0, SmmuRegs.s2cr(rig.cfg(GPU).smendx[0])) >>> 16 & 3, "gpu translates again");
            Mapping gpu = w.gpuDefault;
            BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(GPU), gpu.stream(), gpu.iova(), gpu.pa(), DATA);
            // the domain never attached comes back unfinalised: its first attach, on the new code, finalises it
            rig.engine.attachGroup(w.idle, GPU);
            SmmuDomain idle = (SmmuDomain) ((DomainImpl) w.idle).ops();
            assertTrue(neu.inner.instances().contains(idle.smmu()));
            List<String> inUse = List.copyOf(banks(rig).values());
            assertEquals(inUse.size(), inUse.stream().distinct().count(), "a bank of its own: " + inUse);
            long idlePa = w.page();
            w.idle.map(0x8000_0000L, idlePa, PG, RW);
            BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(GPU), 0, 0x8000_0000L, idlePa, DATA);

            List<SmmuDTO> smmus = SmmuCommands.over(List.of(neu.inner)).smmus();
            assertEquals(SMMUS, smmus.stream().map(SmmuDTO::node).toList());
            assertNull(smmus.get(0).driverBundle(), "outside OSGi no bundle drives it");
            assertTrue(smmus.get(0).toString().endsWith("driven by a driver outside OSGi"), smmus.get(0).toString());
        }
    }

    /** An old driver that lets go of its SMMUs as the real one does but hands over {@code record} of what it preserved. */
    private static UnaryOperator<IommuDriver> preserving(UnaryOperator<PreservedIommu> record) {
        return d -> new DelegatingDriver(d) {
            @Override
            public PreservedIommu preserve(IommuDevice iommu) {
                return record.apply(base.preserve(iommu));
            }
        };
    }

    @Test
    void theIdAndMaskBitsOfAFreeSmrAreNoState() throws Exception {
        SmmuRig rig = SmmuRig.boot("smmu");
        Workload w = new Workload(rig, true);
        // what arm_smmu_test_smr_masks leaves in the free SMR it probed when no master took it since
        rig.regs(SMMU0).writel(SmmuRegs.smr(31), 0x7fff_0000);
        updateUnderLoad(rig, w, true);
        assertEquals(0x7fff_0000, rig.gr0(SMMU0, SmmuRegs.smr(31)), "left as it was");
    }

    @Test
    void withoutARecordTheNewDriverReadsTheHardware() throws Exception {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu", preserving(r -> null));
            updateUnderLoad(rig, new Workload(rig, false), false);
            assertEquals(SMMUS.size(), log.matching("took over a running SMMU from the hardware").size());
            for (String smmu : SMMUS) {
                assertEquals(1, log.matching(smmu + ": arm-smmu from " + NEW_ORIGIN + " adopted").size(), smmu);
            }
        }
    }

    @Test
    void aRecordOfAnUnknownVersionIsIgnoredForTheHardware() throws Exception {
        try (LogCapture log = new LogCapture()) {
            SmmuRig rig = SmmuRig.boot("smmu", preserving(r -> new PreservedIommu(r.node(), r.driver(), r.schema(), 99, r.ias(),
                    r.oas(), r.streams(), r.domains(), r.properties())));
            updateUnderLoad(rig, new Workload(rig, false), false);
            assertEquals(SMMUS.size(), log.matching("record arm-smmu version 99 is not one this driver knows (arm-smmu 1);"
                    + " reading the hardware").size());
            assertEquals(SMMUS.size(), log.matching("took over a running SMMU from the hardware").size());
        }
    }

    /** The pages each arm-smmu owner (a bank's tables) holds, and the interrupt handlers: what a fresh boot has. */
    private static void assertSameAsAFreshBoot(SmmuRig rig) {
        SmmuRig fresh = SmmuRig.boot("smmu");
        assertEquals(smmuPages(fresh), smmuPages(rig), "table pages: nothing leaked");
        assertEquals(irqActions(fresh), irqActions(rig), "interrupt handlers: nothing leaked");
        assertEquals(devices(fresh).keySet(), devices(rig).keySet());
        for (var e : devices(fresh).entrySet()) {
            assertEquals(e.getValue().split(" ")[0], devices(rig).get(e.getKey()).split(" ")[0], e.getKey());
        }
    }

    private static Map<String, Long> smmuPages(SmmuRig rig) {
        Map<String, Long> out = new TreeMap<>();
        rig.machine.pages().pagesByOwner().forEach((owner, n) -> {
            if (owner.startsWith(ArmSmmuDriver.NAME)) {
                out.put(owner, n);
            }
        });
        return out;
    }

    /**
     * Corrupts the running state, updates, and checks the fallback: the WARN says why, the new
     * driver probed afresh (every master probed again, on new domains), nothing leaked.
     */
    private static void assertFallsBack(SmmuRig rig, Runnable corrupt, String why) {
        try (LogCapture log = new LogCapture()) {
            new Workload(rig, true);
            corrupt.run();
            int firstNew = rig.engine.domains().stream().mapToInt(d -> d.id()).max().orElseThrow() + 1;
            rig.engine.removeDriver(rig.registered, true);
            MmioRecordingDriver<ArmSmmuDriver> neu = newDriver();
            rig.engine.addDriver(neu, NEW_ORIGIN);
            LiveUpdateDTO u = last(rig);
            assertFalse(u.adopted());
            assertTrue(u.reason().contains(why), u.reason());
            List<String> warn = log.matching("live update of arm-smmu: the new code could not take over the running state");
            assertEquals(1, warn.size(), log.lines().toString());
            assertTrue(warn.get(0).contains("WARN") && warn.get(0).contains(why), warn.get(0));
            assertEquals(List.of(neu), rig.engine.drivers());
            assertEquals(SMMUS, neu.inner.instances().stream().map(SmmuInstance::node).toList());
            for (DeviceDTO d : rig.engine.devices()) {
                if (d.domain() != null) {
                    assertTrue(d.domain() >= firstNew, d.node() + " is on a new domain: " + d);
                }
            }
            assertSameAsAFreshBoot(rig);
            long pa = rig.ram() + 0x100_0000;
            long iova = new DmaApiImpl(rig.engine).device(DMA).mapPage(pa, PG, DmaDirection.BIDIRECTIONAL);
            BackendChecks.assertDmaLands(rig.machine.memory(), rig.master(DMA), 0, iova, pa, DATA);
        }
    }

    @Test
    void anS2crPointingAtADisabledBankMakesTheCoreProbeAgain() {
        SmmuRig rig = SmmuRig.boot("smmu");
        int entry = rig.cfg(DMA).smendx[0];
        assertFallsBack(rig, () -> rig.regs(SMMU0).writel(SmmuRegs.s2cr(entry), 7),
                String.format("arm-smmu %s: cannot take over: SME %d (SMR 0x80000010): S2CR 0x00000007 translates through"
                        + " context bank 7, which is disabled (SCTLR 0x00000000)", SMMU0, entry));
    }

    @Test
    void aBankWalkingATableOutsideRamMakesTheCoreProbeAgain() {
        SmmuRig rig = SmmuRig.boot("smmu");
        AtomicLong ttbr0 = new AtomicLong();
        AtomicLong cb = new AtomicLong();
        assertFallsBack(rig, () -> {
            cb.set(((SmmuDomain) ((DomainImpl) rig.engine.domainOf(M2)).ops()).cbndx());
            rig.regs(SMMU2).writel(rig.bankBase(SMMU2, (int) cb.get()) + SmmuRegs.CB_TTBR0, 0x1000);
            ttbr0.set(rig.cbq(SMMU2, (int) cb.get(), SmmuRegs.CB_TTBR0));
        }, "points outside RAM (table at 0x1000)");
        assertEquals(cb.get() << 48 | 0x1000, ttbr0.get(), "the bank's ASID stays, its table moved out of RAM");
    }

    @Test
    void aFaultLatchedWhileNoHandlerListenedIsReportedByTheNewDriver() {
        SmmuRig rig = SmmuRig.boot("smmu");
        new Workload(rig, false);
        int cb = ((SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops()).cbndx();
        int dmaDomain = rig.engine.domainOf(DMA).id();
        rig.engine.removeDriver(rig.registered, true);
        MmioRecordingDriver<ArmSmmuDriver> neu = newDriver();
        IommuDriver faulting = new DelegatingDriver(neu) {
            @Override
            public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
                if (pdev.name().equals(SMMU0)) {
                    // between the old driver freeing its interrupts and the new one requesting them
                    DmaResult ctx = rig.master(DMA).read(0, 0x123_4000L, 8);
                    DmaResult global = rig.master(BAD_SID).read(0, 0x4000, 8);
                    assertFalse(ctx.ok());
                    assertFalse(global.ok());
                    assertEquals(List.of(), rig.engine.faults(), "latched, nobody listening");
                }
                return base.restore(pdev, record);
            }
        };
        rig.engine.addDriver(faulting, NEW_ORIGIN);
        LiveUpdateDTO u = last(rig);
        assertTrue(u.adopted(), u::reason);
        List<FaultDTO> faults = rig.engine.faults();
        assertEquals(2, faults.size(), faults.toString());
        FaultDTO global = faults.get(0);
        assertEquals(SMMU0, global.iommu());
        assertEquals("UNIDENTIFIED STREAM", global.reason());
        FaultDTO ctx = faults.get(1);
        assertEquals(0x10, ctx.sid());
        assertEquals(0x123_4000L, ctx.iova());
        assertEquals(dmaDomain, ctx.domain());
        assertEquals(2, u.faultsDuringSwap());
        assertEquals(0, rig.gr0(SMMU0, SmmuRegs.GR0_SGFSR), "sGFSR cleared");
        assertEquals(0, rig.cb(SMMU0, cb, SmmuRegs.CB_FSR), "FSR cleared");
    }

    @Test
    void theRecordSaysWhatLinuxKeepsInSoftwareAndPreserveWritesNothing() {
        SmmuRig rig = SmmuRig.boot("smmu");
        Workload w = new Workload(rig, true);
        rig.rec.take();
        PreservedIommu r = rig.driver.preserve(rig.smmu(SMMU0));
        assertEquals(List.of(), rig.rec.take(), "preserve writes no register");
        irqActions(rig).forEach((line, actions) -> {
            if (line.startsWith(SMMU0)) {
                assertEquals(List.of(), actions, line + " freed");
            }
        });
        assertFalse(rig.driver.instances().stream().anyMatch(s -> s.node().equals(SMMU0)), "no longer listed");
        assertEquals(List.of(SMMU0, "arm-smmu", "arm-smmu", 1, 48, 48, 0x8000),
                List.of(r.node(), r.driver(), r.schema(), r.version(), r.ias(), r.oas(), r.streams()));

        int entry = rig.cfg(DMA).smendx[0];
        SmmuDomain dma = (SmmuDomain) ((DomainImpl) rig.engine.domainOf(DMA)).ops();
        assertEquals(List.of(0x7fffL), r.property("streamid-mask"));
        assertEquals(List.of(0x7fffL), r.property("smr-mask-mask"));
        assertEquals(32, r.property("smr.id").size());
        assertEquals(0x10L, r.property("smr.id").get(entry));
        assertEquals(0L, r.property("smr.mask").get(entry));
        assertEquals(1L, r.property("smr.valid").get(entry));
        assertEquals(0L, r.property("s2cr.type").get(entry), "TRANS");
        assertEquals((long) dma.cbndx(), r.property("s2cr.cbndx").get(entry));
        assertEquals(2L, r.property("s2cr.count").get(entry), "dma and joiner");

        Map<Integer, PreservedDomain> byId = new TreeMap<>();
        r.domains().forEach(d -> byId.put(d.domain(), d));
        PreservedDomain pd = byId.get(rig.engine.domainOf(DMA).id());
        assertEquals(DomainType.DMA, pd.type());
        assertEquals(dma.tableState(), pd.table());
        assertEquals(1, pd.formatVersion());
        assertArrayEquals(new int[] {0x10, 0x50}, pd.streams());
        assertEquals(List.of((long) dma.cbndx()), pd.property("cbndx"));
        assertEquals(List.of((long) dma.cbndx()), pd.property("asid"));
        assertEquals(List.of((long) entry, (long) rig.cfg(JOINER).smendx[1]), pd.property("smendx"));

        PreservedDomain gpuDefault = byId.get(rig.engine.defaultDomainOf(GPU).id());
        assertArrayEquals(new int[0], gpuDefault.streams(), "attached to no stream, still on its bank");
        assertEquals(1, gpuDefault.property("cbndx").size());
        assertNotNull(gpuDefault.table());
        PreservedDomain unmanaged = byId.get(w.unmanaged.id());
        assertEquals(DomainType.UNMANAGED, unmanaged.type());
        assertArrayEquals(new int[] {0x20, 0x21}, unmanaged.streams());
        PreservedDomain blocked = byId.get(rig.engine.domainOf(NIC0).id());
        assertEquals(DomainType.BLOCKED, blocked.type());
        assertNull(blocked.table());
        assertEquals(0, blocked.formatVersion());
        assertArrayEquals(new int[] {0x100, 0x101}, blocked.streams());
        assertEquals(List.of(), blocked.property("cbndx"));
        PreservedDomain idle = byId.get(w.idle.id());
        assertEquals(DomainType.UNMANAGED, idle.type());
        assertNull(idle.table(), "never attached: no table, no bank");
        assertEquals(List.of(), idle.property("cbndx"));
        assertEquals(7, r.domains().size(), r.domains().toString());
    }
}
