package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Live update of the {@code smmu} bundle in Felix: on the SMMU twin of the default board, with a
 * DMA-API page per master and a thread doing DMA through all of them, {@link Bundle#update} of the
 * driver bundle makes its new revision take over every SMMU (from the old revision's record): no
 * transaction faults, every group and domain keeps its id, and {@code smmu:smmus} names the
 * bundle revision that drives each SMMU.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SmmuLiveUpdateIT {

    private static final String SMMU_BSN = "io.iommulab.smmu";
    private static final byte[] DATA = "the new revision drives it".getBytes(StandardCharsets.US_ASCII);

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory machines;

    @Inject
    private CommandProcessor processor;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    /** One DMA-API page of a master. */
    private record Page(String master, long iova, long pa) {
    }

    private Machine bootSmmuTwin() throws Exception {
        byte[] board;
        try (InputStream in = Container.installed(context, "io.iommulab.machine").getEntry("/boards/default.dts").openStream()) {
            board = in.readAllBytes();
        }
        byte[] twin;
        try (var def = machines.bootDetached("default", board, Map.of())) {
            twin = machines.twin(def.deviceTree(), "arm-smmu-v2");
        }
        return machines.boot("default (arm-smmu-v2 twin)", twin);
    }

    private String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(System.in, ps, ps)) {
            Object r = s.execute(command);
            return (r == null ? "" : String.valueOf(r)) + out.toString(StandardCharsets.UTF_8);
        }
    }

    private static List<IommuNodeDTO> smmus(IommuService iommu) {
        return iommu.iommus().stream().filter(n -> "arm-smmu".equals(n.driver())).toList();
    }

    /** Every enabled SMMU probed by arm-smmu (a disabled node stays disabled). */
    private static boolean smmusProbed(IommuService iommu) {
        List<IommuNodeDTO> all = iommu.iommus();
        return all.stream().anyMatch(n -> "probed".equals(n.state()))
                && all.stream().allMatch(n -> "disabled".equals(n.state()) || "probed".equals(n.state()) && "arm-smmu".equals(n.driver()));
    }

    private static List<String> probedDevices(IommuService iommu) {
        return iommu.devices().stream().filter(d -> "probed".equals(d.state())).map(DeviceDTO::node).toList();
    }

    private static Map<String, String> groupsAndDomains(IommuService iommu) {
        Map<String, String> out = new TreeMap<>();
        for (DeviceDTO d : iommu.devices()) {
            out.put(d.node(), "group " + d.group() + " domain " + d.domain() + " " + d.domainType());
        }
        return out;
    }

    private static void dmaLands(Machine m, Page p) {
        DmaMaster master = m.master(p.master()).orElseThrow();
        m.memory().fill(p.pa(), DATA.length, (byte) 0);
        DmaResult w = master.write(0, p.iova(), DATA);
        if (!w.ok()) {
            throw new AssertionError(p + ": DMA write: " + w.fault());
        }
        byte[] got = new byte[DATA.length];
        m.memory().read(p.pa(), got, 0, got.length);
        if (!Arrays.equals(DATA, got)) {
            throw new AssertionError(p + ": the write landed elsewhere: " + Arrays.toString(got));
        }
        DmaResult r = master.read(0, p.iova(), DATA.length);
        if (!r.ok() || !Arrays.equals(DATA, r.data())) {
            throw new AssertionError(p + ": DMA read: " + (r.ok() ? Arrays.toString(r.data()) : r.fault()));
        }
    }

    @Test
    public void updatingTheSmmuBundleUnderDmaKeepsEveryDomainAndTheNewRevisionDrivesIt() throws Exception {
        Machine m = bootSmmuTwin();
        IommuService iommu = Container.service(context, IommuService.class);
        DmaApi dma = Container.service(context, DmaApi.class);
        Container.await(() -> "every SMMU to probe: " + iommu.iommus(), () -> smmusProbed(iommu));
        List<String> masters = probedDevices(iommu);
        assertTrue("masters behind the SMMUs: " + iommu.devices(), masters.size() >= 3);

        List<Page> pages = new ArrayList<>();
        long pa = m.ram().get(0).base() + 0x100_0000L;
        for (String d : masters) {
            long iova = dma.device(d).mapPage(pa, 0x4000, DmaDirection.BIDIRECTIONAL);
            pages.add(new Page(d, iova, pa));
            pa += 0x4000;
        }
        pages.forEach(p -> dmaLands(m, p));
        Map<String, String> before = groupsAndDomains(iommu);
        int updatesBefore = iommu.liveUpdates().size();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong rounds = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread load = new Thread(() -> {
            try {
                while (!stop.get()) {
                    pages.forEach(p -> dmaLands(m, p));
                    rounds.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "itest-smmu-dma-load");
        load.start();
        try {
            Container.await("DMA to flow before the update", () -> rounds.get() > 20 || failure.get() != null);
            Bundle smmu = Container.installed(context, SMMU_BSN);
            Container.update(context, smmu, Container.jar("smmu"));
            Container.await(() -> "the new revision to take over: " + iommu.liveUpdates(),
                    () -> iommu.liveUpdates().size() > updatesBefore && smmusProbed(iommu));
            long atUpdate = rounds.get();
            Container.await("DMA to flow through the new revision", () -> rounds.get() > atUpdate + 20 || failure.get() != null);
        } finally {
            stop.set(true);
            load.join(Container.TIMEOUT_MS);
        }
        assertNull("DMA during the update: " + failure.get(), failure.get());

        LiveUpdateDTO u = iommu.liveUpdates().get(iommu.liveUpdates().size() - 1);
        assertTrue("adopted: " + u, u.adopted());
        assertEquals("arm-smmu", u.driver());
        assertEquals("every SMMU from the old revision's record", smmus(iommu).size(), u.fromRecord());
        assertEquals(0, u.mismatches());
        assertTrue("every DMA-API page verified: " + u, u.verified() >= pages.size());
        assertEquals("no fault during the swap", 0, u.faultsDuringSwap());
        assertEquals(List.of(), iommu.faults());
        assertEquals("groups and domains keep their ids", before, groupsAndDomains(iommu));
        assertEquals(masters, probedDevices(iommu));
        pages.forEach(p -> dmaLands(m, p));

        Bundle smmu = Container.installed(context, SMMU_BSN);
        String revision = SMMU_BSN + " " + smmu.getVersion();
        for (IommuNodeDTO n : smmus(iommu)) {
            assertNotNull(n.node(), n.origin());
            assertTrue(n.node() + " driven by " + n.origin(), n.origin().startsWith(revision));
        }
        String listing = run("smmu:smmus");
        assertTrue(listing, listing.contains("driven by " + revision));
        assertTrue(listing, !listing.contains("a driver outside OSGi"));
    }
}
