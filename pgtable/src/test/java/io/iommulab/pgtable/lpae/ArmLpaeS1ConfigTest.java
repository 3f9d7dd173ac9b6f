package io.iommulab.pgtable.lpae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArmLpaeS1ConfigTest {

    private static final long K4 = 1L << 12;
    private static final long K16 = 1L << 14;
    private static final long K64 = 1L << 16;
    private static final long M2 = 1L << 21;
    private static final long M32 = 1L << 25;
    private static final long M512 = 1L << 29;
    private static final long G1 = 1L << 30;
    private static final long ALL = K4 | K16 | K64 | M2 | M32 | M512 | G1;
    private static final long MAIR = 0xF404FF44L;

    /**
     * granule, IAS, OAS, levels, start level, top-table entries, settled bitmap, t0sz, tg0, ips.
     */
    @ParameterizedTest(name = "{0} B granule, IAS {1}, OAS {2}")
    @CsvSource({
            "4096,  48, 48, 4, 0, 512,  0x40201000, 16, 0, 5",
            "4096,  39, 40, 3, 1, 512,  0x40201000, 25, 0, 2",
            "4096,  32, 32, 3, 1, 4,    0x40201000, 32, 0, 0",
            "4096,  30, 36, 2, 2, 512,  0x00201000, 34, 0, 1",
            "16384, 48, 44, 4, 0, 2,    0x02004000, 16, 2, 4",
            "16384, 40, 42, 3, 1, 16,   0x02004000, 24, 2, 3",
            "16384, 36, 36, 2, 2, 2048, 0x02004000, 28, 2, 1",
            "65536, 48, 48, 3, 1, 64,   0x20010000, 16, 1, 5",
            "65536, 42, 42, 2, 2, 8192, 0x20010000, 22, 1, 3",
    })
    void geometryAndRegisters(long granule, int ias, int oas, int levels, int start, int topEntries, String bitmap,
                              long t0sz, long tg0, long ips) {
        LpaeFixture f = new LpaeFixture();
        ArmLpaeS1PageTable ops = f.alloc(granule | blocksOf(granule), ias, oas);
        LpaeS1Geometry g = ops.geometry();
        PageTableState s = ops.state();
        assertEquals(PageTableFormat.ARM_LPAE_S1, s.format());
        assertEquals(levels, s.levels());
        assertEquals(start, g.startLevel());
        assertEquals(topEntries, g.entries(start));
        assertEquals(granule, g.granule());
        assertEquals(Long.decode(bitmap), s.config().pgsizeBitmap());
        assertEquals(ias, s.config().ias());
        assertEquals(oas, s.config().oas());
        assertEquals(1, s.ttbrs().length);
        assertEquals(0, s.ttbrs()[0] & (granule - 1), "TTBR0 granule-aligned");
        assertEquals(Map.of("tcr.t0sz", t0sz, "tcr.tg0", tg0, "tcr.sh0", 3L, "tcr.irgn0", 1L, "tcr.orgn0", 1L,
                "tcr.epd1", 1L, "tcr.ips", ips, "mair", MAIR), s.hw());
        assertEquals(1, ops.tablePages());
        assertEquals(granule, ops.tableBytes());
        assertEquals(granule / 4096, f.pages.pagesInUse());
        ops.free();
        assertEquals(0, f.pages.pagesInUse());
    }

    private static long blocksOf(long granule) {
        return granule == K4 ? M2 | G1 : granule == K16 ? M32 : M512;
    }

    @Test
    void mairLayoutIsLinuxs() {
        assertEquals(0x44L, MAIR & 0xff, "index 0 normal non-cacheable");
        assertEquals(0xffL, (MAIR >> 8) & 0xff, "index 1 write-back RW-allocate");
        assertEquals(0x04L, (MAIR >> 16) & 0xff, "index 2 device nGnRE");
        assertEquals(0xf4L, (MAIR >> 24) & 0xff, "index 3 inner NC, outer WB");
        assertEquals(MAIR, LpaeS1Geometry.MAIR);
    }

    @Test
    void nonCoherentWalkIsOuterShareableNonCacheable() {
        LpaeFixture f = new LpaeFixture();
        var ops = f.format.alloc(new PageTableConfig(K4 | M2 | G1, 48, 48, false, 0), f.ctx);
        Map<String, Long> hw = ops.state().hw();
        assertEquals(2L, hw.get("tcr.sh0"));
        assertEquals(0L, hw.get("tcr.irgn0"));
        assertEquals(0L, hw.get("tcr.orgn0"));
        ops.free();
    }

    /** arm_lpae_restrict_pgsizes: PAGE_SIZE first, then the largest size below it, then the smallest above. */
    @ParameterizedTest(name = "bitmap {0} settles to {1}")
    @CsvSource({
            "0x7fffffff000, 0x40201000",   // everything: the 4 KiB host page wins
            "0x20214000,    0x00004000",   // 16K|64K|2M|512M without 4K: smallest above, 16K; 2M and 512M are not 16K blocks
            "0x20010000,    0x20010000",   // 64K|512M
            "0x22011000,    0x00001000",   // 4K|64K|32M|512M: 4K and none of its blocks
            "0x40001000,    0x40001000",   // 4K|1G: no 2M
    })
    void granuleChoice(String bitmap, String settled) {
        LpaeFixture f = new LpaeFixture();
        var ops = f.alloc(Long.decode(bitmap), 48, 48);
        assertEquals(Long.decode(settled), ops.state().config().pgsizeBitmap());
        ops.free();
    }

    @ParameterizedTest(name = "bitmap {0}, IAS {1}, OAS {2}, quirks {3}: {4}")
    @CsvSource({
            "0x40201000, 48, 52, 0, OAS 52",
            "0x20010000, 48, 52, 0, OAS 52",
            "0x40201000, 49, 48, 0, IAS 49",
            "0x20010000, 52, 48, 0, IAS 52",
            "0x40201000, 12, 48, 0, IAS 12",
            "0x40201000, 48, 33, 0, OAS 33",
            "0x40201000, 48, 48, 1, quirks 0x1",
            "0x00000000, 48, 48, 0, page-size bitmap 0x0",
            "0x00200000, 48, 48, 0, page-size bitmap 0x200000",
            "0x00004800, 48, 48, 0, page-size bitmap 0x4800",   // 2K below the host page wins and is no granule
    })
    void rejected(String bitmap, int ias, int oas, int quirks, String named) {
        LpaeFixture f = new LpaeFixture();
        IommuException e = assertThrows(IommuException.class,
                () -> f.format.alloc(new PageTableConfig(Long.decode(bitmap), ias, oas, true, quirks), f.ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("arm-lpae-s1: " + named + " not supported"), e.getMessage());
        assertEquals(0, f.pages.pagesInUse(), "a rejected config allocates nothing");
    }

    @Test
    void nameAndComponent() {
        assertEquals("arm-lpae-s1", new ArmLpaeS1Format().name());
        assertEquals("arm-lpae-s1", new io.iommulab.pgtable.osgi.ArmLpaeS1FormatComponent().name());
    }
}
