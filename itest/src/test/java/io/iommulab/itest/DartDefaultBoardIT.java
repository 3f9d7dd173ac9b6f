package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.FaultHandler;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MmioWindow;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * The DART backend on the built-in default board (an M1 Mac mini-like tree with a Thunderbolt DART
 * added): every DART probes, DMA works through every master after a map and faults before it; a
 * fault is logged once per rate window and delivered to the domain's handler; dart-bundle is updated
 * under DMA load, and the new code takes the running DARTs over without a refused transfer; the
 * Thunderbolt variant's driver bundle comes and goes (its hardware stays), and its hardware bundle
 * unplugs and plugs the DART.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartDefaultBoardIT extends OnBootedBoard {

    private static final String DART_BSN = "io.iommulab.dart";
    private static final String USB4_BSN = "io.iommulab.dart.usb4";
    private static final String USB4_MODEL_BSN = "io.iommulab.dart.usb4.model";
    private static final String DWC3_0 = "/soc/usb@382280000";
    private static final String NHI = "/soc/thunderbolt@38a000000";
    private static final String ACIO_DART = "/soc/iommu@38b004000";
    /** slf4j-simple writes this container's log here, so that the rate limit can be counted. */
    private static final File LOG = new File("target/dart-default-board-it.log");

    public DartDefaultBoardIT() {
        super(LOG, false);
    }

    @Test
    public void everyMasterDmasAfterAMapAndFaultsBeforeIt() throws Exception {
        List<IommuNodeDTO> darts = DartChecks.darts(iommu);
        assertEquals("the default board's ten DART nodes: " + darts, 10, darts.size());
        DartChecks.checkTopology(iommu, m);
        assertEquals("dwc3 on two DARTs: one group, one domain", 2, m.master(DWC3_0).orElseThrow().streams().size());
        int pairs = DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);
        assertTrue("every (master, stream) pair checked: " + pairs, pairs >= 9);
        // the core shows the driver's bundle and, from the variant tracker, a variant's from another bundle
        String usb4 = node(ACIO_DART).origin();
        assertTrue(usb4, usb4.startsWith(DART_BSN + " ") && usb4.contains(" + " + USB4_BSN + " "));
        String sio = node("/soc/iommu@235004000").origin();
        assertTrue(sio, sio.startsWith(DART_BSN + " ") && !sio.contains(" + "));
    }

    @Test
    public void faultIsLoggedOncePerRateWindowAndDeliveredToTheDomainHandler() throws Exception {
        DmaMaster usb = m.master(DWC3_0).orElseThrow();
        IommuDomain domain = iommu.domainOf(DWC3_0);
        List<FaultDTO> seen = new CopyOnWriteArrayList<>();
        FaultHandler handler = (d, f) -> {
            seen.add(f);
            return true;
        };
        domain.setFaultHandler(handler);
        try {
            // dev_err_ratelimited: 10 messages per 5 s. Start in a fresh window.
            Thread.sleep(5_200);
            long first = 0x4000_0000L;
            int burst = 25;
            for (int k = 0; k < burst; k++) {
                DmaResult r = usb.read(0, first + k * 0x4000L, 16);
                assertFalse(r.ok());
            }
            Container.await(() -> "the handler to see " + burst + " faults, saw " + seen.size(), () -> seen.size() == burst);
            for (int k = 0; k < burst; k++) {
                FaultDTO f = seen.get(k);
                assertEquals(first + k * 0x4000L, f.iova());
                assertEquals(DWC3_0, f.device());
                assertEquals("read", f.access());
                assertEquals("no leaf table around 1 GiB: the top-level entry is empty", "NO PMD FOR IOVA", f.reason());
            }
            long recorded = iommu.faults().stream().filter(f -> f.handled() && f.iova() >= first
                    && f.iova() < first + burst * 0x4000L).count();
            assertEquals("every fault is in the core's history, marked handled", burst, recorded);
            Set<Long> logged = loggedFaultIovas(first, first + burst * 0x4000L);
            assertEquals("logged once per rate window: the first 10 of the burst, got " + logged, 10, logged.size());
            assertEquals(first + 9 * 0x4000L, (long) ((TreeSet<Long>) logged).last());
        } finally {
            domain.setFaultHandler(null);
        }
    }

    /** @return IOVAs in [from, to) of the "translation fault" lines in this container's log */
    private static Set<Long> loggedFaultIovas(long from, long to) throws IOException {
        Set<Long> out = new TreeSet<>();
        for (String line : Files.readAllLines(LOG.toPath(), StandardCharsets.UTF_8)) {
            int at = line.indexOf("translation fault:");
            int a = line.lastIndexOf(" at 0x");
            if (at >= 0 && a > at) {
                long iova = Long.parseUnsignedLong(line.substring(a + 6).trim(), 16);
                if (iova >= from && iova < to) {
                    out.add(iova);
                }
            }
        }
        return out;
    }

    @Test
    public void updateOfDartBundleUnderDmaLoadReprobesWithoutLeaks() throws Exception {
        Bundle dart = Container.installed(context, DART_BSN);
        dart.stop();
        Container.await(() -> "masters to defer without the driver; " + DartChecks.describe(iommu),
                () -> DartChecks.darts(iommu).stream().allMatch(n -> !"probed".equals(n.state())));
        assertHardwareReset();
        long pagesWithoutDriver = m.pages().pagesInUse();
        Set<String> threadsWithoutDriver = iommuThreads();
        dart.start();
        Container.await(() -> "every DART to probe again; " + DartChecks.describe(iommu), () -> DartChecks.allProbed(iommu, m));
        int drivers = Container.services(context, IommuDriver.class);

        List<String> masters = List.of(DWC3_0, "/soc/dma-controller@238200000", NHI);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        List<Thread> load = new ArrayList<>();
        for (String name : masters) {
            Thread t = new Thread(() -> dmaLoop(name, stop, ok, refused, unexpected), "itest-dma-load " + name);
            t.start();
            load.add(t);
        }
        Container.await("DMA to flow before the update", () -> ok.get() > 50);
        Container.update(context, dart, Container.jar("dart"));
        Container.await(() -> "every DART to probe with the new code; " + DartChecks.describe(iommu),
                () -> DartChecks.allProbed(iommu, m));
        long okAtReprobe = ok.get();
        Container.await("DMA to flow through the new code", () -> ok.get() > okAtReprobe + 50);
        stop.set(true);
        for (Thread t : load) {
            t.join(Container.TIMEOUT_MS);
            assertFalse(t.getName() + " stopped", t.isAlive());
        }
        assertEquals("only IommuExceptions while the driver was away: " + unexpected, List.of(), unexpected);
        assertEquals("a live update refuses no transfer and fails no map", 0, refused.get());
        List<LiveUpdateDTO> updates = iommu.liveUpdates();
        assertFalse("the new code took over: " + updates, updates.isEmpty());
        for (LiveUpdateDTO u : updates) {
            assertTrue(u.toString(), u.adopted());
            assertEquals(u.toString(), 0, u.mismatches());
            assertEquals(u.toString(), 0, u.faultsDuringSwap());
        }
        assertEquals("one driver service per variant again", drivers, Container.services(context, IommuDriver.class));
        DartChecks.checkDmaThroughEveryMaster(iommu, dma, m);

        dart.stop();
        Container.await(() -> "masters to defer; " + DartChecks.describe(iommu),
                () -> DartChecks.darts(iommu).stream().allMatch(n -> !"probed".equals(n.state())));
        assertHardwareReset();
        assertEquals("every table page given back (by owner: " + m.pages().pagesByOwner() + ")", pagesWithoutDriver,
                m.pages().pagesInUse());
        assertEquals("no thread left behind", threadsWithoutDriver, iommuThreads());
        dart.start();
    }

    private void dmaLoop(String name, AtomicBoolean stop, AtomicLong ok, AtomicLong refused, List<Throwable> unexpected) {
        DmaMaster master = m.master(name).orElseThrow();
        long buf = m.pages().allocPages(DartChecks.PAGE_ORDER, "itest-load");
        byte[] data = name.getBytes(StandardCharsets.US_ASCII);
        try {
            while (!stop.get()) {
                try {
                    DmaDevice dev = dma.device(name);
                    long iova = dev.mapPage(buf, DartChecks.PAGE, DmaDirection.BIDIRECTIONAL);
                    DmaResult w = master.write(0, iova, data);
                    dev.unmapPage(iova, DartChecks.PAGE, DmaDirection.BIDIRECTIONAL);
                    if (w.ok()) {
                        ok.incrementAndGet();
                    } else {
                        refused.incrementAndGet();
                    }
                } catch (IommuException e) {
                    refused.incrementAndGet(); // the driver is away: ENODEV and friends are the contract
                }
            }
        } catch (RuntimeException | Error e) {
            unexpected.add(e);
        } finally {
            m.pages().freePages(buf);
        }
    }

    /** Every stream of every DART is blocked with no table: the state remove's hw reset leaves. */
    private void assertHardwareReset() {
        for (IommuNodeDTO n : DartChecks.darts(iommu)) {
            if ("disabled".equals(n.state())) {
                continue;
            }
            // the driver is gone and so is its hold on the DART's power: hold it while looking
            DtNode node = m.deviceTree().node(n.node()).orElseThrow();
            m.pmDomainAttach(node);
            try {
                assertStreamsReset(n, m.ioremap(node, 0));
            } finally {
                m.pmDomainDetach(node);
            }
        }
    }

    private static void assertStreamsReset(IommuNodeDTO n, MmioWindow w) {
        boolean usb4 = n.compatible().contains("apple,t8103-usb4-dart");
        int streams = usb4 ? 64 : 16;
        int ttbrBase = usb4 ? 0x400 : 0x200;
        for (int sid = 0; sid < streams; sid++) {
            assertEquals(n.node() + " TCR[" + sid + "]", 0, w.readl(0x100 + 4L * sid));
            for (int i = 0; i < 4; i++) {
                assertEquals(n.node() + " TTBR[" + sid + "][" + i + "]", 0, w.readl(ttbrBase + 16L * sid + 4L * i));
            }
        }
    }

    private static Set<String> iommuThreads() {
        Set<String> out = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName().toLowerCase(Locale.ROOT);
            if (t.isAlive() && (n.contains("iommu") || n.contains("dart") || n.contains("flush"))) {
                out.add(t.getName());
            }
        }
        return out;
    }

    @Test
    public void thunderboltVariantBundleComesAndGoes() throws Exception {
        Bundle usb4 = Container.installed(context, USB4_BSN);
        DmaMaster nhi = m.master(NHI).orElseThrow();
        assertEquals("the NHI's second stream is SID 40, beyond the first STREAM_SELECT word", 40, nhi.streams().get(1).sid());
        usb4.uninstall();
        Container.await(() -> "the Thunderbolt DART and its master to wait for a driver; " + DartChecks.describe(iommu),
                () -> "deferred".equals(node(ACIO_DART).state()) && "deferred".equals(DartChecks.device(iommu, NHI).state()));
        assertTrue(node(ACIO_DART).reason(), node(ACIO_DART).reason().contains("apple,t8103-usb4-dart"));
        assertEquals("the other DARTs are untouched", "probed", DartChecks.device(iommu, DWC3_0).state());
        // the driver half went, the hardware half stays: the DART is still modelled, its registers mapped
        assertEquals("the Thunderbolt DART's hardware stays plugged in", "apple-dart", hardwareModel(ACIO_DART));
        assertEquals("PARAMS2 still reads: no bypass", 0, m.ioremap(m.deviceTree().node(ACIO_DART).orElseThrow(), 0).readl(0x04));

        Bundle again = context.installBundle(Container.jar("dart-usb4").toURI().toString());
        again.start();
        Container.await(() -> "the Thunderbolt DART to probe again; " + DartChecks.describe(iommu),
                () -> DartChecks.allProbed(iommu, m));
        // All 64 streams are invalidated: map, DMA on SID 40 (fills its IOTLB), unmap: DMA must fault.
        DmaDevice dev = dma.device(NHI);
        long buf = m.pages().allocPages(DartChecks.PAGE_ORDER, "itest-nhi");
        long iova = dev.mapPage(buf, DartChecks.PAGE, DmaDirection.BIDIRECTIONAL);
        assertTrue(nhi.read(1, iova, 8).ok());
        dev.unmapPage(iova, DartChecks.PAGE, DmaDirection.BIDIRECTIONAL);
        dev.flush();
        assertFalse("SID 40's IOTLB entry was invalidated", nhi.read(1, iova, 8).ok());
        m.pages().freePages(buf);
    }

    /**
     * The other half of a variant: its hardware bundle. Stopping it unplugs the Thunderbolt DART (the
     * machine unmaps it, the core releases its master and removes it); starting it plugs the DART in
     * again and it probes with the driver half that stayed.
     */
    @Test
    public void thunderboltHardwareBundleUnplugsAndPlugsTheDart() throws Exception {
        Bundle model = Container.installed(context, USB4_MODEL_BSN);
        model.stop();
        Container.await(() -> "the Thunderbolt DART to be unplugged; " + DartChecks.describe(iommu),
                () -> hardwareModel(ACIO_DART) == null && "deferred".equals(DartChecks.device(iommu, NHI).state()));
        assertTrue(node(ACIO_DART).reason(), node(ACIO_DART).reason().contains("no hardware model"));
        assertEquals("the other DARTs are untouched", "probed", DartChecks.device(iommu, DWC3_0).state());
        model.start();
        Container.await(() -> "the Thunderbolt DART to be plugged in and probe again; " + DartChecks.describe(iommu),
                () -> "apple-dart".equals(hardwareModel(ACIO_DART)) && DartChecks.allProbed(iommu, m));
        assertEquals("probed", DartChecks.device(iommu, NHI).state());
    }

    /** @return the name of the model the machine runs for an IOMMU node, or null */
    private String hardwareModel(String path) {
        return m.iommuHardware().stream().filter(h -> h.node().path().equals(path)).findFirst().orElseThrow().model();
    }

    private IommuNodeDTO node(String path) {
        return iommu.iommus().stream().filter(n -> n.node().equals(path)).findFirst().orElseThrow();
    }
}
