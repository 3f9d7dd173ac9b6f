package io.iommulab.pgtable.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.Prot;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bit-exact entries for known inputs. The expected values are hex literals worked out by hand from
 * the fact sheet's tables (dart-facts.md §2.2, §4.4), not computed: they pin the layout down and
 * also check the oracle's own encoder that the random check relies on.
 *
 * <pre>
 * DART1 leaf: VALID 0 | SP_DIS 1 | NO_WRITE 7 | NO_READ 8 | PA[35:12] in place | SUBPAGE_END 0xFFF at [51:40]
 * DART2 leaf: VALID 0 | NO_CACHE 1 | NO_WRITE 2 | NO_READ 3 | PA[41:14] at [37:10] | 0xFFF at [51:40]
 * LPAE S1:    type [1:0] (3 page, 1 block) | AttrIndx [4:2] | AP[1] 6 (unpriv) | AP[2] 7 (ro) | SH [9:8]
 *             | AF 10 | nG 11 | PA [47:12] | XN [54:53]
 * </pre>
 */
class BitExactEntryTest {

    static final int R = Prot.READ;
    static final int W = Prot.WRITE;
    static final int RW = R | W;
    static final long K4 = Formats.SZ_4K;
    static final long K16 = Formats.SZ_16K;
    static final long K64 = Formats.SZ_64K;

    static Stream<Arguments> cases() {
        String d1 = PageTableFormat.APPLE_DART;
        String d2 = PageTableFormat.APPLE_DART2;
        String lp = PageTableFormat.ARM_LPAE_S1;
        return Stream.of(
                // format, granule, ias, oas, iova, pa, pgsize, prot, entry, leaf level
                Arguments.of(d1, K16, 32, 36, 0x4000L, 0x8_0004_4000L, K16, RW, 0x000FFF0800044003L, 1),
                Arguments.of(d1, K16, 32, 36, 0xFFFF_C000L, 0x8_0004_4000L, K16, R, 0x000FFF0800044083L, 1),
                Arguments.of(d1, K16, 32, 36, 0x1234_0000L, 0xF_FFFF_C000L, K16, W, 0x000FFF0FFFFFC103L, 1),
                Arguments.of(d1, K16, 32, 36, 0x4000L, 0x8_0004_4000L, K16,
                        RW | Prot.CACHE | Prot.NOEXEC | Prot.MMIO | Prot.PRIV, 0x000FFF0800044003L, 1),
                Arguments.of(d1, K4, 32, 36, 0xC000_1000L, 0x8_0004_5000L, K4, RW, 0x000FFF0800045003L, 1),
                Arguments.of(d1, K4, 32, 36, 0x4020_3000L, 0x8_0004_5000L, K4, R, 0x000FFF0800045083L, 1),
                Arguments.of(d2, K16, 36, 42, 0x4000L, 0x8_0004_4000L, K16, RW, 0x000FFF0080004403L, 1),
                Arguments.of(d2, K16, 36, 42, 0x4000L, 0x8_0004_4000L, K16, R, 0x000FFF0080004407L, 1),
                Arguments.of(d2, K16, 36, 42, 0x4000L, 0x8_0004_4000L, K16, W, 0x000FFF008000440BL, 1),
                Arguments.of(d2, K16, 36, 42, 0x4000L, 0x8_0004_4000L, K16, RW | Prot.CACHE, 0x000FFF0080004401L, 1),
                Arguments.of(d2, K16, 36, 42, 0xF_FFFF_C000L, 0x3FF_FFFF_C000L, K16, RW, 0x000FFF3FFFFFFC03L, 1),
                Arguments.of(d2, K16, 42, 42, 0x3FF_FFFF_C000L, 0x8_0004_4000L, K16, RW, 0x000FFF0080004403L, 1),
                Arguments.of(d2, K16, 42, 42, 0x10_0000_4000L, 0x8_0004_4000L, K16, R | Prot.CACHE, 0x000FFF0080004405L, 1),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, RW, 0x0000000800045E43L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, R, 0x0000000800045EC3L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, W, 0x0000000800045E43L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, RW | Prot.CACHE, 0x0000000800045F47L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, RW | Prot.NOEXEC, 0x0060000800045E43L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, RW | Prot.MMIO, 0x0000000800045E4BL, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, RW | Prot.PRIV, 0x0000000800045E03L, 3),
                Arguments.of(lp, K4, 48, 48, 0x1000L, 0x8_0004_5000L, K4, R | Prot.PRIV, 0x0000000800045E83L, 3),
                Arguments.of(lp, K4, 48, 48, 0x4020_0000L, 0x8_0020_0000L, 1L << 21, RW, 0x0000000800200E41L, 2),
                Arguments.of(lp, K4, 48, 48, 0x80_4000_0000L, 0x8_4000_0000L, 1L << 30, RW, 0x0000000840000E41L, 1),
                Arguments.of(lp, K4, 48, 48, 0xFFFF_FFFF_F000L, 0xFFFF_FFFF_F000L, K4, RW, 0x0000FFFFFFFFFE43L, 3),
                Arguments.of(lp, K16, 48, 48, 0x4000L, 0x8_0004_4000L, K16, RW, 0x0000000800044E43L, 3),
                Arguments.of(lp, K16, 48, 48, 0x200_0000L, 0x8_0200_0000L, 1L << 25, RW, 0x0000000802000E41L, 2),
                Arguments.of(lp, K64, 48, 48, 0x1_0000L, 0x8_0005_0000L, K64, RW, 0x0000000800050E43L, 3),
                Arguments.of(lp, K64, 48, 48, 0x2000_0000L, 0x8_2000_0000L, 1L << 29, R, 0x0000000820000EC1L, 2));
    }

    @ParameterizedTest(name = "{0} {1} ias={2}: iova {4} pa {5} size {6} prot {7} -> {8}")
    @MethodSource("cases")
    void leafEntryIsBitExact(String format, long granule, int ias, int oas, long iova, long pa, long pgsize, int prot,
                             long entry, int level) {
        PageTableFormat f = Formats.byName(format);
        assertNotNull(f, () -> "format " + format + " not found");
        Formats.Candidate c = new Formats.Candidate(f, PageTableConfig.of(Formats.bitmapFor(format, granule), ias, oas));
        Table t = new Table(c);
        String what = String.format("%s: map(iova 0x%x, pa 0x%x, size 0x%x, prot 0x%x)", c, iova, pa, pgsize, prot);
        assertEquals(pgsize, t.ops.mapPages(iova, pa, pgsize, 1, prot), what);
        // the oracle's encoder agrees with the hand-worked value
        assertEquals(entry, t.ref.expectedLeaf(pa, prot, level), "oracle encoder vs hand-worked value");
        RefWalker.Leaf l = t.ref.walk(iova);
        assertNotNull(l, () -> what + ": no leaf in memory");
        assertEquals(level, l.level(), () -> what + ": leaf level");
        assertEquals(entry, l.entry(), () -> String.format("%s: leaf entry 0x%016x, expected 0x%016x", what, l.entry(), entry));
        // table entries on the way: pointer + VALID (+ table type for LPAE), nothing else
        List<long[]> path = t.ref.tablePath(iova);
        int expectedTables = format.equals(PageTableFormat.ARM_LPAE_S1)
                ? level - (4 - RefWalker.lpaeLevels(ias, Long.numberOfTrailingZeros(granule)))
                : t.ref.tableLevels - 1;
        assertEquals(expectedTables, path.size(), () -> what + ": table entries on the walk");
        for (long[] p : path) {
            long next = t.ref.tableAddress(p[1]);
            assertEquals(t.ref.expectedTableEntry(next), p[1], () -> String.format("%s: table entry 0x%016x at 0x%x",
                    what, p[1], p[0]));
            assertTrue(t.fx.memory.isRam(next) && (next & (granule - 1)) == 0, () -> String.format(
                    "%s: table entry 0x%016x points to 0x%x: not a granule-aligned RAM page", what, p[1], next));
        }
        assertEquals(pa + 42, t.ops.iovaToPhys(iova + 42), what);
        assertEquals(pgsize, t.ops.unmapPages(iova, pgsize, 1, null), what);
        assertEquals(0, t.fx.memory.read64(l.entryPa()), () -> what + ": entry after unmap");
        t.freeAndCheck(t.ops, "bit-exact");
    }
}
