package io.iommulab.dart.model.impl;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.dart.model.spi.DartModelHw;
import java.util.Set;
import java.util.TreeSet;

/**
 * The strapping of one DART instance: its variant with the model options applied ({@code dart-model/README.md},
 * "Model options"). Options come from the node's {@code iommulab,model-options} and the machine
 * properties {@code iommulab.model.<node-path>.<key>}, already merged by the machine.
 *
 * @param variant      the variant after {@code streams}, {@code ias}, {@code oas}, {@code bypass}
 * @param locked       option {@code locked}: CONFIG.LOCK / PROTECT bit 0 reads set and software
 *                     writes to TCR and TTBR are ignored (default false)
 * @param busyStuck    option {@code busy-stuck}: once a command is issued, BUSY reads 1 for ever
 *                     and nothing is invalidated; before the first command it reads 0 (model
 *                     choice) (default false)
 * @param iotlbEntries option {@code iotlb-entries}: IOTLB capacity per stream, 0 = no IOTLB
 *                     (default {@value #DEFAULT_IOTLB_ENTRIES})
 * @param busyPolls    option {@code busy-polls}: reads of the command register that still see BUSY
 *                     after a command (default 0: the simulated DART finishes a command within the
 *                     write, so a driver's poll loop sees BUSY clear at once; set it to exercise
 *                     the loop; the invalidation itself is done before BUSY is first read either way)
 */
public record DartConfig(DartModelHw variant, boolean locked, boolean busyStuck, int iotlbEntries, int busyPolls) {

    /** Default IOTLB capacity per stream. */
    public static final int DEFAULT_IOTLB_ENTRIES = 64;
    /** Largest IOTLB capacity per stream the model accepts. */
    public static final int MAX_IOTLB_ENTRIES = 4096;
    /** Largest PARAMS4 NUM_SIDS (9-bit field); the driver refuses more than 256 (dart-facts §1.1). */
    public static final int MAX_STREAMS = DartModelHw.MAX_STREAMS;

    /** Option keys. */
    public static final String LOCKED = "locked";
    /** Option key: BUSY never clears. */
    public static final String BUSY_STUCK = "busy-stuck";
    /** Option key: IOTLB entries per stream. */
    public static final String IOTLB_ENTRIES = "iotlb-entries";
    /** Option key: reads that see BUSY after each command. */
    public static final String BUSY_POLLS = "busy-polls";
    /** Largest {@code busy-polls}: beyond the 100 polls of the driver's timeout it is busy-stuck. */
    public static final int MAX_BUSY_POLLS = 1000;
    /** Option key: T8110 NUM_SIDS. */
    public static final String STREAMS = "streams";
    /** Option key: T8110 VA_WIDTH. */
    public static final String IAS = "ias";
    /** Option key: T8110 PA_WIDTH. */
    public static final String OAS = "oas";
    /** Option key: PARAMS2 bypass support. */
    public static final String BYPASS = "bypass";

    private static final Set<String> KNOWN = Set.of(LOCKED, BUSY_STUCK, BUSY_POLLS, IOTLB_ENTRIES, STREAMS, IAS,
            OAS, BYPASS);
    private static final Set<String> T8110_ONLY = Set.of(STREAMS, IAS, OAS);

    /**
     * Decodes the options of a node. Nothing is built when an option is wrong.
     *
     * @param variant the variant its compatible selected
     * @param options the node's options
     * @throws IommuException EINVAL naming the node, the key and the value of an unknown key, a
     *         value that does not parse or is out of range, or a T8110-only key on a T8020 DART
     */
    public static DartConfig from(DartModelHw variant, ModelOptions options) {
        options.requireKnown(KNOWN);
        if (variant.family() != DartModelHw.Family.T8110) {
            for (String key : new TreeSet<>(T8110_ONLY)) {
                if (options.has(key)) {
                    // PARAMS3/PARAMS4 exist only on T8110; a T8020's stream count and widths are fixed
                    // (dart-facts §1.1), so such an option is refused rather than ignored (model choice).
                    throw options.invalid(key, "applies only to T8110 DARTs, not " + variant.compatibles().get(0));
                }
            }
        }
        DartModelHw.AddressSizes sizes = variant.sizes();
        DartModelHw strapped = variant.toBuilder()
                .streams(options.integer(STREAMS, variant.streams().count(), 1, MAX_STREAMS))
                .ias(options.integer(IAS, sizes.ias(), 1, T8110Regs.PARAMS3_WIDTH_MASK))
                .oas(options.integer(OAS, sizes.oas(), 1, T8110Regs.PARAMS3_WIDTH_MASK))
                .bypass(options.bool(BYPASS, variant.bypass()))
                .build();
        return new DartConfig(strapped,
                options.bool(LOCKED, false),
                options.bool(BUSY_STUCK, false),
                options.integer(IOTLB_ENTRIES, DEFAULT_IOTLB_ENTRIES, 0, MAX_IOTLB_ENTRIES),
                options.integer(BUSY_POLLS, 0, 0, MAX_BUSY_POLLS));
    }

    /** @return number of SIDs (PARAMS4 on T8110) */
    public int sids() {
        return variant.streams().count();
    }

    /**
     * @return SIDs that have stream state (TCR, TTBRs, enable bit, IOTLB): all of them on T8020; on
     *         T8110 at most the streams whose TCR lies below the TTBR array ({@link T8110Regs#maxSidsWithRegs})
     */
    public int sidsWithRegs() {
        return variant.family() == DartModelHw.Family.T8110
                ? Math.min(sids(), T8110Regs.maxSidsWithRegs(variant.ttbrBase())) : sids();
    }
}
