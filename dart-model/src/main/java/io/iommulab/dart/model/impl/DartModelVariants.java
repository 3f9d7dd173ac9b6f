package io.iommulab.dart.model.impl;

import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.dart.model.spi.DartModelHw.Family;
import io.iommulab.dart.model.spi.DartModelHw.PteFormat;
import java.util.List;

/**
 * The variants this bundle brings itself (dart-facts §1.1, the variants table of the README). Each
 * is data; the family's behaviour lives in {@link T8020Layout} / {@link T8110Layout}. Other
 * variants (the Thunderbolt DART) come from their own hardware bundles through the SPI.
 */
final class DartModelVariants {

    /** apple,t8103-dart: M1 DARTs. */
    static final DartModelHw T8103 = DartModelHw.builder("t8103").compatibles("apple,t8103-dart")
            .family(Family.T8020).format(PteFormat.DART1).streams(16).enableWords(T8020Regs.STREAMS_ENABLE)
            .ttbrBase(T8020Regs.TTBR).ias(32).oas(36).bypass(true).build();

    /** apple,t6000-dart: M1 Pro/Max, T8020 registers with DART2 entries and OAS 42. */
    static final DartModelHw T6000 = T8103.toBuilder().name("t6000").compatibles("apple,t6000-dart")
            .format(PteFormat.DART2).oas(42).build();

    /** apple,t8110-dart: M2, parameters from PARAMS3/4 (defaults 16 streams, IAS 36, OAS 42). */
    static final DartModelHw T8110 = DartModelHw.builder("t8110").compatibles("apple,t8110-dart")
            .family(Family.T8110).format(PteFormat.DART2).streams(16).ttbrBase(T8110Regs.TTBR)
            .ias(36).oas(42).bypass(true).build();

    /** apple,t6020-dart: M2 Pro/Max, a T8110 reporting IAS 42 (four-level tables, dart-facts §2.1). */
    static final DartModelHw T6020 = T8110.toBuilder().name("t6020").compatibles("apple,t6020-dart").ias(42).build();

    /**
     * Every built-in variant, in registration order: t6020 before t8110, so that on a machine that
     * is already running a t6020 DART (compatible {@code "apple,t6020-dart", "apple,t8110-dart"})
     * finds its own variant before the fallback.
     */
    static final List<DartModelHw> ALL = List.of(T8103, T6000, T6020, T8110);

    private DartModelVariants() {
    }
}
