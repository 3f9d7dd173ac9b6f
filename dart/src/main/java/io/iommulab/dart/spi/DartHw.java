package io.iommulab.dart.spi;

import java.util.List;
import java.util.Objects;

/**
 * One DART variant, as Linux's {@code struct apple_dart_hw} (dart-facts §1.1, §1.5, §1.6): its
 * register offsets and values as data, its behaviour differences as strategies. The fields are
 * grouped as the C struct lists them: what the variant is, its sizes, the DART-wide registers, the
 * per-stream TCR and TTBR arrays, and the strategies that stand for its function pointers. Register
 * offsets are byte offsets in the DART's MMIO window; register values are 32-bit.
 *
 * <p>Build one with {@link #builder()}, or start from a built-in record ({@link DartFamilies}) with
 * {@link #toBuilder()} and change what differs. The record checks itself when it is built.
 *
 * @param identity   name, compatibles, register layout and page-table format
 * @param sizes      output address bits and stream count
 * @param global     the DART-wide registers: lock, ERROR, stream-enable words
 * @param tcr        the TCR array and its values
 * @param ttbr       the TTBR array and how a table address is encoded in it
 * @param strategies how params are read, the IOTLB invalidated and errors handled
 */
public record DartHw(Identity identity, Sizes sizes, Global global, Tcr tcr, Ttbr ttbr, Strategies strategies) {

    /** DART_MAX_STREAMS: the driver's bitmaps hold 256 stream ids. */
    public static final int MAX_STREAMS = 256;
    /** DART_MAX_TTBR */
    public static final int MAX_TTBRS = 4;

    /**
     * What the variant is.
     *
     * @param name          variant name, e.g. {@code "t8103"}; also the {@value DartVariant#PROPERTY}
     *                      service property of the variant and of its driver
     * @param compatibles   the DT compatible strings this variant binds (its of_match_table part)
     * @param layout        register-layout family ({@code type}; for register names in the shell)
     * @param pgtableFormat io-pgtable format name ({@code fmt}: {@code apple-dart} = DART1,
     *                      {@code apple-dart2} = DART2)
     */
    public record Identity(String name, List<String> compatibles, DartLayout layout, String pgtableFormat) {
        public Identity {
            compatibles = compatibles == null ? null : List.copyOf(compatibles);
        }
    }

    /**
     * @param oas         output address bits for families whose PARAMS do not say (T8020/T6000)
     * @param maxSidCount stream ids of families whose PARAMS do not say; the upper bound otherwise
     */
    public record Sizes(int oas, int maxSidCount) {
    }

    /**
     * The DART-wide registers.
     *
     * @param lock          offset of the lock register (T8020 CONFIG, T8110 PROTECT)
     * @param lockBit       the bit of {@code lock} that means "locked down until reboot"
     * @param error         offset of the ERROR register
     * @param enableStreams offsets of the 32-bit stream-enable words, word {@code i} covering SIDs
     *                      {@code 32i..32i+31}; reset writes all-ones to the first
     *                      {@code ceil(numStreams / 32)} of them
     */
    public record Global(int lock, int lockBit, int error, List<Integer> enableStreams) {
        public Global {
            enableStreams = enableStreams == null ? null : List.copyOf(enableStreams);
        }
    }

    /**
     * The per-stream translation control registers.
     *
     * @param base      offset of TCR[0]
     * @param enabled   value for translation (three levels)
     * @param disabled  value for blocked streams
     * @param bypass    value for bypass (identity)
     * @param fourLevel bits ORed into {@code enabled} for four-level tables (0 if none)
     */
    public record Tcr(int base, int enabled, int disabled, int bypass, int fourLevel) {

        /** @return DART_TCR(dart, sid): the offset of stream {@code sid}'s TCR */
        public int offset(int sid) {
            return base + (sid << 2);
        }
    }

    /**
     * The per-stream translation table base registers.
     *
     * @param base           offset of TTBR[0][0]
     * @param valid          the VALID bit
     * @param addrFieldShift where the shifted table address sits in a TTBR
     * @param shift          how far the table's physical address is shifted right (its alignment)
     * @param count          TTBRs per stream
     */
    public record Ttbr(int base, int valid, int addrFieldShift, int shift, int count) {

        /** @return DART_TTBR(dart, sid, idx): the offset of TTBR {@code idx} of stream {@code sid} */
        public int offset(int sid, int idx) {
            return base + ((count * sid + idx) << 2);
        }

        /** @return the TTBR value pointing at a top-level table at {@code pa} (apple_dart_hw_set_ttbr) */
        public int value(long pa) {
            return valid | (int) ((pa >>> shift) << addrFieldShift);
        }

        /** @return the table address a TTBR value points at, when {@code valid} is set in it */
        public long address(int value) {
            long field = (value & ~valid & 0xffff_ffffL) >>> addrFieldShift;
            return field << shift;
        }
    }

    /**
     * The behaviour that differs between families: Linux's {@code invalidate_tlb} and
     * {@code irq_handler} pointers, and the PARAMS reading that its probe switches on {@code type}.
     *
     * @param params       how probe reads IAS/OAS/streams/page size
     * @param invalidator  how the IOTLB of streams is invalidated
     * @param faultHandler how errors are read, decoded and cleared
     */
    public record Strategies(DartParamsReader params, DartTlbInvalidator invalidator, DartFaultHandler faultHandler) {
    }

    /**
     * Checks the description is usable; a variant bundle learns of a mistake when it builds the record.
     *
     * @throws IllegalArgumentException naming the field and the value
     * @throws NullPointerException     naming the missing field
     */
    public DartHw {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(sizes, "sizes");
        Objects.requireNonNull(global, "global");
        Objects.requireNonNull(tcr, "tcr");
        Objects.requireNonNull(ttbr, "ttbr");
        Objects.requireNonNull(strategies, "strategies");
        String name = Objects.requireNonNull(identity.name(), "name");
        Objects.requireNonNull(identity.layout(), "layout");
        Objects.requireNonNull(identity.pgtableFormat(), "pgtableFormat");
        Objects.requireNonNull(strategies.params(), "params");
        Objects.requireNonNull(strategies.invalidator(), "invalidator");
        Objects.requireNonNull(strategies.faultHandler(), "faultHandler");
        Objects.requireNonNull(identity.compatibles(), "compatibles");
        Objects.requireNonNull(global.enableStreams(), "enableStreams");
        if (identity.compatibles().isEmpty()) {
            throw new IllegalArgumentException("DART variant " + name + ": no compatible strings");
        }
        int maxSidCount = sizes.maxSidCount();
        if (maxSidCount < 1 || maxSidCount > MAX_STREAMS) {
            throw new IllegalArgumentException("DART variant " + name + ": maxSidCount " + maxSidCount
                    + " is not in 1.." + MAX_STREAMS);
        }
        if (ttbr.count() < 1 || ttbr.count() > MAX_TTBRS) {
            throw new IllegalArgumentException("DART variant " + name + ": ttbrCount " + ttbr.count()
                    + " is not in 1.." + MAX_TTBRS);
        }
        List<Integer> enableStreams = global.enableStreams();
        if (enableStreams.size() < (maxSidCount + 31) / 32) {
            throw new IllegalArgumentException("DART variant " + name + ": " + enableStreams.size()
                    + " stream-enable words cannot cover " + maxSidCount + " streams");
        }
        for (int off : enableStreams) {
            checkOffset(name, "enableStreams word", off);
        }
        checkOffset(name, "lock", global.lock());
        checkOffset(name, "error", global.error());
        checkOffset(name, "tcr", tcr.base());
        checkOffset(name, "ttbr", ttbr.base());
        // Every stream's TCR and TTBRs are written at reset and attach: arrays that overlap would let
        // one stream's TCR write land on another's TTBR (a made-up variant's stream count or TTBR base).
        long tcrEnd = tcr.base() + 4L * maxSidCount;
        long ttbrEnd = ttbr.base() + 4L * ttbr.count() * maxSidCount;
        if (tcr.base() < ttbrEnd && ttbr.base() < tcrEnd) {
            throw new IllegalArgumentException(String.format("DART variant %s: the TCRs of %d streams (0x%x..0x%x) overlap"
                    + " the TTBRs (0x%x..0x%x)", name, maxSidCount, tcr.base(), tcrEnd - 1, ttbr.base(), ttbrEnd - 1));
        }
    }

    private static void checkOffset(String name, String what, int off) {
        if (off < 0 || (off & 3) != 0) {
            throw new IllegalArgumentException(String.format("DART variant %s: %s offset 0x%x is not a 32-bit register offset",
                    name, what, off));
        }
    }

    /** @return an empty builder: every field to set, the integers starting at 0 as in a C initializer */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this record's fields, to derive a variant that differs in a few */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = identity.name();
        b.compatibles = identity.compatibles();
        b.layout = identity.layout();
        b.pgtableFormat = identity.pgtableFormat();
        b.oas = sizes.oas();
        b.maxSidCount = sizes.maxSidCount();
        b.lock = global.lock();
        b.lockBit = global.lockBit();
        b.error = global.error();
        b.enableStreams = global.enableStreams();
        b.tcr = tcr.base();
        b.tcrEnabled = tcr.enabled();
        b.tcrDisabled = tcr.disabled();
        b.tcrBypass = tcr.bypass();
        b.tcr4Level = tcr.fourLevel();
        b.ttbr = ttbr.base();
        b.ttbrValid = ttbr.valid();
        b.ttbrAddrFieldShift = ttbr.addrFieldShift();
        b.ttbrShift = ttbr.shift();
        b.ttbrCount = ttbr.count();
        b.params = strategies.params();
        b.invalidator = strategies.invalidator();
        b.faultHandler = strategies.faultHandler();
        return b;
    }

    /**
     * Named setters for the fields of {@code struct apple_dart_hw}; {@link #build()} makes the record,
     * which checks it.
     */
    public static final class Builder {
        private String name;
        private List<String> compatibles;
        private DartLayout layout;
        private String pgtableFormat;
        private int oas;
        private int maxSidCount;
        private int lock;
        private int lockBit;
        private int error;
        private List<Integer> enableStreams;
        private int tcr;
        private int tcrEnabled;
        private int tcrDisabled;
        private int tcrBypass;
        private int tcr4Level;
        private int ttbr;
        private int ttbrValid;
        private int ttbrAddrFieldShift;
        private int ttbrShift;
        private int ttbrCount;
        private DartParamsReader params;
        private DartTlbInvalidator invalidator;
        private DartFaultHandler faultHandler;

        private Builder() {
        }

        /** @param v variant name; also the {@value DartVariant#PROPERTY} service property */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /** @param v the DT compatible strings the variant binds */
        public Builder compatibles(List<String> v) {
            compatibles = v;
            return this;
        }

        /** @param v the register-layout family */
        public Builder layout(DartLayout v) {
            layout = v;
            return this;
        }

        /** @param v io-pgtable format name */
        public Builder pgtableFormat(String v) {
            pgtableFormat = v;
            return this;
        }

        /** @param v output address bits, where PARAMS do not say */
        public Builder oas(int v) {
            oas = v;
            return this;
        }

        /**
         * The stream count and the words that enable them; set together, as each stream needs a word.
         *
         * @param maxSidCount   stream ids (the upper bound where PARAMS say)
         * @param enableStreams offsets of the stream-enable words, one per 32 streams
         */
        public Builder streams(int maxSidCount, List<Integer> enableStreams) {
            this.maxSidCount = maxSidCount;
            this.enableStreams = enableStreams;
            return this;
        }

        /**
         * @param offset the lock register (T8020 CONFIG, T8110 PROTECT)
         * @param bit    the bit of it that means "locked down until reboot"
         */
        public Builder lock(int offset, int bit) {
            lock = offset;
            lockBit = bit;
            return this;
        }

        /** @param offset the ERROR register */
        public Builder error(int offset) {
            error = offset;
            return this;
        }

        /** @param offset TCR[0] */
        public Builder tcr(int offset) {
            tcr = offset;
            return this;
        }

        /** @param v TCR value for translation */
        public Builder tcrEnabled(int v) {
            tcrEnabled = v;
            return this;
        }

        /** @param v TCR value for blocked streams */
        public Builder tcrDisabled(int v) {
            tcrDisabled = v;
            return this;
        }

        /** @param v TCR value for bypass (0 where the DART has none) */
        public Builder tcrBypass(int v) {
            tcrBypass = v;
            return this;
        }

        /** @param v TCR bits for four-level tables */
        public Builder tcr4Level(int v) {
            tcr4Level = v;
            return this;
        }

        /** @param offset TTBR[0][0] */
        public Builder ttbr(int offset) {
            ttbr = offset;
            return this;
        }

        /** @param v the TTBR VALID bit */
        public Builder ttbrValid(int v) {
            ttbrValid = v;
            return this;
        }

        /** @param v where the shifted table address sits in a TTBR */
        public Builder ttbrAddrFieldShift(int v) {
            ttbrAddrFieldShift = v;
            return this;
        }

        /** @param v how far a table address is shifted right */
        public Builder ttbrShift(int v) {
            ttbrShift = v;
            return this;
        }

        /** @param v TTBRs per stream */
        public Builder ttbrCount(int v) {
            ttbrCount = v;
            return this;
        }

        /** @param v how probe reads the DART's parameters */
        public Builder params(DartParamsReader v) {
            params = v;
            return this;
        }

        /** @param v how the IOTLB is invalidated */
        public Builder invalidator(DartTlbInvalidator v) {
            invalidator = v;
            return this;
        }

        /** @param v how errors are read, decoded and cleared */
        public Builder faultHandler(DartFaultHandler v) {
            faultHandler = v;
            return this;
        }

        /**
         * @return the record
         * @throws IllegalArgumentException naming the field and the value, as the record's constructor
         * @throws NullPointerException     naming a field that was never set
         */
        public DartHw build() {
            return new DartHw(new Identity(name, compatibles, layout, pgtableFormat), new Sizes(oas, maxSidCount),
                    new Global(lock, lockBit, error, enableStreams),
                    new Tcr(tcr, tcrEnabled, tcrDisabled, tcrBypass, tcr4Level),
                    new Ttbr(ttbr, ttbrValid, ttbrAddrFieldShift, ttbrShift, ttbrCount),
                    new Strategies(params, invalidator, faultHandler));
        }
    }
}
