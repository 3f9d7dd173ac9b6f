package io.iommulab.dart.model.spi;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one DART variant is in silicon, before model options: its register layout family, streams,
 * TTBR array, page-table entry format, address sizes and bypass support (dart-facts §1.1; the
 * variants table of {@code dart-model/README.md}). Build one with {@link #builder} or, for a variant
 * that resembles a built-in one, with {@link #toBuilder} of a {@link DartModelFamilies} record.
 * Model options ({@code streams}, {@code ias}, {@code oas}, {@code bypass}) change the strapping of
 * one instance on top of this.
 *
 * @param name        variant name, e.g. {@code "t8103"}; also the {@value DartModelVariant#PROPERTY}
 *                    property of the variant's services
 * @param compatibles the DT compatible strings this silicon answers to; a node binds the variant of
 *                    its first compatible any variant lists, as Linux matches its table
 * @param family      register layout family (the registers, commands and error encoding)
 * @param format      page-table entry format the walker reads
 * @param streams     stream ids and, on T8020, the STREAMS_ENABLE words that cover them
 * @param ttbrBase    offset of TTBR[0][0] (t8103/t6000 0x200, usb4 0x400, T8110 0x1400);
 *                    {@link Family#ttbrsPerStream()} TTBRs per stream follow it
 * @param sizes       input and output address sizes (on T8110 the PARAMS3 VA_WIDTH / PA_WIDTH)
 * @param bypass      PARAMS2 bypass support: TCR BYPASS_DART passes IOVA = PA
 * @param pageShift   PARAMS1 page shift (14, 16 KiB pages, on every M1/M2 DART)
 * @param quirks      behaviours beyond the family's that the silicon needs, by name; the model
 *                    refuses (EINVAL naming the node) to build a DART whose variant names a quirk it
 *                    does not implement. This model implements none yet: a quirk is added to
 *                    {@code dart-model} (and its README) when silicon needs one
 */
public record DartModelHw(String name, List<String> compatibles, Family family, PteFormat format, Streams streams,
        int ttbrBase, AddressSizes sizes, boolean bypass, int pageShift, Set<String> quirks) {

    /** Most stream ids PARAMS4 NUM_SIDS can report (9 bits); Linux drives at most 256 (dart-facts §1.1). */
    public static final int MAX_STREAMS = 511;
    /** Widest address PARAMS3 can report (6-bit fields). */
    public static final int MAX_ADDRESS_BITS = 63;
    /** M1/M2 DARTs have 16 KiB pages "hardwired" (dart-facts §1.1). */
    public static final int PAGE_SHIFT_16K = 14;

    /** The register layout families of dart-facts §1.1 (T6000 uses the T8020 registers). */
    public enum Family {
        /** t8103, t8103-usb4, t6000: STREAM_SELECT/STREAM_COMMAND invalidation, 4 TTBRs per stream. */
        T8020(4),
        /** t8110, t6020: TLB_CMD invalidation, PARAMS3/4, one TTBR per stream, optional four-level walk. */
        T8110(1);

        private final int ttbrsPerStream;

        Family(int ttbrsPerStream) {
            this.ttbrsPerStream = ttbrsPerStream;
        }

        /** @return TTBRs per stream (T8020: four, selected by IOVA[37:36]; T8110: one) */
        public int ttbrsPerStream() {
            return ttbrsPerStream;
        }
    }

    /** The page-table entry layouts of dart-facts §2.2. */
    public enum PteFormat {
        /** {@code APPLE_DART}: PA [35:12] unshifted (t8103, usb4). */
        DART1,
        /** {@code APPLE_DART2}: PA [41:14] in bits [37:10] (t6000, T8110). */
        DART2
    }

    /**
     * @param count       stream ids (T8020: fixed; T8110: the PARAMS4 NUM_SIDS default, option {@code streams})
     * @param enableWords T8020: offset of each STREAMS_ENABLE word, word {@code i} covering streams
     *                    {@code 32i..32i+31} (usb4: 0xFC then 0xF8); empty on T8110, whose
     *                    ENABLE_STREAMS/DISABLE_STREAMS arrays are part of the family
     */
    public record Streams(int count, List<Integer> enableWords) {
        /** Copies the list so the record stays immutable. */
        public Streams {
            enableWords = List.copyOf(enableWords);
        }
    }

    /**
     * @param ias input (IOVA) address bits
     * @param oas output (physical) address bits
     */
    public record AddressSizes(int ias, int oas) {
    }

    /**
     * Checks the description is one the families can be: a variant bundle learns of a mistake when
     * it builds the record, not when a board boots.
     *
     * @throws IllegalArgumentException naming the variant, the field and the value
     * @throws NullPointerException     for a missing field
     */
    public DartModelHw {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(streams, "streams");
        Objects.requireNonNull(sizes, "sizes");
        compatibles = List.copyOf(compatibles);
        quirks = Set.copyOf(quirks);
        if (name.isBlank()) {
            throw new IllegalArgumentException("DART model variant: blank name");
        }
        if (compatibles.isEmpty()) {
            throw new IllegalArgumentException("DART model variant " + name + ": no compatible strings");
        }
        check(name, "streams.count", streams.count(), 1, MAX_STREAMS);
        check(name, "sizes.ias", sizes.ias(), 1, MAX_ADDRESS_BITS);
        check(name, "sizes.oas", sizes.oas(), 1, MAX_ADDRESS_BITS);
        // PARAMS1 [27:24]; below 4 KiB a table of 8-byte entries would not fill a page
        check(name, "pageShift", pageShift, 12, 15);
        int words = (streams.count() + 31) / 32;
        if (family == Family.T8020 && streams.enableWords().size() < words) {
            throw new IllegalArgumentException(String.format("DART model variant %s: %d STREAMS_ENABLE words cannot cover %d streams",
                    name, streams.enableWords().size(), streams.count()));
        }
        if (family == Family.T8110 && !streams.enableWords().isEmpty()) {
            throw new IllegalArgumentException("DART model variant " + name
                    + ": T8110 DARTs enable streams through ENABLE_STREAMS/DISABLE_STREAMS, not words at " + hex(streams.enableWords()));
        }
        for (int off : streams.enableWords()) {
            checkOffset(name, "streams.enableWords", off);
        }
        checkOffset(name, "ttbrBase", ttbrBase);
    }

    private static void check(String name, String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(String.format("DART model variant %s: %s %d is not in %d..%d", name, what, value, min, max));
        }
    }

    private static void checkOffset(String name, String what, int off) {
        if (off < 0 || (off & 3) != 0) {
            throw new IllegalArgumentException(String.format("DART model variant %s: %s offset 0x%x is not a 32-bit register offset",
                    name, what, off));
        }
    }

    private static String hex(List<Integer> offsets) {
        List<String> out = new ArrayList<>();
        offsets.forEach(o -> out.add("0x" + Integer.toHexString(o)));
        return String.join(", ", out);
    }

    /** @return a builder for a new variant; every field but {@code pageShift} (14) and {@code quirks} (none) must be set */
    public static Builder builder(String name) {
        return new Builder().name(name);
    }

    /** @return a builder holding this variant's fields, to derive a new variant from this one */
    public Builder toBuilder() {
        Builder b = new Builder().name(name).compatibles(compatibles).family(family).format(format)
                .streams(streams.count()).enableWords(streams.enableWords()).ttbrBase(ttbrBase)
                .ias(sizes.ias()).oas(sizes.oas()).bypass(bypass).pageShift(pageShift);
        b.quirks.addAll(quirks);
        return b;
    }

    /** Builds a {@link DartModelHw} by named fields; {@link #build} checks it. Not thread-safe. */
    public static final class Builder {
        private String name;
        private List<String> compatibles = List.of();
        private Family family;
        private PteFormat format;
        private int streams;
        private List<Integer> enableWords = List.of();
        private int ttbrBase = -1;
        private int ias;
        private int oas;
        private boolean bypass;
        private int pageShift = PAGE_SHIFT_16K;
        private final Set<String> quirks = new LinkedHashSet<>();

        private Builder() {
        }

        /** @return this, named {@code v} */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /** @return this, answering to these compatible strings (most specific first) */
        public Builder compatibles(String... v) {
            return compatibles(List.of(v));
        }

        /** @return this, answering to these compatible strings (most specific first) */
        public Builder compatibles(List<String> v) {
            compatibles = List.copyOf(v);
            return this;
        }

        /** @return this, with register layout family {@code v} */
        public Builder family(Family v) {
            family = v;
            return this;
        }

        /** @return this, with page-table entry format {@code v} */
        public Builder format(PteFormat v) {
            format = v;
            return this;
        }

        /** @return this, with {@code v} stream ids */
        public Builder streams(int v) {
            streams = v;
            return this;
        }

        /** @return this, with these T8020 STREAMS_ENABLE word offsets (word i covers streams 32i..32i+31) */
        public Builder enableWords(Integer... v) {
            return enableWords(List.of(v));
        }

        /** @return this, with these T8020 STREAMS_ENABLE word offsets (word i covers streams 32i..32i+31) */
        public Builder enableWords(List<Integer> v) {
            enableWords = List.copyOf(v);
            return this;
        }

        /** @return this, with TTBR[0][0] at offset {@code v} */
        public Builder ttbrBase(int v) {
            ttbrBase = v;
            return this;
        }

        /** @return this, with {@code v} input address bits */
        public Builder ias(int v) {
            ias = v;
            return this;
        }

        /** @return this, with {@code v} output address bits */
        public Builder oas(int v) {
            oas = v;
            return this;
        }

        /** @return this, with PARAMS2 bypass support {@code v} */
        public Builder bypass(boolean v) {
            bypass = v;
            return this;
        }

        /** @return this, with PARAMS1 page shift {@code v} */
        public Builder pageShift(int v) {
            pageShift = v;
            return this;
        }

        /** @return this, needing quirk {@code v} too */
        public Builder quirk(String v) {
            quirks.add(Objects.requireNonNull(v, "quirk"));
            return this;
        }

        /**
         * @return the variant
         * @throws IllegalArgumentException naming the variant, the field and the value that is wrong
         * @throws NullPointerException     naming a field that was never set
         */
        public DartModelHw build() {
            return new DartModelHw(name, compatibles, family, format, new Streams(streams, enableWords), ttbrBase,
                    new AddressSizes(ias, oas), bypass, pageShift, quirks);
        }
    }
}
