package io.iommulab.pgtable.lpae;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import java.util.Map;

/**
 * The shape of one ARM LPAE stage-1 table, settled from a driver's configuration as
 * {@code arm_lpae_restrict_pgsizes} + {@code arm_lpae_alloc_pgtable} + {@code arm_64_lpae_alloc_pgtable_s1}
 * (drivers/iommu/io-pgtable-arm.c) settle it, and the TCR/MAIR values the driver programs.
 *
 * <p>Levels are numbered as the architecture numbers them: the leaf level is 3, the walk starts at
 * {@code startLevel = 4 - levels}. A descriptor at level {@code l} maps {@code 1 << shift(l)} bytes
 * with {@code shift(l) = (4 - l) * bitsPerLevel + 3}. The top table has {@code 2^pgdBits} entries
 * (possibly fewer than a granule holds; no stage-1 concatenation).
 *
 * <p>Deliberate differences from Linux, all on the side of refusing: IAS or OAS above 48 is EINVAL
 * (Linux clamps IAS to 48 for 4K/16K and accepts 52-bit OA with 64K, which needs the packed PA
 * layout this model does not implement); quirks are not supported; block sizes whose level lies above
 * the start level (a 1 GiB block in a 30-bit space) are dropped from the settled bitmap, since
 * Linux would accept them in the bitmap and then fail every map of that size.
 *
 * @param config       the configuration as settled (page sizes reduced to granule + usable blocks)
 * @param granule      translation granule in bytes (4 KiB, 16 KiB or 64 KiB)
 * @param pgShift      log2(granule)
 * @param bitsPerLevel index bits per full table level (pgShift - 3)
 * @param levels       table levels walked
 * @param startLevel   level of the top table (4 - levels)
 * @param pgdBits      index bits of the top table
 * @param tableOrder   log2(table bytes / PageAllocator.PAGE_SIZE), for the allocator
 * @param hw           TCR fields and MAIR, by the names of {@link io.iommulab.api.pgtable.PageTableState#hw()}
 */
public record LpaeS1Geometry(PageTableConfig config, long granule, int pgShift, int bitsPerLevel, int levels,
                             int startLevel, int pgdBits, int tableOrder, Map<String, Long> hw) {

    static final String FORMAT = PageTableFormat.ARM_LPAE_S1;
    /** ARM_LPAE_MAX_LEVELS: the leaf level is MAX_LEVELS - 1. */
    static final int MAX_LEVELS = 4;
    /** Input and output addresses beyond 48 bits are not modelled. */
    static final int MAX_ADDR_BITS = 48;

    static final long SZ_4K = 1L << 12;
    static final long SZ_16K = 1L << 14;
    static final long SZ_64K = 1L << 16;
    static final long SZ_2M = 1L << 21;
    static final long SZ_32M = 1L << 25;
    static final long SZ_512M = 1L << 29;
    static final long SZ_1G = 1L << 30;
    /** The host's PAGE_SIZE, which arm_lpae_restrict_pgsizes prefers as granule. */
    static final long PAGE_SIZE = PageAllocator.PAGE_SIZE;

    /* TCR field encodings (ARM_LPAE_TCR_*) */
    static final long TCR_TG0_4K = 0;
    static final long TCR_TG0_64K = 1;
    static final long TCR_TG0_16K = 2;
    static final long TCR_SH_NS = 0;
    static final long TCR_SH_OS = 2;
    static final long TCR_SH_IS = 3;
    static final long TCR_RGN_NC = 0;
    static final long TCR_RGN_WBWA = 1;

    /* MAIR attributes and their indices (ARM_LPAE_MAIR_ATTR_*) */
    static final long MAIR_ATTR_NC = 0x44;
    static final long MAIR_ATTR_WBRWA = 0xff;
    static final long MAIR_ATTR_DEVICE = 0x04;
    static final long MAIR_ATTR_INC_OWBRWA = 0xf4;
    static final int MAIR_ATTR_IDX_NC = 0;
    static final int MAIR_ATTR_IDX_CACHE = 1;
    static final int MAIR_ATTR_IDX_DEV = 2;
    static final int MAIR_ATTR_IDX_INC_OCACHE = 3;
    static final long MAIR = MAIR_ATTR_NC << (MAIR_ATTR_IDX_NC << 3)
            | MAIR_ATTR_WBRWA << (MAIR_ATTR_IDX_CACHE << 3)
            | MAIR_ATTR_DEVICE << (MAIR_ATTR_IDX_DEV << 3)
            | MAIR_ATTR_INC_OWBRWA << (MAIR_ATTR_IDX_INC_OCACHE << 3);

    public static final String HW_T0SZ = "tcr.t0sz";
    public static final String HW_TG0 = "tcr.tg0";
    public static final String HW_SH0 = "tcr.sh0";
    public static final String HW_IRGN0 = "tcr.irgn0";
    public static final String HW_ORGN0 = "tcr.orgn0";
    public static final String HW_EPD1 = "tcr.epd1";
    public static final String HW_IPS = "tcr.ips";
    public static final String HW_MAIR = "mair";

    /**
     * Settles a driver's configuration.
     *
     * @throws IommuException EINVAL naming the field and value the format does not support
     */
    public static LpaeS1Geometry settle(PageTableConfig cfg) {
        if (cfg.quirks() != 0) {
            throw unsupported("quirks", "0x" + Long.toHexString(cfg.quirks()), "none are modelled");
        }
        long granule = pickGranule(cfg.pgsizeBitmap());
        long pageSizes = blockSizes(granule);
        long bitmap = cfg.pgsizeBitmap() & pageSizes;
        if ((bitmap & (SZ_4K | SZ_16K | SZ_64K)) == 0) {
            throw unsupported("page-size bitmap", "0x" + Long.toHexString(cfg.pgsizeBitmap()),
                    "needs a 4 KiB, 16 KiB or 64 KiB granule");
        }
        int pgShift = Long.numberOfTrailingZeros(bitmap);
        if (cfg.ias() > MAX_ADDR_BITS || cfg.ias() <= pgShift) {
            throw unsupported("IAS", Integer.toString(cfg.ias()),
                    (pgShift + 1) + ".." + MAX_ADDR_BITS + " bits with a " + (granule >> 10) + " KiB granule");
        }
        long ips = ips(cfg.oas());
        int bitsPerLevel = pgShift - 3;
        int vaBits = cfg.ias() - pgShift;
        int levels = (vaBits + bitsPerLevel - 1) / bitsPerLevel;
        int startLevel = MAX_LEVELS - levels;
        int pgdBits = vaBits - bitsPerLevel * (levels - 1);
        // A block at a level above the top table cannot be expressed.
        long usable = bitmap & mask(levelShift(startLevel, bitsPerLevel) + 1);
        long tg0 = granule == SZ_4K ? TCR_TG0_4K : granule == SZ_16K ? TCR_TG0_16K : TCR_TG0_64K;
        boolean coherent = cfg.coherentWalk();
        Map<String, Long> hw = Map.of(
                HW_T0SZ, 64L - cfg.ias(),
                HW_TG0, tg0,
                HW_SH0, coherent ? TCR_SH_IS : TCR_SH_OS,
                HW_IRGN0, coherent ? TCR_RGN_WBWA : TCR_RGN_NC,
                HW_ORGN0, coherent ? TCR_RGN_WBWA : TCR_RGN_NC,
                HW_EPD1, 1L,
                HW_IPS, ips,
                HW_MAIR, MAIR);
        return new LpaeS1Geometry(cfg.withPgsizeBitmap(usable), granule, pgShift, bitsPerLevel, levels, startLevel,
                pgdBits, pgShift - 12, hw);
    }

    /**
     * arm_lpae_restrict_pgsizes: the host page size if offered, else the largest size below it,
     * else the smallest above it.
     */
    static long pickGranule(long bitmap) {
        long pageMask = -PAGE_SIZE;
        if ((bitmap & PAGE_SIZE) != 0) {
            return PAGE_SIZE;
        } else if ((bitmap & ~pageMask) != 0) {
            return Long.highestOneBit(bitmap & ~pageMask);
        } else if ((bitmap & pageMask) != 0) {
            return Long.lowestOneBit(bitmap & pageMask);
        }
        return 0;
    }

    /** @return the granule and the block sizes it allows (0 for a size that is no granule) */
    static long blockSizes(long granule) {
        if (granule == SZ_4K) {
            return SZ_4K | SZ_2M | SZ_1G;
        } else if (granule == SZ_16K) {
            return SZ_16K | SZ_32M;
        } else if (granule == SZ_64K) {
            return SZ_64K | SZ_512M;
        }
        return 0;
    }

    /** TCR.IPS from the output address size. */
    static long ips(int oas) {
        switch (oas) {
            case 32: return 0;
            case 36: return 1;
            case 40: return 2;
            case 42: return 3;
            case 44: return 4;
            case 48: return 5;
            default:
                throw unsupported("OAS", Integer.toString(oas), "32, 36, 40, 42, 44 or 48 bits; no 52-bit output");
        }
    }

    /** ARM_LPAE_LVL_SHIFT: log2 of the bytes one descriptor at {@code level} maps. */
    static int levelShift(int level, int bitsPerLevel) {
        return (MAX_LEVELS - level) * bitsPerLevel + 3;
    }

    /** @return log2 of the bytes one descriptor at {@code level} maps */
    public int levelShift(int level) {
        return levelShift(level, bitsPerLevel);
    }

    /** @return entries used in a table at {@code level} (the top table may use fewer than a granule holds) */
    public int entries(int level) {
        return 1 << (level == startLevel ? pgdBits : bitsPerLevel);
    }

    /** @return bytes of one table (every table, the top one included, takes a whole granule) */
    public long tableBytes() {
        return granule;
    }

    private static long mask(int n) {
        return n >= 64 ? -1L : (1L << n) - 1;
    }

    private static IommuException unsupported(String what, String value, String allowed) {
        return new IommuException(Errno.EINVAL, FORMAT + ": " + what + " " + value + " not supported (" + allowed + ")");
    }
}
