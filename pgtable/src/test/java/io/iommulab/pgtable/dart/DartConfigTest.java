package io.iommulab.pgtable.dart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DartConfigTest {

    @ParameterizedTest(name = "{0} pg=0x{1} ias={2} -> {3} TTBRs, {4} levels")
    @CsvSource({
        "apple-dart,  4000, 32, 1, 3",
        "apple-dart,  1000, 32, 4, 3",
        "apple-dart,  4000, 36, 1, 3",
        "apple-dart,  1000, 36, 1, 4",
        "apple-dart,  1000, 30, 1, 3",
        "apple-dart,  1000, 31, 2, 3",
        "apple-dart2, 4000, 32, 1, 3",
        "apple-dart2, 4000, 36, 1, 3",
        "apple-dart2, 4000, 37, 1, 4",
        "apple-dart2, 4000, 42, 1, 4",
    })
    void accepted(String name, String pg, int ias, int ttbrs, int levels) {
        DartFormat f = DartFormat.byName(name);
        DartTestSupport s = name.equals("apple-dart") ? DartTestSupport.dart1() : DartTestSupport.dart2();
        long pgsize = Long.parseLong(pg, 16);
        long before = s.allocator.pagesInUse();
        PageTableOps ops = f.alloc(PageTableConfig.of(pgsize, ias, f.oas()), s.ctx);
        PageTableState st = ops.state();
        assertEquals(name, st.format());
        assertEquals(ttbrs, st.ttbrs().length);
        assertEquals(levels, st.levels());
        assertEquals(pgsize, st.config().pgsizeBitmap());
        assertEquals(ias, st.config().ias());
        assertEquals(f.oas(), st.config().oas());
        assertTrue(st.hw().isEmpty());
        assertEquals(ttbrs, ops.tablePages());
        assertEquals(ttbrs * pgsize, ops.tableBytes());
        assertEquals(before + ttbrs * (pgsize >> 12), s.allocator.pagesInUse());
        for (long t : st.ttbrs()) {
            assertEquals(0, t & (pgsize - 1));
            for (long q = t; q < t + pgsize; q += 8) {
                assertEquals(0, s.memory.read64(q));
            }
        }
        ops.free();
        assertEquals(before, s.allocator.pagesInUse());
        assertEquals(1, s.flush.flushAll);
    }

    @ParameterizedTest(name = "{0}: {5}")
    @CsvSource(delimiter = '|', value = {
        "apple-dart  | 4000    | 32 | 36 | false | apple-dart: non-coherent table walk coherent_walk=false not supported (the DART formats require coherent_walk)",
        "apple-dart2 | 4000    | 32 | 42 | false | apple-dart2: non-coherent table walk coherent_walk=false not supported (the DART formats require coherent_walk)",
        "apple-dart  | 4000    | 32 | 40 | true  | apple-dart: output address size 40 not supported (OAS must be 36)",
        "apple-dart  | 4000    | 32 | 42 | true  | apple-dart: output address size 42 not supported (OAS must be 36)",
        "apple-dart2 | 4000    | 32 | 40 | true  | apple-dart2: output address size 40 not supported (OAS must be 42)",
        "apple-dart2 | 4000    | 32 | 36 | true  | apple-dart2: output address size 36 not supported (OAS must be 42)",
        "apple-dart  | 4000    | 37 | 36 | true  | apple-dart: input address size 37 not supported (IAS must be <= OAS 36)",
        "apple-dart  | 4000    | 42 | 36 | true  | apple-dart: input address size 42 not supported (IAS must be <= OAS 36)",
        "apple-dart2 | 4000    | 43 | 42 | true  | apple-dart2: input address size 43 not supported (IAS must be <= OAS 42)",
        "apple-dart  | 4000    | 12 | 36 | true  | apple-dart: input address size 12 not supported (IAS must cover at least one page of 2^14 bytes)",
        "apple-dart  | 5000    | 32 | 36 | true  | apple-dart: page-size bitmap 0x5000 not supported (exactly one page size: 0x1000 or 0x4000)",
        "apple-dart  | 10000   | 32 | 36 | true  | apple-dart: page-size bitmap 0x10000 not supported (exactly one page size: 0x1000 or 0x4000)",
        "apple-dart2 | 0       | 32 | 42 | true  | apple-dart2: page-size bitmap 0x0 not supported (exactly one page size: 0x1000 or 0x4000)",
        "apple-dart2 | 1000    | 32 | 42 | true  | apple-dart2: page-size bitmap 0x1000 not supported (a DART2 PTE holds PA[41:14], so output pages must be 16 KiB (0x4000))",
        "apple-dart2 | 40201000| 32 | 42 | true  | apple-dart2: page-size bitmap 0x40201000 not supported (exactly one page size: 0x1000 or 0x4000)",
    })
    void rejected(String name, String pg, int ias, int oas, boolean coherent, String message) {
        DartFormat f = DartFormat.byName(name);
        DartTestSupport s = name.equals("apple-dart") ? DartTestSupport.dart1() : DartTestSupport.dart2();
        PageTableConfig cfg = new PageTableConfig(Long.parseLong(pg, 16), ias, oas, coherent, 0);
        IommuException e = assertThrows(IommuException.class, () -> f.alloc(cfg, s.ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: " + message, e.getMessage());
        assertEquals(0, s.allocator.pagesInUse());
    }

    @ParameterizedTest
    @CsvSource({"apple-dart, 1000, 32", "apple-dart2, 4000, 42"})
    void attachRejectsForeignOrInconsistentState(String name, String pg, int ias) {
        DartFormat f = DartFormat.byName(name);
        DartFormat other = f == DartFormat.DART1 ? DartFormat.DART2 : DartFormat.DART1;
        DartTestSupport s = name.equals("apple-dart") ? DartTestSupport.dart1() : DartTestSupport.dart2();
        PageTableOps ops = f.alloc(PageTableConfig.of(Long.parseLong(pg, 16), ias, f.oas()), s.ctx);
        PageTableState st = ops.state();
        IommuException e = assertThrows(IommuException.class, () -> other.attach(st, s.ctx));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: " + other.name() + ": cannot attach a table of format " + name, e.getMessage());
        long[] bad = st.ttbrs();
        bad[0] += 8;
        PageTableState misaligned = new PageTableState(name, st.config(), bad, st.levels(), st.hw());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> f.attach(misaligned, s.ctx)).errno());
        PageTableState wrongLevels = new PageTableState(name, st.config(), st.ttbrs(), st.levels() + 1, st.hw());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> f.attach(wrongLevels, s.ctx)).errno());
        PageTableState extraTtbr = new PageTableState(name, st.config(), new long[st.ttbrs().length + 1],
                st.levels(), st.hw());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> f.attach(extraTtbr, s.ctx)).errno());
        assertArrayEquals(st.ttbrs(), ops.state().ttbrs());
        ops.free();
        assertEquals(0, s.allocator.pagesInUse());
    }
}
