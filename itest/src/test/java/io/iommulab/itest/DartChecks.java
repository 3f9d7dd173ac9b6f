package io.iommulab.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.StreamRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every DART board must pass, whatever SoC it describes: derived from the board's own device
 * tree (which nodes are DARTs, which masters use which streams), never from a list of paths.
 */
final class DartChecks {

    /** Driver name the DART bundle registers its variants under. */
    static final String DRIVER = "apple-dart";
    /** An IOVA the DMA API does not hand out early (it allocates top-down from the aperture's end). */
    static final long UNMAPPED_IOVA = 0x10_0000L;
    /** the DMA API's granule with 16 KiB CPU pages: each buffer mapped is one, so nothing beside it is mapped */
    static final int PAGE = 16384;
    /** allocPages order of a {@link #PAGE} (4 KiB pages) */
    static final int PAGE_ORDER = 2;

    private DartChecks() {
    }

    /** @return the IOMMU nodes of the board whose compatible names a DART */
    static List<IommuNodeDTO> darts(IommuService iommu) {
        List<IommuNodeDTO> out = new ArrayList<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            if (n.compatible().stream().anyMatch(c -> c.startsWith("apple,") && c.endsWith("-dart"))) {
                out.add(n);
            }
        }
        return out;
    }

    /** @return true once every enabled DART is probed and every master behind one is probed */
    static boolean allProbed(IommuService iommu, Machine m) {
        for (IommuNodeDTO n : darts(iommu)) {
            if (!"disabled".equals(n.state()) && !"probed".equals(n.state())) {
                return false;
            }
        }
        for (DmaMaster master : m.masters()) {
            DeviceDTO d = device(iommu, master.name());
            if (behindEnabledDart(iommu, master) && !"probed".equals(d.state())) {
                return false;
            }
        }
        return true;
    }

    static String describe(IommuService iommu) {
        return "IOMMUs: " + iommu.iommus() + "; devices: " + iommu.devices();
    }

    private static boolean behindEnabledDart(IommuService iommu, DmaMaster master) {
        Map<String, IommuNodeDTO> byPath = new HashMap<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            byPath.put(n.node(), n);
        }
        for (StreamRef s : master.streams()) {
            IommuNodeDTO n = byPath.get(s.iommu());
            if (n == null || "disabled".equals(n.state())) {
                return false;
            }
        }
        return true;
    }

    static DeviceDTO device(IommuService iommu, String name) {
        for (DeviceDTO d : iommu.devices()) {
            if (d.node().equals(name)) {
                return d;
            }
        }
        throw new AssertionError("no device " + name + " in " + iommu.devices());
    }

    /**
     * Every enabled DART is bound to the DART driver; masters on several DARTs (dwc3) have one group
     * and one domain; masters sharing a (DART, stream) (PCI functions behind one iommu-map entry)
     * share a group.
     */
    static void checkTopology(IommuService iommu, Machine m) {
        for (IommuNodeDTO n : darts(iommu)) {
            if (!"disabled".equals(n.state())) {
                assertEquals(n.node() + " " + n, "probed", n.state());
                assertEquals(n.node() + " " + n, DRIVER, n.driver());
            }
        }
        Map<String, Integer> groupOfStream = new HashMap<>();
        for (DmaMaster master : m.masters()) {
            if (!behindEnabledDart(iommu, master)) {
                continue;
            }
            DeviceDTO d = device(iommu, master.name());
            assertEquals(master.name() + " " + d, "probed", d.state());
            assertNotNull(master.name() + " has a group", d.group());
            assertNotNull(master.name() + " has a domain", d.domain());
            for (StreamRef s : master.streams()) {
                Integer other = groupOfStream.putIfAbsent(s.iommu() + "#" + s.sid(), d.group());
                if (other != null) {
                    assertEquals("masters sharing " + s.iommu() + " stream " + s.sid() + " share a group",
                            other, d.group());
                }
            }
        }
    }

    /**
     * For every master behind enabled DARTs, on every one of its streams: DMA to an IOVA nobody
     * mapped faults in the DART (and the fault reaches the core); after a DMA-API map, a write lands
     * in the buffer and a read gives it back; after the unmap, DMA faults again.
     *
     * @return the number of (master, stream) pairs checked
     */
    static int checkDmaThroughEveryMaster(IommuService iommu, DmaApi dma, Machine m) throws InterruptedException {
        List<DmaMaster> behindDarts = new ArrayList<>();
        for (DmaMaster master : m.masters()) {
            if (behindEnabledDart(iommu, master)) {
                behindDarts.add(master);
            }
        }
        return checkDma(iommu, dma, m, behindDarts);
    }

    /**
     * {@link #checkDmaThroughEveryMaster} on the given masters.
     *
     * @return the number of (master, stream) pairs checked
     */
    static int checkDma(IommuService iommu, DmaApi dma, Machine m, List<DmaMaster> masters) throws InterruptedException {
        int checked = 0;
        for (DmaMaster master : masters) {
            DmaDevice dev = dma.device(master.name());
            long buf = m.pages().allocPages(PAGE_ORDER, "itest-dma");
            try {
                for (int i = 0; i < master.streams().size(); i++) {
                    assertFaults(iommu, master, i, UNMAPPED_IOVA + (long) i * PAGE);
                }
                long iova = dev.mapPage(buf, PAGE, DmaDirection.BIDIRECTIONAL);
                for (int i = 0; i < master.streams().size(); i++) {
                    StreamRef s = master.streams().get(i);
                    byte[] data = ("DMA by " + master.name() + " on " + s.iommu() + " sid " + s.sid())
                            .getBytes(StandardCharsets.US_ASCII);
                    long off = 0x100L * i;
                    DmaResult w = master.write(i, iova + off, data);
                    assertTrue(master.name() + " stream " + i + " write: " + w, w.ok());
                    byte[] inRam = new byte[data.length];
                    m.memory().read(buf + off, inRam, 0, inRam.length);
                    assertArrayEquals(master.name() + " stream " + i + ": the data is in the buffer", data, inRam);
                    DmaResult r = master.read(i, iova + off, data.length);
                    assertTrue(master.name() + " stream " + i + " read: " + r, r.ok());
                    assertArrayEquals(data, r.data());
                    checked++;
                }
                dev.unmapPage(iova, PAGE, DmaDirection.BIDIRECTIONAL);
                dev.flush();
                for (int i = 0; i < master.streams().size(); i++) {
                    assertFaults(iommu, master, i, iova + 0x100L * i);
                }
            } finally {
                m.pages().freePages(buf);
            }
        }
        return checked;
    }

    /** DMA at {@code iova} on stream {@code i} of {@code master} faults and the core records it. */
    static void assertFaults(IommuService iommu, DmaMaster master, int i, long iova) throws InterruptedException {
        StreamRef s = master.streams().get(i);
        long before = lastFaultSeq(iommu);
        DmaResult bad = master.read(i, iova, 64);
        assertFalse(master.name() + " stream " + i + " at 0x" + Long.toHexString(iova) + " must fault: " + bad, bad.ok());
        assertEquals(s.iommu(), bad.iommu());
        Container.await(() -> "fault of " + master.name() + " at 0x" + Long.toHexString(iova) + " on " + s.iommu()
                + " to reach the core; faults: " + iommu.faults(),
                () -> iommu.faults().stream().anyMatch(f -> f.seq() > before && f.iova() == iova
                        && s.iommu().equals(f.iommu())));
    }

    static long lastFaultSeq(IommuService iommu) {
        List<FaultDTO> f = iommu.faults();
        return f.isEmpty() ? 0 : f.get(f.size() - 1).seq();
    }
}
