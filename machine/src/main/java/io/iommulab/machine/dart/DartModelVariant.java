package io.iommulab.machine.dart;

import java.util.List;
import java.util.Optional;

/**
 * What one DART compatible is in silicon, before model options: the register layout family, the
 * stream count, the TTBR arrangement, the PTE format and the address sizes (dart-facts §1.1, the
 * model contract's compatibles table). Variants are data; the family's behaviour lives in
 * {@link T8020Layout} / {@link T8110Layout}.
 *
 * @param compatible   the DT compatible string
 * @param family       register layout family
 * @param format       page-table entry format the walker reads
 * @param sids         number of SIDs (T8110: the PARAMS4 default, option {@code streams})
 * @param ttbrsPerSid  TTBRs per SID (4 on T8020, selected by IOVA[37:36]; 1 on T8110)
 * @param ttbrBase     offset of TTBR[0][0]
 * @param oas          output address size (T8110: PARAMS3 PA_WIDTH default, option {@code oas})
 * @param ias          input address size (T8110: PARAMS3 VA_WIDTH default, option {@code ias})
 * @param bypass       PARAMS2 bypass support (option {@code bypass})
 * @param enableWords  T8020 only: offset of each STREAMS_ENABLE word, one per 32 SIDs (usb4: its
 *                     second word at 0xF8, model choice after dart-facts §1.9 (b)); empty on T8110,
 *                     which has the ENABLE_STREAMS/DISABLE_STREAMS arrays
 * @param pageShift    PARAMS1 page shift (14: 16 KiB pages on every M1/M2 DART)
 */
public record DartModelVariant(String compatible, Family family, DartPteFormat format, int sids, int ttbrsPerSid,
                               int ttbrBase, int oas, int ias, boolean bypass, List<Integer> enableWords,
                               int pageShift) {

    /** The register layout families of dart-facts §1.1 (T6000 uses the T8020 registers). */
    public enum Family {
        /** t8103, t8103-usb4, t6000: STREAM_SELECT/STREAM_COMMAND invalidation, 4 TTBRs per SID. */
        T8020,
        /** t8110, t6020: TLB_CMD invalidation, PARAMS3/4, one TTBR per SID, optional four-level walk. */
        T8110
    }

    /** M1/M2 DARTs have 16 KiB pages "hardwired" (dart-facts §1.1). */
    public static final int PAGE_SHIFT_16K = 14;

    /** apple,t8103-dart: M1 DARTs. */
    public static final DartModelVariant T8103 = new DartModelVariant("apple,t8103-dart", Family.T8020,
            DartPteFormat.DART1, 16, T8020Regs.TTBR_COUNT, T8020Regs.TTBR, 36, 32, true,
            List.of(T8020Regs.STREAMS_ENABLE), PAGE_SHIFT_16K);

    /** apple,t8103-usb4-dart: the Thunderbolt DART, 64 SIDs, TTBRs at 0x400, no bypass. */
    public static final DartModelVariant T8103_USB4 = new DartModelVariant("apple,t8103-usb4-dart", Family.T8020,
            DartPteFormat.DART1, 64, T8020Regs.TTBR_COUNT, T8020Regs.USB4_TTBR, 36, 32, false,
            List.of(T8020Regs.STREAMS_ENABLE, T8020Regs.USB4_STREAMS_ENABLE_1), PAGE_SHIFT_16K);

    /** apple,t6000-dart: M1 Pro/Max, T8020 registers with DART2 entries and OAS 42. */
    public static final DartModelVariant T6000 = new DartModelVariant("apple,t6000-dart", Family.T8020,
            DartPteFormat.DART2, 16, T8020Regs.TTBR_COUNT, T8020Regs.TTBR, 42, 32, true,
            List.of(T8020Regs.STREAMS_ENABLE), PAGE_SHIFT_16K);

    /** apple,t8110-dart: M2, parameters from PARAMS3/4 (defaults 16 SIDs, IAS 36, OAS 42). */
    public static final DartModelVariant T8110 = new DartModelVariant("apple,t8110-dart", Family.T8110,
            DartPteFormat.DART2, 16, 1, T8110Regs.TTBR, 42, 36, true, List.of(), PAGE_SHIFT_16K);

    /** apple,t6020-dart: M2 Pro/Max, a T8110 reporting IAS 42 (four-level tables, dart-facts §2.1). */
    public static final DartModelVariant T6020 = new DartModelVariant("apple,t6020-dart", Family.T8110,
            DartPteFormat.DART2, 16, 1, T8110Regs.TTBR, 42, 42, true, List.of(), PAGE_SHIFT_16K);

    /** Every variant the model implements. */
    public static final List<DartModelVariant> ALL = List.of(T8103, T8103_USB4, T6000, T8110, T6020);

    /** Copies the list so the record stays immutable. */
    public DartModelVariant {
        enableWords = List.copyOf(enableWords);
    }

    /**
     * Picks the variant for a node: the first of its compatibles the model knows, as Linux matches
     * the first table entry (dart-facts §1.1).
     *
     * @return the variant, empty if none of the strings is a DART the model implements
     */
    public static Optional<DartModelVariant> forCompatibles(List<String> compatibles) {
        for (String c : compatibles) {
            for (DartModelVariant v : ALL) {
                if (v.compatible.equals(c)) {
                    return Optional.of(v);
                }
            }
        }
        return Optional.empty();
    }

    /** @return the compatible strings of every variant */
    public static List<String> compatibles() {
        return ALL.stream().map(DartModelVariant::compatible).toList();
    }

    /** @return the same variant with the strapping the model options chose */
    DartModelVariant with(int newSids, int newIas, int newOas, boolean newBypass) {
        return new DartModelVariant(compatible, family, format, newSids, ttbrsPerSid, ttbrBase, newOas, newIas,
                newBypass, enableWords, pageShift);
    }
}
