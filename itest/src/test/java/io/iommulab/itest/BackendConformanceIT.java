package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.machine.RamRegion;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The backend-level conformance suite: the IOMMU API contract (attach, map, iova_to_phys, DMA,
 * fault, detach, every domain type) held against every installed backend, each on its twin of
 * the default board, in a lab. Where backends legitimately differ the suite asserts the documented
 * difference ({@link Traits}); nothing is skipped, and a backend without documented traits fails.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BackendConformanceIT {

    /** admac: one stream on one IOMMU on every twin of the default board. */
    private static final String DEVICE = "/soc/dma-controller@238200000";
    private static final long IOVA = 0x0400_0000L;

    /**
     * What a backend documents about itself (dart-facts §4.1, the README of each driver).
     *
     * @param blocks          page sizes beyond the granule (LPAE blocks); DART maps pages only
     * @param streamWideFlush an unmap invalidates the whole stream (DART) rather than by VA (SMMU)
     * @param domainLimit     attaching more domains than the hardware has contexts fails with ENOSPC
     *                        (SMMU context banks); DART has no such pool
     * @param faultDirection  the fault registers say read or write (SMMU FSYNR0.WNR); a DART's ERROR
     *                        register does not for a missing entry (dart-facts §1.7), so its faults
     *                        are reported as reads
     */
    record Traits(boolean blocks, boolean streamWideFlush, boolean domainLimit, boolean faultDirection) {
    }

    /**
     * One row per backend, keyed by its model factory's name. The test IOMMU (test-iommu-model/README.md):
     * 2 MiB blocks, CMD invalidates whole streams, no context pool, ERROR latches no direction.
     */
    private static final Map<String, Traits> DOCUMENTED = Map.of(
            "apple-dart", new Traits(false, true, false, false),
            "arm-smmu-v2", new Traits(true, false, true, true),
            "test-iommu", new Traits(true, true, false, false));

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private MachineFactory machines;

    @Inject
    private LabFactory labs;

    @Configuration
    public Option[] config() {
        return Container.options(true);
    }

    @Inject
    private org.osgi.framework.BundleContext context;

    /** The backend's twin of the default board, booted with counting MMIO, in a lab of its own. */
    private Lab open(String backend) throws Exception {
        byte[] twin;
        try (var def = machines.bootDetached("default", defaultBoard(), Map.of())) {
            twin = machines.twin(def.deviceTree(), backend);
        }
        return sanitizer.labs(labs).open(machines.bootDetached("default (" + backend + " twin)", twin,
                Map.of(MachineFactory.MMIO_COUNT_PROPERTY, "true")), Map.of());
    }

    /** The built-in default board, read from the machine bundle. */
    private byte[] defaultBoard() throws Exception {
        java.net.URL url = Container.installed(context, "io.iommulab.machine").getEntry("/boards/default.dts");
        assertNotNull("the machine bundle ships boards/default.dts", url);
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        }
    }

    private List<String> backends() {
        List<String> b = machines.twinModels();
        assertTrue("every backend installed: " + b, b.containsAll(DOCUMENTED.keySet()));
        return b;
    }

    private static Traits traits(String backend) {
        Traits t = DOCUMENTED.get(backend);
        if (t == null) {
            fail("backend " + backend + " has no documented traits in this suite: add them to DOCUMENTED");
        }
        return t;
    }

    private static long buffer(Lab lab) {
        RamRegion r = lab.machine().ram().get(0);
        return r.base() + 0x100_0000L;
    }

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 13 + seed);
        }
        return b;
    }

    @Test
    public void everyMasterProbesWithADefaultDomainOnEveryBackend() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                List<DeviceDTO> devices = lab.iommu().devices();
                assertFalse(backend + ": masters", devices.isEmpty());
                for (DeviceDTO d : devices) {
                    assertEquals(backend + ": " + d.node() + " " + d.reason(), "probed", d.state());
                    assertNotNull(backend + ": " + d.node() + " has a domain", d.domain());
                    assertTrue(backend + ": default domain of " + d.node(), d.domainType().startsWith("DMA"));
                }
            }
        }
    }

    @Test
    public void attachMapTranslateDmaUnmapDetach() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuService core = lab.iommu();
                IommuDomain dom = core.domainAlloc(DEVICE, DomainType.UNMANAGED);
                core.attachGroup(dom, DEVICE);
                assertEquals(backend, dom.id(), core.domainOf(DEVICE).id());
                long granule = Long.lowestOneBit(dom.pgsizeBitmap());
                long pa = buffer(lab);
                byte[] data = pattern((int) granule, 3);
                lab.machine().memory().write(pa, data, 0, data.length);
                dom.map(IOVA, pa, granule, Prot.READ | Prot.WRITE);
                assertEquals(backend + ": iova_to_phys", pa + 0x10, dom.iovaToPhys(IOVA + 0x10));
                DmaMaster m = lab.machine().master(DEVICE).orElseThrow();
                DmaResult r = m.read(0, IOVA, (int) granule);
                assertTrue(backend + ": DMA read " + r.fault(), r.ok());
                assertTrue(backend + ": DMA data", java.util.Arrays.equals(data, r.data()));
                DmaResult w = m.write(0, IOVA + 8, new byte[] {1, 2, 3, 4});
                assertTrue(backend + ": DMA write " + w.fault(), w.ok());
                assertEquals(backend, 3, lab.machine().memory().read8(pa + 10));
                assertEquals(backend + ": unmap", granule, dom.unmap(IOVA, granule));
                assertEquals(backend + ": iova_to_phys after unmap", 0, dom.iovaToPhys(IOVA));
                assertFalse(backend + ": DMA after unmap must fault (no stale IOTLB entry)", m.read(0, IOVA, 8).ok());
                core.detachGroup(dom, DEVICE);
                assertNotEquals(backend + ": back on the default domain", dom.id(), core.domainOf(DEVICE).id());
                dom.free();
            }
        }
    }

    @Test
    public void aFaultReachesTheDomainHandlerDecoded() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuService core = lab.iommu();
                IommuDomain dom = core.domainAlloc(DEVICE, DomainType.UNMANAGED);
                List<FaultDTO> seen = new ArrayList<>();
                dom.setFaultHandler((d, f) -> seen.add(f));
                core.attachGroup(dom, DEVICE);
                DmaMaster m = lab.machine().master(DEVICE).orElseThrow();
                DmaResult r = m.write(0, IOVA + 0x40, new byte[8]);
                assertFalse(backend + ": nothing mapped", r.ok());
                assertEquals(backend + ": one report", 1, seen.size());
                FaultDTO f = seen.get(0);
                assertEquals(backend, IOVA + 0x40, f.iova());
                assertEquals(backend + ": direction of a write fault", traits(backend).faultDirection() ? "write" : "read", f.access());
                assertEquals(backend, DEVICE, f.device());
                assertTrue(backend + ": decoded text: " + f.reason(), f.reason() != null && !f.reason().isBlank());
                // The handler took it: the hardware is ready for the next one.
                m.write(0, IOVA + 0x80, new byte[8]);
                assertEquals(backend + ": the next fault is reported too", 2, seen.size());
                core.detachGroup(dom, DEVICE);
                dom.free();
            }
        }
    }

    @Test
    public void identityAndBlockedDomains() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuService core = lab.iommu();
                long pa = buffer(lab);
                byte[] data = pattern(64, 9);
                lab.machine().memory().write(pa, data, 0, data.length);
                DmaMaster m = lab.machine().master(DEVICE).orElseThrow();

                IommuDomain identity = core.domainAlloc(DEVICE, DomainType.IDENTITY);
                core.attachGroup(identity, DEVICE);
                DmaResult r = m.read(0, pa, 64);
                assertTrue(backend + ": identity: DMA address = physical address " + r.fault(), r.ok());
                assertTrue(backend, java.util.Arrays.equals(data, r.data()));
                core.detachGroup(identity, DEVICE);

                IommuDomain blocked = core.domainAlloc(DEVICE, DomainType.BLOCKED);
                core.attachGroup(blocked, DEVICE);
                assertFalse(backend + ": blocked: no DMA gets through", m.read(0, pa, 64).ok());
                core.detachGroup(blocked, DEVICE);

                assertTrue(backend + ": DMA domain again", core.domainOf(DEVICE).type().isDma());
            }
        }
    }

    @Test
    public void blocksWhereTheFormatHasThem() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuDomain dom = lab.iommu().domainAlloc(DEVICE, DomainType.UNMANAGED);
                long bitmap = dom.pgsizeBitmap();
                long granule = Long.lowestOneBit(bitmap);
                boolean hasBlocks = (bitmap & ~granule) != 0;
                assertEquals(backend + ": block sizes in 0x" + Long.toHexString(bitmap), traits(backend).blocks(), hasBlocks);
                if (hasBlocks) {
                    // One entry maps a whole block: a second block next to it needs no table page at all.
                    long block = Long.lowestOneBit(bitmap & ~granule);
                    lab.iommu().attachGroup(dom, DEVICE);
                    long pa = (buffer(lab) + block - 1) & -block;
                    dom.map(block, pa, block, Prot.READ);
                    long tables = lab.machine().pages().pagesInUse();
                    dom.map(2 * block, pa, block, Prot.READ);
                    assertEquals(backend + ": a block needs no leaf table", tables, lab.machine().pages().pagesInUse());
                    assertEquals(backend, pa + block - 0x40, dom.iovaToPhys(3 * block - 0x40));
                    assertTrue(backend + ": DMA through the block", lab.machine().master(DEVICE).orElseThrow().read(0, 2 * block + 0x1230, 16).ok());
                    assertEquals(backend, block, dom.unmap(block, block));
                    assertEquals(backend, block, dom.unmap(2 * block, block));
                    lab.iommu().detachGroup(dom, DEVICE);
                }
                dom.free();
            }
        }
    }

    @Test
    public void unmapInvalidatesTheStreamOrTheVa() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuService core = lab.iommu();
                IommuDomain dom = core.domainAlloc(DEVICE, DomainType.UNMANAGED);
                core.attachGroup(dom, DEVICE);
                long g = Long.lowestOneBit(dom.pgsizeBitmap());
                long pa = buffer(lab);
                dom.map(IOVA, pa, g, Prot.READ);
                dom.map(IOVA + 4 * g, pa + g, g, Prot.READ);
                DmaMaster m = lab.machine().master(DEVICE).orElseThrow();
                String iommu = m.streams().get(0).iommu();
                assertTrue(m.read(0, IOVA, 8).ok());
                assertTrue(m.read(0, IOVA + 4 * g, 8).ok());
                long walks = lab.machine().hardwareCounters(iommu).get("walks");
                assertTrue(m.read(0, IOVA + 4 * g, 8).ok());
                assertEquals(backend + ": cached", walks, (long) lab.machine().hardwareCounters(iommu).get("walks"));
                dom.unmap(IOVA, g);
                assertTrue(m.read(0, IOVA + 4 * g, 8).ok());
                long after = lab.machine().hardwareCounters(iommu).get("walks");
                assertEquals(backend + ": the other page's translation " + (traits(backend).streamWideFlush()
                        ? "went with the stream-wide invalidation" : "survived the invalidation by VA"),
                        traits(backend).streamWideFlush(), after > walks);
                core.detachGroup(dom, DEVICE);
                dom.free();
            }
        }
    }

    @Test
    public void domainsBeyondTheHardwareContextsFailWithEnospcAndChangeNothing() throws Exception {
        for (String backend : backends()) {
            try (Lab lab = open(backend)) {
                IommuService core = lab.iommu();
                int defaultDomain = core.domainOf(DEVICE).id();
                List<IommuDomain> kept = new ArrayList<>();
                AtomicInteger attached = new AtomicInteger();
                IommuException refused = null;
                for (int i = 0; i < 200 && refused == null; i++) {
                    IommuDomain d = core.domainAlloc(DEVICE, DomainType.UNMANAGED);
                    kept.add(d);
                    try {
                        core.attachGroup(d, DEVICE);
                        attached.incrementAndGet();
                        core.detachGroup(d, DEVICE);
                    } catch (IommuException e) {
                        refused = e;
                    }
                }
                if (traits(backend).domainLimit()) {
                    assertNotNull(backend + ": context banks run out", refused);
                    assertEquals(backend + ": " + refused.getMessage(), Errno.ENOSPC, refused.errno());
                    assertTrue(backend + ": some domains attached first", attached.get() > 0);
                } else {
                    assertEquals(backend + ": no context pool: " + refused, null, refused);
                }
                assertEquals(backend + ": still on its default domain", defaultDomain, core.domainOf(DEVICE).id());
                DmaMaster m = lab.machine().master(DEVICE).orElseThrow();
                var dev = lab.dma().device(DEVICE);
                long pa = buffer(lab);
                long dma = dev.mapPage(pa, 4096, io.iommulab.api.dma.DmaDirection.TO_DEVICE);
                assertTrue(backend + ": DMA API still works", m.read(0, dma, 8).ok());
                dev.unmapPage(dma, 4096, io.iommulab.api.dma.DmaDirection.TO_DEVICE);
                kept.forEach(IommuDomain::free);
            }
        }
    }
}
