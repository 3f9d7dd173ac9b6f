package io.iommulab.dart.spi;

import java.util.List;
import java.util.Objects;

/**
 * One DART variant, as Linux's {@code struct apple_dart_hw} (dart-facts §1.1, §1.5, §1.6): its
 * register offsets and values as data, its behaviour differences as strategies. Register offsets
 * are byte offsets in the DART's MMIO window; register values are 32-bit.
 *
 * @param name               variant name, e.g. {@code "t8103"}; also the {@value DartVariant#PROPERTY}
 *                           service property of the variant and of its driver
 * @param compatibles        the DT compatible strings this variant binds (its of_match_table part)
 * @param layout             register-layout family (for register names in the shell)
 * @param pgtableFormat      io-pgtable format name ({@code apple-dart} = DART1, {@code apple-dart2} = DART2)
 * @param oas                output address bits for families whose PARAMS do not say (T8020/T6000)
 * @param maxSidCount        stream ids of families whose PARAMS do not say; the upper bound otherwise
 * @param lock               offset of the lock register (T8020 CONFIG, T8110 PROTECT)
 * @param lockBit            the bit of {@code lock} that means "locked down until reboot"
 * @param error              offset of the ERROR register
 * @param enableStreams      offsets of the 32-bit stream-enable words, word {@code i} covering SIDs
 *                           {@code 32i..32i+31}; reset writes all-ones to the first
 *                           {@code ceil(numStreams / 32)} of them
 * @param tcr                offset of TCR[0]; TCR[sid] is at {@code tcr + 4·sid}
 * @param tcrEnabled         TCR value for translation (three levels)
 * @param tcrDisabled        TCR value for blocked streams
 * @param tcrBypass          TCR value for bypass (identity)
 * @param tcr4Level          bits ORed into {@code tcrEnabled} for four-level tables (0 if none)
 * @param ttbr               offset of TTBR[0][0]; TTBR[sid][idx] is at {@code ttbr + 4·(ttbrCount·sid + idx)}
 * @param ttbrValid          the TTBR VALID bit
 * @param ttbrAddrFieldShift where the shifted table address sits in a TTBR
 * @param ttbrShift          how far the table's physical address is shifted right (its alignment)
 * @param ttbrCount          TTBRs per stream
 * @param params             how probe reads IAS/OAS/streams/page size
 * @param invalidator        how the IOTLB of streams is invalidated
 * @param faultHandler       how errors are read, decoded and cleared
 */
public record DartHw(String name, List<String> compatibles, DartLayout layout, String pgtableFormat, int oas,
        int maxSidCount, int lock, int lockBit, int error, List<Integer> enableStreams, int tcr, int tcrEnabled,
        int tcrDisabled, int tcrBypass, int tcr4Level, int ttbr, int ttbrValid, int ttbrAddrFieldShift,
        int ttbrShift, int ttbrCount, DartParamsReader params, DartTlbInvalidator invalidator,
        DartFaultHandler faultHandler) {

    /** DART_MAX_STREAMS: the driver's bitmaps hold 256 stream ids. */
    public static final int MAX_STREAMS = 256;
    /** DART_MAX_TTBR */
    public static final int MAX_TTBRS = 4;

    /**
     * Checks the description is usable; a variant bundle learns of a mistake when it builds the record.
     *
     * @throws IllegalArgumentException naming the field and the value
     */
    public DartHw {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(pgtableFormat, "pgtableFormat");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(invalidator, "invalidator");
        Objects.requireNonNull(faultHandler, "faultHandler");
        compatibles = List.copyOf(compatibles);
        enableStreams = List.copyOf(enableStreams);
        if (compatibles.isEmpty()) {
            throw new IllegalArgumentException("DART variant " + name + ": no compatible strings");
        }
        if (maxSidCount < 1 || maxSidCount > MAX_STREAMS) {
            throw new IllegalArgumentException("DART variant " + name + ": maxSidCount " + maxSidCount
                    + " is not in 1.." + MAX_STREAMS);
        }
        if (ttbrCount < 1 || ttbrCount > MAX_TTBRS) {
            throw new IllegalArgumentException("DART variant " + name + ": ttbrCount " + ttbrCount
                    + " is not in 1.." + MAX_TTBRS);
        }
        if (enableStreams.size() < (maxSidCount + 31) / 32) {
            throw new IllegalArgumentException("DART variant " + name + ": " + enableStreams.size()
                    + " stream-enable words cannot cover " + maxSidCount + " streams");
        }
        for (int off : enableStreams) {
            checkOffset(name, "enableStreams word", off);
        }
        checkOffset(name, "lock", lock);
        checkOffset(name, "error", error);
        checkOffset(name, "tcr", tcr);
        checkOffset(name, "ttbr", ttbr);
    }

    private static void checkOffset(String name, String what, int off) {
        if (off < 0 || (off & 3) != 0) {
            throw new IllegalArgumentException(String.format("DART variant %s: %s offset 0x%x is not a 32-bit register offset",
                    name, what, off));
        }
    }

    /** @return DART_TCR(dart, sid): the offset of stream {@code sid}'s TCR */
    public int tcrOffset(int sid) {
        return tcr + (sid << 2);
    }

    /** @return DART_TTBR(dart, sid, idx): the offset of TTBR {@code idx} of stream {@code sid} */
    public int ttbrOffset(int sid, int idx) {
        return ttbr + ((ttbrCount * sid + idx) << 2);
    }

    /** @return the TTBR value pointing at a top-level table at {@code pa} (apple_dart_hw_set_ttbr) */
    public int ttbrValue(long pa) {
        return ttbrValid | (int) ((pa >>> ttbrShift) << ttbrAddrFieldShift);
    }

    /** @return the table address a TTBR value points at, when {@code ttbrValid} is set in it */
    public long ttbrAddress(int value) {
        long field = (value & ~ttbrValid & 0xffff_ffffL) >>> ttbrAddrFieldShift;
        return field << ttbrShift;
    }

    /** @return a copy with another name and compatible list (a new variant of the same family) */
    public DartHw withIdentity(String newName, List<String> newCompatibles) {
        return new DartHw(newName, newCompatibles, layout, pgtableFormat, oas, maxSidCount, lock, lockBit, error,
                enableStreams, tcr, tcrEnabled, tcrDisabled, tcrBypass, tcr4Level, ttbr, ttbrValid,
                ttbrAddrFieldShift, ttbrShift, ttbrCount, params, invalidator, faultHandler);
    }

    /** @return a copy with another stream count and stream-enable word offsets */
    public DartHw withStreams(int newMaxSidCount, List<Integer> newEnableStreams) {
        return new DartHw(name, compatibles, layout, pgtableFormat, oas, newMaxSidCount, lock, lockBit, error,
                newEnableStreams, tcr, tcrEnabled, tcrDisabled, tcrBypass, tcr4Level, ttbr, ttbrValid,
                ttbrAddrFieldShift, ttbrShift, ttbrCount, params, invalidator, faultHandler);
    }

    /** @return a copy whose TTBR array starts at another offset */
    public DartHw withTtbr(int newTtbr) {
        return new DartHw(name, compatibles, layout, pgtableFormat, oas, maxSidCount, lock, lockBit, error,
                enableStreams, tcr, tcrEnabled, tcrDisabled, tcrBypass, tcr4Level, newTtbr, ttbrValid,
                ttbrAddrFieldShift, ttbrShift, ttbrCount, params, invalidator, faultHandler);
    }

    /** @return a copy with another TCR bypass value */
    public DartHw withTcrBypass(int newTcrBypass) {
        return new DartHw(name, compatibles, layout, pgtableFormat, oas, maxSidCount, lock, lockBit, error,
                enableStreams, tcr, tcrEnabled, tcrDisabled, newTcrBypass, tcr4Level, ttbr, ttbrValid,
                ttbrAddrFieldShift, ttbrShift, ttbrCount, params, invalidator, faultHandler);
    }

    /** @return a copy with other strategies (null keeps the current one) */
    public DartHw withStrategies(DartParamsReader newParams, DartTlbInvalidator newInvalidator,
            DartFaultHandler newFaultHandler) {
        return new DartHw(name, compatibles, layout, pgtableFormat, oas, maxSidCount, lock, lockBit, error,
                enableStreams, tcr, tcrEnabled, tcrDisabled, tcrBypass, tcr4Level, ttbr, ttbrValid,
                ttbrAddrFieldShift, ttbrShift, ttbrCount, newParams != null ? newParams : params,
                newInvalidator != null ? newInvalidator : invalidator,
                newFaultHandler != null ? newFaultHandler : faultHandler);
    }
}
