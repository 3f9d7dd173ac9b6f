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
        assertEquals(List.of("apple,t8103-dart"), t8103.compatibles());
        assertEquals("apple-dart", t8103.pgtableFormat());
        assertEquals(36, t8103.oas());
        assertEquals(16, t8103.maxSidCount());
        assertEquals(0x1100, t8103.tcrBypass());
        assertEquals(0x200 + 16 * 3 + 4 * 2, t8103.ttbrOffset(3, 2));
        assertSame(T8020Family.INSTANCE, t8103.invalidator());
        DartHw t6000 = DartVariants.T6000;
        assertEquals(DartLayout.T6000, t6000.layout());
        assertEquals("apple-dart2", t6000.pgtableFormat());
        assertEquals(42, t6000.oas());
        DartHw t8110 = DartVariants.T8110;
        assertEquals(List.of("apple,t8110-dart"), t8110.compatibles(), "t6020 binds through its fallback");
        assertEquals(256, t8110.maxSidCount());
        assertEquals(8, t8110.enableStreams().size());
        assertEquals(0x6, t8110.tcrBypass());
        assertEquals(0x8, t8110.tcr4Level());
        assertEquals(0x1400 + 4 * 9, t8110.ttbrOffset(9, 0));
        // ((pa >> 14) << 2) | VALID
        assertEquals(((0x100_0000_4000L >>> 14) << 2) | 1, t8110.ttbrValue(0x100_0000_4000L) & 0xffff_ffffL);
        assertEquals(0x100_0000_4000L, t8110.ttbrAddress(t8110.ttbrValue(0x100_0000_4000L)));
        assertSame(T8110Family.INSTANCE, t8110.faultHandler());
    }

    @Test
    void aVariantRecordRefusesImpossibleValues() {
        DartHw t8103 = DartVariants.T8103;
        IllegalArgumentException words = assertThrows(IllegalArgumentException.class, () -> t8103.withStreams(64, List.of(0xFC)));
        assertTrue(words.getMessage().contains("1 stream-enable words cannot cover 64 streams"), words.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t8103.withStreams(300, List.of(0xFC)));
        assertThrows(IllegalArgumentException.class, () -> t8103.withTtbr(0x401));
        assertThrows(IllegalArgumentException.class, () -> t8103.withIdentity("x", List.of()));
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
