package io.iommulab.dart.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.dart.impl.hw.DartVariants;
import io.iommulab.dart.impl.hw.T8020Family;
import io.iommulab.dart.impl.hw.T8110Family;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.component.ComponentFactory;
import org.osgi.service.component.ComponentInstance;

/** The built-in variant records, the record's own checks, SID bitmaps, and the variant tracker's wiring. */
class VariantSpiTest {

    @Test
    void builtInVariantsAreUpstreamsTables() {
        DartHw t8103 = DartVariants.T8103;
        assertEquals(List.of("apple,t8103-dart"), t8103.identity().compatibles());
        assertEquals("apple-dart", t8103.identity().pgtableFormat());
        assertEquals(36, t8103.sizes().oas());
        assertEquals(16, t8103.sizes().maxSidCount());
        assertEquals(0x1100, t8103.tcr().bypass());
        assertEquals(0x200 + 16 * 3 + 4 * 2, t8103.ttbr().offset(3, 2));
        assertSame(T8020Family.INSTANCE, t8103.strategies().invalidator());
        DartHw t6000 = DartVariants.T6000;
        assertEquals(DartLayout.T6000, t6000.identity().layout());
        assertEquals("apple-dart2", t6000.identity().pgtableFormat());
        assertEquals(42, t6000.sizes().oas());
        DartHw t8110 = DartVariants.T8110;
        assertEquals(List.of("apple,t8110-dart"), t8110.identity().compatibles(), "t6020 binds through its fallback");
        assertEquals(256, t8110.sizes().maxSidCount());
        assertEquals(8, t8110.global().enableStreams().size());
        assertEquals(0x6, t8110.tcr().bypass());
        assertEquals(0x8, t8110.tcr().fourLevel());
        assertEquals(0x1400 + 4 * 9, t8110.ttbr().offset(9, 0));
        // ((pa >> 14) << 2) | VALID
        assertEquals(((0x100_0000_4000L >>> 14) << 2) | 1, t8110.ttbr().value(0x100_0000_4000L) & 0xffff_ffffL);
        assertEquals(0x100_0000_4000L, t8110.ttbr().address(t8110.ttbr().value(0x100_0000_4000L)));
        assertSame(T8110Family.INSTANCE, t8110.strategies().faultHandler());
    }

    @Test
    void aVariantRecordRefusesImpossibleValues() {
        DartHw t8103 = DartVariants.T8103;
        IllegalArgumentException words = assertThrows(IllegalArgumentException.class,
                () -> t8103.toBuilder().streams(64, List.of(0xFC)).build());
        assertEquals("DART variant t8103: 1 stream-enable words cannot cover 64 streams", words.getMessage());
        assertEquals("DART variant t8103: maxSidCount 300 is not in 1..256", assertThrows(IllegalArgumentException.class,
                () -> t8103.toBuilder().streams(300, List.of(0xFC)).build()).getMessage());
        assertEquals("DART variant t8103: ttbr offset 0x401 is not a 32-bit register offset",
                assertThrows(IllegalArgumentException.class, () -> t8103.toBuilder().ttbr(0x401).build()).getMessage());
        assertEquals("DART variant t8103: ttbrCount 5 is not in 1..4",
                assertThrows(IllegalArgumentException.class, () -> t8103.toBuilder().ttbrCount(5).build()).getMessage());
        assertEquals("DART variant x: no compatible strings", assertThrows(IllegalArgumentException.class,
                () -> t8103.toBuilder().name("x").compatibles(List.of()).build()).getMessage());
        assertEquals("DART variant t8103: enableStreams word offset 0xfe is not a 32-bit register offset",
                assertThrows(IllegalArgumentException.class, () -> t8103.toBuilder().streams(16, List.of(0xFE)).build())
                        .getMessage());
        // 128 streams' TCRs (0x100 + 4 * sid) reach 0x2FF: past t8103's TTBR array at 0x200.
        assertEquals("DART variant t8103: the TCRs of 128 streams (0x100..0x2ff) overlap the TTBRs (0x200..0x9ff)",
                assertThrows(IllegalArgumentException.class,
                        () -> t8103.toBuilder().streams(128, List.of(0xFC, 0xF8, 0xF4, 0xF0)).build()).getMessage());
        assertEquals("DART variant t8103: the TCRs of 16 streams (0x100..0x13f) overlap the TTBRs (0x120..0x21f)",
                assertThrows(IllegalArgumentException.class, () -> t8103.toBuilder().ttbr(0x120).build()).getMessage());
        // The usb4 DART's 64 TCRs end at 0x1FF, below its TTBR array at 0x400; t8110's 256 end where its TTBRs start.
        t8103.toBuilder().streams(64, List.of(0xFC, 0xF8)).ttbr(0x400).build();
        DartVariants.T8110.toBuilder().build();
    }

    @Test
    void theBuilderCopiesEveryFieldAndNamesWhatIsMissing() {
        for (DartHw v : DartVariants.all()) {
            assertEquals(v, v.toBuilder().build());
        }
        DartHw other = DartVariants.T8110.toBuilder().name("t8110-x").tcrBypass(0).ttbrCount(1).build();
        assertEquals("t8110-x", other.identity().name());
        assertEquals(0, other.tcr().bypass());
        assertEquals(DartVariants.T8110.tcr().fourLevel(), other.tcr().fourLevel(), "the other TCR values stay");
        assertEquals(1, other.ttbr().count());
        assertEquals(DartVariants.T8110.ttbr().shift(), other.ttbr().shift());
        assertNotEquals(DartVariants.T8110, other);
        NullPointerException missing = assertThrows(NullPointerException.class,
                () -> DartVariants.T8103.toBuilder().faultHandler(null).build());
        assertEquals("faultHandler", missing.getMessage());
        assertEquals("name", assertThrows(NullPointerException.class, () -> DartHw.builder().build()).getMessage());
    }

    /** Records what the tracker asks of the driver component factory. */
    private static final class Factory implements ComponentFactory<AppleDartDriver> {
        final List<Dictionary<String, ?>> made = new ArrayList<>();
        final List<Dictionary<String, ?>> disposed = new ArrayList<>();

        @Override
        public ComponentInstance<AppleDartDriver> newInstance(Dictionary<String, ?> properties) {
            made.add(properties);
            return new ComponentInstance<>() {
                @Override
                public void dispose() {
                    disposed.add(properties);
                }

                @Override
                public AppleDartDriver getInstance() {
                    return null;
                }
            };
        }
    }

    @Test
    void theTrackerStartsOneDriverPerVariantServiceAndStopsIt() {
        Factory f = new Factory();
        DartVariantTracker t = new DartVariantTracker(f);
        t.addVariant(() -> DartVariants.T8103, Map.of("service.id", 7L));
        t.addVariant(() -> DartVariants.T8110, Map.of("service.id", 9L));
        assertEquals(2, f.made.size());
        Dictionary<String, ?> p = f.made.get(0);
        assertEquals("(service.id=7)", p.get("variant.target"));
        assertEquals("(pgtable.format=apple-dart)", p.get("formats.target"));
        assertEquals("t8103", p.get("dart.variant"));
        assertEquals("(pgtable.format=apple-dart2)", f.made.get(1).get("formats.target"));
        t.removeVariant(() -> DartVariants.T8103, Map.of("service.id", 7L));
        assertEquals(List.of(p), f.disposed);
        t.deactivate();
        assertEquals(2, f.disposed.size());
        assertEquals(new Hashtable<>(Map.of("dart.variant", "t8110", "variant.target", "(service.id=9)",
                "formats.target", "(pgtable.format=apple-dart2)")), f.disposed.get(1));
    }
}
