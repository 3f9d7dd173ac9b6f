package io.iommulab.pgtable.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.iommulab.api.error.Errno;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which configurations each format accepts: every enumerated candidate either allocates (and frees
 * without leaking) or is refused with EINVAL naming the format and a value; the configurations the
 * issue names are accepted with the geometry Linux derives; DART acceptance follows the Linux rules
 * (§2.1) and LPAE accepts every granule with IAS/OAS up to 48.
 */
class ConfigurationTest {

    @Test
    void theThreeFormatsAreThere() {
        Set<String> names = new HashSet<>();
        for (PageTableFormat f : Formats.all()) {
            assertTrue(names.add(f.name()), () -> "format name " + f.name() + " registered twice");
        }
        assertTrue(names.containsAll(List.of(PageTableFormat.APPLE_DART, PageTableFormat.APPLE_DART2,
                PageTableFormat.ARM_LPAE_S1)), () -> "formats found in " + Formats.OSGI_PACKAGE + ": " + names);
        // Every format accepts something; the summary goes to the test output for the report.
        StringBuilder sb = new StringBuilder("configurations accepted / tried:");
        for (PageTableFormat f : Formats.all()) {
            long tried = Formats.outcomes().stream().filter(o -> o.candidate().format() == f).count();
            List<String> ok = Formats.outcomes().stream().filter(o -> o.candidate().format() == f && o.accepted())
                    .map(o -> Formats.sizeName(o.candidate().granule()) + "/" + o.candidate().config().ias() + "/"
                            + o.candidate().config().oas()).toList();
            assertTrue(!ok.isEmpty(), () -> f.name() + " accepts no configuration");
            sb.append("\n  ").append(f.name()).append(": ").append(ok.size()).append(" / ").append(tried).append(' ').append(ok);
        }
        System.out.println(sb);
    }

    @TestFactory
    Stream<DynamicTest> everyCandidateIsAcceptedOrRefusedCleanly() {
        return Formats.outcomes().stream().map(o -> DynamicTest.dynamicTest(o.candidate().toString()
                + (o.accepted() ? " accepted" : " refused"), () -> {
            if (o.failure() != null) {
                fail(o.candidate() + ": alloc threw " + o.failure() + " instead of allocating or EINVAL", o.failure());
            }
            assertEquals(0, o.leakedPages(), () -> o.candidate() + ": allocator pages left after "
                    + (o.accepted() ? "alloc+free" : "a refused alloc"));
            if (!o.accepted()) {
                assertRejectionMessage(o.candidate(), o.rejection().getMessage());
            }
        }));
    }

    /** The message names the format and one of the configuration's values. */
    static void assertRejectionMessage(Formats.Candidate c, String message) {
        assertNotNull(message);
        String m = message.toLowerCase(Locale.ROOT);
        assertTrue(m.contains(c.format().name()), () -> c + ": rejection does not name the format: " + message);
        PageTableConfig cfg = c.config();
        List<String> values = new ArrayList<>(List.of(Integer.toString(cfg.ias()), Integer.toString(cfg.oas()),
                Long.toString(cfg.pgsizeBitmap()), "0x" + Long.toHexString(cfg.pgsizeBitmap())));
        for (long b = cfg.pgsizeBitmap(); b != 0; b &= b - 1) {
            long s = Long.lowestOneBit(b);
            values.add("0x" + Long.toHexString(s));
            values.add(Long.toString(s));
            values.add(Formats.sizeName(s).toLowerCase(Locale.ROOT));
            values.add((s >> 10) + " kib");
        }
        if (!cfg.coherentWalk()) {
            values.add("coheren");
        }
        assertTrue(values.stream().anyMatch(m::contains), () -> c + ": rejection names none of the values "
                + values + ": " + message);
    }

    static Stream<Arguments> namedByTheIssue() {
        return Stream.of(
                Arguments.of(PageTableFormat.APPLE_DART, Formats.SZ_16K, 32, 36, 1, 3),
                Arguments.of(PageTableFormat.APPLE_DART, Formats.SZ_4K, 32, 36, 4, 3),
                Arguments.of(PageTableFormat.APPLE_DART2, Formats.SZ_16K, 36, 42, 1, 3),
                Arguments.of(PageTableFormat.APPLE_DART2, Formats.SZ_16K, 42, 42, 1, 4),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, Formats.SZ_4K, 48, 48, 1, 4),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, Formats.SZ_16K, 48, 48, 1, 4),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, Formats.SZ_64K, 48, 48, 1, 3));
    }

    @ParameterizedTest(name = "{0} {1} ias={2} oas={3}")
    @MethodSource("namedByTheIssue")
    void configurationsTheIssueNamesAreAccepted(String format, long granule, int ias, int oas, int ttbrs, int levels) {
        PageTableConfig cfg = PageTableConfig.of(Formats.bitmapFor(format, granule), ias, oas);
        Formats.Outcome o = outcomeOf(format, cfg);
        assertNull(o.failure(), () -> o.candidate() + ": " + o.failure());
        assertNull(o.rejection(), () -> o.candidate() + " refused: " + (o.rejection() == null ? "" : o.rejection().getMessage()));
        PageTableState st = o.state();
        assertEquals(ttbrs, st.ttbrs().length, () -> o.candidate() + ": TTBRs");
        assertEquals(levels, st.levels(), () -> o.candidate() + ": levels");
    }

    private static Formats.Outcome outcomeOf(String format, PageTableConfig cfg) {
        PageTableFormat f = Formats.byName(format);
        assertNotNull(f, () -> "format " + format + " not found");
        for (Formats.Outcome o : Formats.outcomes()) {
            if (o.candidate().format() == f && o.candidate().config().equals(cfg)) {
                return o;
            }
        }
        return Formats.tryAlloc(new Formats.Candidate(f, cfg));
    }

    /** DART (§2.1): accepted only if granule 4K/16K, OAS 36 or 42, IAS <= OAS and at most 3 table levels. */
    @Test
    void dartAcceptanceFollowsTheLinuxRules() {
        List<String> wrong = new ArrayList<>();
        for (Formats.Outcome o : Formats.outcomes()) {
            String name = o.candidate().format().name();
            if (!Formats.isDart(name) || o.failure() != null) {
                continue;
            }
            PageTableConfig cfg = o.candidate().config();
            long g = o.candidate().granule();
            int shift = Long.numberOfTrailingZeros(g);
            boolean linux = (g == Formats.SZ_4K || g == Formats.SZ_16K) && (cfg.oas() == 36 || cfg.oas() == 42)
                    && cfg.ias() <= cfg.oas() && RefWalker.dartTableLevels(cfg.ias(), shift) <= 3;
            if (o.accepted() && !linux) {
                wrong.add(o.candidate() + " accepted, Linux refuses it");
            }
            // The OAS of each generation (issue: DART1 OAS 36, DART2 OAS 42) must be taken wherever Linux takes it.
            int ownOas = name.equals(PageTableFormat.APPLE_DART) ? 36 : 42;
            // DART2 with 4K pages may be refused: its PTE holds PA[41:14], so 4K output pages are not representable.
            boolean unrepresentable = name.equals(PageTableFormat.APPLE_DART2) && g == Formats.SZ_4K;
            if (!o.accepted() && linux && cfg.oas() == ownOas && !unrepresentable) {
                wrong.add(o.candidate() + " refused (" + o.rejection().getMessage() + "), Linux accepts it");
            }
        }
        assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
    }

    /** Issue: "IAS/OAS up to 48", every granule. */
    @Test
    void lpaeAcceptsEveryGranuleUpTo48Bits() {
        List<String> refused = new ArrayList<>();
        for (Formats.Outcome o : Formats.outcomes()) {
            if (o.candidate().format().name().equals(PageTableFormat.ARM_LPAE_S1) && !o.accepted()) {
                refused.add(o.candidate() + ": " + (o.rejection() != null ? o.rejection().getMessage() : o.failure()));
            }
        }
        assertTrue(refused.isEmpty(), () -> String.join("\n", refused));
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(PageTableFormat.APPLE_DART, new PageTableConfig(Formats.SZ_16K, 32, 36, false, 0)),
                Arguments.of(PageTableFormat.APPLE_DART2, new PageTableConfig(Formats.SZ_16K, 36, 42, false, 0)),
                Arguments.of(PageTableFormat.APPLE_DART, PageTableConfig.of(Formats.SZ_4K | Formats.SZ_16K, 32, 36)),
                Arguments.of(PageTableFormat.APPLE_DART, PageTableConfig.of(Formats.SZ_64K, 32, 36)),
                Arguments.of(PageTableFormat.APPLE_DART, PageTableConfig.of(Formats.SZ_16K, 40, 36)),
                Arguments.of(PageTableFormat.APPLE_DART2, PageTableConfig.of(Formats.SZ_16K, 48, 48)),
                Arguments.of(PageTableFormat.APPLE_DART2, PageTableConfig.of(Formats.SZ_16K | (1L << 25), 36, 42)),
                Arguments.of(PageTableFormat.APPLE_DART2, PageTableConfig.of(0, 36, 42)),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, PageTableConfig.of(Formats.SZ_4K | (1L << 21), 49, 48)),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, PageTableConfig.of(Formats.SZ_4K | (1L << 21), 48, 49)),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, PageTableConfig.of(0, 48, 48)),
                Arguments.of(PageTableFormat.ARM_LPAE_S1, PageTableConfig.of(1L << 13, 48, 48)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("refused")
    void unsupportedConfigurationsAreRefused(String format, PageTableConfig cfg) {
        PageTableFormat f = Formats.byName(format);
        assertNotNull(f);
        Formats.Candidate c = new Formats.Candidate(f, cfg);
        Formats.Outcome o = Formats.tryAlloc(c);
        assertNull(o.failure(), () -> c + ": alloc threw " + o.failure() + " instead of EINVAL");
        assertNotNull(o.rejection(), () -> c + " was accepted: " + o.state());
        assertEquals(Errno.EINVAL, o.rejection().errno());
        assertEquals(0, o.leakedPages(), () -> c + ": refused alloc left pages allocated");
        if (cfg.pgsizeBitmap() != 0) {
            assertRejectionMessage(c, o.rejection().getMessage());
        } else {
            assertTrue(o.rejection().getMessage().contains(format), o.rejection().getMessage());
        }
    }
}
