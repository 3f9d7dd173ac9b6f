package io.iommulab.dart.impl.hw;

import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import java.util.List;

/**
 * The built-in variants: Linux's {@code apple_dart_hw_t8103}, {@code _t6000} and {@code _t8110}
 * (dart-facts §1.1, §1.5, §1.6). The usb4 variant ships in its own bundle.
 */
public final class DartVariants {

    private DartVariants() {
    }

    /** M1: T8020 layout, 16 streams, DART1, OAS 36. */
    public static final DartHw T8103 = t8020("t8103", List.of("apple,t8103-dart"), DartLayout.T8020,
            PageTableFormat.APPLE_DART, 36);

    /** M1 Pro/Max/Ultra: T8020 registers, DART2 tables (bit-shifted PA), OAS 42. */
    public static final DartHw T6000 = t8020("t6000", List.of("apple,t6000-dart"), DartLayout.T6000,
            PageTableFormat.APPLE_DART2, 42);

    /**
     * M2 and M2 Pro/Max: T8110 layout. Only {@code apple,t8110-dart} is listed: M2 Pro/Max nodes say
     * {@code "apple,t6020-dart", "apple,t8110-dart"} and bind through the fallback, as upstream has no
     * t6020 entry; their IAS 42 comes from PARAMS3. OAS 0 here because PARAMS3 gives it; up to 256
     * streams (PARAMS4 says how many).
     */
    public static final DartHw T8110 = DartHw.builder()
            .name("t8110").compatibles(List.of("apple,t8110-dart")).layout(DartLayout.T8110)
            .pgtableFormat(PageTableFormat.APPLE_DART2)
            .oas(0).streams(DartHw.MAX_STREAMS, words(T8110Regs.ENABLE_STREAMS, T8110Regs.STREAM_WORDS))
            .lock(T8110Regs.PROTECT, T8110Regs.PROTECT_TTBR_TCR)
            .error(T8110Regs.ERROR)
            .tcr(T8110Regs.TCR).tcrEnabled(T8110Regs.TCR_TRANSLATE_ENABLE).tcrDisabled(0)
            .tcrBypass(T8110Regs.TCR_BYPASS_DAPF | T8110Regs.TCR_BYPASS_DART).tcr4Level(T8110Regs.TCR_FOUR_LEVEL)
            .ttbr(T8110Regs.TTBR).ttbrValid(T8110Regs.TTBR_VALID).ttbrAddrFieldShift(T8110Regs.TTBR_ADDR_FIELD_SHIFT)
            .ttbrShift(T8110Regs.TTBR_SHIFT).ttbrCount(T8110Regs.TTBR_COUNT)
            .params(T8110Family.INSTANCE).invalidator(T8110Family.INSTANCE).faultHandler(T8110Family.INSTANCE)
            .build();

    /** @return every built-in variant */
    public static List<DartHw> all() {
        return List.of(T8103, T6000, T8110);
    }

    private static DartHw t8020(String name, List<String> compatibles, DartLayout layout, String format, int oas) {
        return DartHw.builder()
                .name(name).compatibles(compatibles).layout(layout).pgtableFormat(format)
                .oas(oas).streams(16, List.of(T8020Regs.STREAMS_ENABLE))
                .lock(T8020Regs.CONFIG, T8020Regs.CONFIG_LOCK)
                .error(T8020Regs.ERROR)
                .tcr(T8020Regs.TCR).tcrEnabled(T8020Regs.TCR_TRANSLATE_ENABLE).tcrDisabled(0)
                .tcrBypass(T8020Regs.TCR_BYPASS_DAPF | T8020Regs.TCR_BYPASS_DART).tcr4Level(0)
                .ttbr(T8020Regs.TTBR).ttbrValid(T8020Regs.TTBR_VALID).ttbrAddrFieldShift(T8020Regs.TTBR_ADDR_FIELD_SHIFT)
                .ttbrShift(T8020Regs.TTBR_SHIFT).ttbrCount(T8020Regs.TTBR_COUNT)
                .params(T8020Family.INSTANCE).invalidator(T8020Family.INSTANCE).faultHandler(T8020Family.INSTANCE)
                .build();
    }

    private static List<Integer> words(int base, int count) {
        Integer[] out = new Integer[count];
        for (int i = 0; i < count; i++) {
            out[i] = base + 4 * i;
        }
        return List.of(out);
    }
}
