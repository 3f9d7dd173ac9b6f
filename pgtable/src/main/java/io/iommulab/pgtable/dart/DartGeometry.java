package io.iommulab.pgtable.dart;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;

/**
 * Level geometry of a DART table, derived from a configuration as io-pgtable-dart derives it
 * (dart-facts §2.1): {@code bits_per_level = log2(pg) − 3}, {@code va_bits = IAS − log2(pg)},
 * {@code L = max(2, ceil((va_bits − max_tbl_bits) / bpl)) ≤ 3} table levels and
 * {@code tbl_bits = max(0, va_bits − L·bpl) ≤ max_tbl_bits}, giving {@code 2^tbl_bits} TTBRs and
 * {@code L + 1} levels as Linux reports them (the TTBR counts as a level).
 *
 * @param pgShift     log2 of the page size (12 or 14); every table is one page
 * @param bitsPerLevel index bits per table level
 * @param tableLevels L: table levels below the TTBR (2 or 3)
 * @param tblBits     bits of IOVA selecting the TTBR
 * @param ias         input address bits
 */
public record DartGeometry(int pgShift, int bitsPerLevel, int tableLevels, int tblBits, int ias) {

    /** At most three table levels (DART_MAX_LEVELS), 4 with the TTBR. */
    public static final int MAX_TABLE_LEVELS = 3;
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_16K = 1L << 14;

    /**
     * Validates {@code config} for {@code format} and derives the geometry.
     *
     * @throws IommuException EINVAL naming the format, the field and the value not supported
     */
    public static DartGeometry of(DartFormat format, PageTableConfig config) {
        String name = format.name();
        if (!config.coherentWalk()) {
            throw unsupported(name, "non-coherent table walk", "coherent_walk=false",
                    "the DART formats require coherent_walk");
        }
        if (config.oas() != format.oas()) {
            throw unsupported(name, "output address size", Integer.toString(config.oas()),
                    "OAS must be " + format.oas());
        }
        long bitmap = config.pgsizeBitmap();
        int pgShift;
        if (bitmap == SZ_16K) {
            pgShift = 14;
        } else if (bitmap == SZ_4K && format.paShift() == 0) {
            pgShift = 12;
        } else if (bitmap == SZ_4K) {
            // PA >> 4 in PTE[37:10] holds PA[41:14] only: 4 KiB output pages cannot be encoded.
            throw unsupported(name, "page-size bitmap", "0x" + Long.toHexString(bitmap),
                    "a DART2 PTE holds PA[41:14], so output pages must be 16 KiB (0x4000)");
        } else {
            throw unsupported(name, "page-size bitmap", "0x" + Long.toHexString(bitmap),
                    "exactly one page size: 0x1000 or 0x4000");
        }
        int ias = config.ias();
        if (ias > config.oas()) {
            throw unsupported(name, "input address size", Integer.toString(ias),
                    "IAS must be <= OAS " + config.oas());
        }
        if (ias < pgShift) {
            throw unsupported(name, "input address size", Integer.toString(ias),
                    "IAS must cover at least one page of 2^" + pgShift + " bytes");
        }
        int bpl = pgShift - 3;
        int vaBits = ias - pgShift;
        int maxTblBits = pgShift == 12 ? 2 : 0;
        int rest = vaBits - maxTblBits;
        int levels = Math.max(2, rest <= 0 ? 0 : (rest + bpl - 1) / bpl);
        if (levels > MAX_TABLE_LEVELS) {
            throw unsupported(name, "table levels", Integer.toString(levels),
                    "IAS " + ias + " with 2^" + pgShift + "-byte pages needs " + levels + " table levels; at most "
                            + MAX_TABLE_LEVELS);
        }
        int tblBits = Math.max(0, vaBits - levels * bpl);
        if (tblBits > maxTblBits) {
            throw unsupported(name, "top-level table bits", Integer.toString(tblBits),
                    "at most " + maxTblBits + " for 2^" + pgShift + "-byte pages");
        }
        return new DartGeometry(pgShift, bpl, levels, tblBits, ias);
    }


    private static IommuException unsupported(String format, String what, String value, String why) {
        return new IommuException(Errno.EINVAL, format + ": " + what + " " + value + " not supported (" + why + ")");
    }

    /** @return the page size in bytes */
    public long pageSize() {
        return 1L << pgShift;
    }

    /** @return entries per table */
    public int entries() {
        return 1 << bitsPerLevel;
    }

    /** @return n_ttbrs: top-level tables, one per TTBR */
    public int nTtbrs() {
        return 1 << tblBits;
    }

    /** @return n_levels as Linux reports it: table levels plus the TTBR */
    public int levels() {
        return tableLevels + 1;
    }

    /** @return the shift of the IOVA that gives the TTBR index */
    public int ttbrShift() {
        return pgShift + tableLevels * bitsPerLevel;
    }

    /** @return the shift of the index into a table at level {@code k} (leaf table = 1, top = L) */
    public int indexShift(int k) {
        return pgShift + (k - 1) * bitsPerLevel;
    }
}
