package io.iommulab.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.testkit.StrictJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DMA API at the prompt and its views, run through the launcher as users do: the JSON document of
 * every data command ({@code dma:}, {@code iommu:resv}, {@code iommu:fault-handler}, {@code machine:iotlb},
 * {@code machine:ram}) on the default board, and what a refused call prints.
 */
class DmaShellIT {

    static final String USB = "/soc/usb@382280000";
    static final String DART = "/soc/iommu@382f00000";
    static final long TOP = 0xffff_c000L; // the DART's 32-bit aperture's last 16K granule: the first IOVA handed out

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String line) {
        return (Map<String, Object>) StrictJson.parse(line);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> array(Object o) {
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    private static long number(Object o) {
        return StrictJson.longValue(o);
    }

    @Test
    void everyDataCommandPrintsItsDocument() throws Exception {
        String[] commands = {
            "dma:map usb@382280000 0x800000000 16K bidirectional",
            "iommu:dma usb@382280000 read 0xffffc000 16",
            "machine:iotlb iommu@382f00000",
            "dma:map-sg usb@382280000 to-device 0x800010000:16K 0x800014000:0x1000",
            "dma:alloc usb@382280000 0x5000",
            "dma:mappings usb@382280000",
            "dma:iova usb@382280000",
            "iommu:resv wifi0",
            "iommu:fault-handler usb@382280000 count",
            "iommu:dma usb@382280000 read 0x100000 16",
            "iommu:fault-handler usb@382280000",
            "machine:ram",
            "dma:unmap usb@382280000 0xffffc000 16K bidirectional",
            "dma:unmap-sg usb@382280000 0xffff0000 to-device",
            "dma:free usb@382280000 0xfffe8000",
            "dma:mappings"};
        Launch.Run r = Launch.run(dir, "--json", "-c", String.join("; ", commands));
        assertEquals(0, r.exit(), r.errText());
        List<String> out = r.out();
        assertEquals(commands.length, out.size(), r.outText());

        Map<String, Object> map = object(out.get(0));
        assertEquals(USB, map.get("device"));
        assertEquals("single", map.get("type"));
        assertEquals("bidirectional", map.get("direction"));
        assertEquals(TOP, number(map.get("dmaAddress")));
        assertEquals(0x4000, number(map.get("iovaSize")));
        assertEquals(0x8_0000_0000L, number(object(array(map.get("entries")).get(0)).get("address")));

        Map<String, Object> iotlb = object(out.get(2));
        assertEquals(DART, iotlb.get("iommu"));
        assertEquals("apple-dart", iotlb.get("model"));
        Map<String, Object> entry = object(array(iotlb.get("entries")).get(0));
        assertEquals(0, number(entry.get("sid")));
        assertEquals(null, entry.get("asid"));
        assertEquals(TOP, number(entry.get("iova")));
        assertEquals(0x8_0000_0000L, number(entry.get("paddr")));
        assertEquals(0x4000, number(entry.get("size")));
        assertEquals("rw", entry.get("prot"));
        assertEquals(List.of(USB), entry.get("masters"));

        Map<String, Object> sg = object(out.get(3));
        assertEquals("scatter-gather", sg.get("type"));
        assertEquals(2, array(sg.get("entries")).size());
        List<Object> segments = array(sg.get("segments"));
        assertEquals(1, segments.size(), "granule-aligned pieces merge into one segment: " + segments);
        assertEquals(0x5000, number(object(segments.get(0)).get("length")));

        Map<String, Object> coherent = object(out.get(4));
        assertEquals("coherent", coherent.get("type"));
        assertEquals(0x5000, number(coherent.get("size")));
        assertEquals(3, array(StrictJson.parse(out.get(5))).size(), "single, scatter-gather and coherent");

        Map<String, Object> iova = object(out.get(6));
        assertEquals("DMA", iova.get("domainType"));
        assertEquals(0x4000, number(iova.get("granule")));
        long covered = 0;
        for (Object o : array(iova.get("ranges"))) {
            covered += number(object(o).get("size"));
        }
        assertEquals(number(iova.get("end")) - number(iova.get("start")) + 1, covered, "the ranges cover the whole space");
        assertEquals(6, array(iova.get("rcaches")).size());

        Map<String, Object> resv = object(out.get(7));
        assertEquals("/soc/pcie@690000000/pci@0,0/wifi@0,0", resv.get("device"));
        Map<String, Object> msi = object(array(resv.get("regions")).get(0));
        assertEquals(0xffff_c000L, number(msi.get("start")));
        assertEquals(0xffff_ffffL, number(msi.get("end")));
        assertEquals("msi", msi.get("type"));
        assertEquals("IOMMU_RESV_MSI", msi.get("resvType"));

        assertEquals("count", object(out.get(8)).get("handler"));
        assertEquals(Boolean.FALSE, object(out.get(9)).get("ok"));
        Map<String, Object> handler = object(out.get(10));
        assertEquals(1, number(handler.get("handled")), "the fault was handled");

        Map<String, Object> ram = object(out.get(11));
        assertEquals(4096, number(ram.get("pageSize")));
        Map<String, Object> coherentOwner = array(ram.get("owners")).stream().map(DmaShellIT::object)
                .filter(o -> o.get("owner").equals("dma_alloc_coherent:" + USB)).findFirst().orElseThrow();
        assertEquals(8, number(coherentOwner.get("pages")), "0x5000 rounded to 16K pages: an order-3 block");
        assertFalse(array(ram.get("iommuPages")).isEmpty());
        for (Object o : array(ram.get("iommuPages"))) {
            assertTrue(object(o).get("domain") != null, "every DART table page has its domain: " + o);
        }

        assertEquals(0xffff_0000L, number(sg.get("dmaAddress")), "top-down, size-aligned below the first mapping");
        assertEquals(0xfffe_8000L, number(coherent.get("dmaAddress")));
        assertEquals(List.of("coherent", "scatter-gather"), array(StrictJson.parse(out.get(12))).stream()
                .map(o -> object(o).get("type")).toList(), "what stays mapped after dma:unmap, by DMA address");
        assertEquals(List.of("coherent"), array(StrictJson.parse(out.get(13))).stream().map(o -> object(o).get("type")).toList());
        assertEquals(List.of(), StrictJson.parse(out.get(14)), "dma:free: nothing stays");
        assertEquals(List.of(), StrictJson.parse(out.get(15)));
    }

    @Test
    void aRefusedUnmapNamesTheMismatchAndStopsTheRun() throws Exception {
        Launch.Run r = Launch.run(dir, "--quiet", "-c", "dma:map usb@382280000 0x800000000 16K to-device; "
                + "dma:unmap usb@382280000 0xffffc000 4K to-device; dma:mappings");
        assertEquals(1, r.exit(), r.errText());
        assertTrue(r.err().contains("iommulab: command 'dma:unmap usb@382280000 0xffffc000 4K to-device' failed: EINVAL: "
                + "DMA-API: " + USB + ": device driver frees DMA memory with different size [device address=0x00000000ffffc000]"
                + " [map size=16384 bytes] [unmap size=4096 bytes]"), r.errText());
        assertFalse(r.errText().contains("\tat "), r.errText());
        assertTrue(r.outText().contains("single to-device pa 0x800000000+0x4000 -> dma 0xffffc000+0x4000"), r.outText());
    }
}
