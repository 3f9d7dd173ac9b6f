package io.iommulab.dart.impl.hw;

import io.iommulab.dart.spi.DartHw;

/**
 * Stream bitmaps of {@link DartHw#MAX_STREAMS} bits as {@code long[4]} (Linux's
 * {@code DECLARE_BITMAP(sidmap, DART_MAX_STREAMS)}): bit {@code n % 64} of word {@code n / 64}.
 */
public final class SidMap {

    /** Words of a bitmap. */
    public static final int WORDS = DartHw.MAX_STREAMS / 64;

    private SidMap() {
    }

    /** @return an empty bitmap */
    public static long[] empty() {
        return new long[WORDS];
    }

    /** @return a bitmap with SIDs {@code 0..n-1} set (bitmap_set(map, 0, n)) */
    public static long[] first(int n) {
        long[] map = empty();
        for (int sid = 0; sid < n; sid++) {
            map[sid >>> 6] |= 1L << sid;
        }
        return map;
    }

    /** @return a bitmap with only {@code sid} set */
    public static long[] of(int sid) {
        long[] map = empty();
        map[sid >>> 6] |= 1L << sid;
        return map;
    }

    /** @return true if {@code sid} is set */
    public static boolean test(long[] map, int sid) {
        return sid >= 0 && sid < DartHw.MAX_STREAMS && (map[sid >>> 6] & (1L << sid)) != 0;
    }

    /**
     * find_next_bit: the first set SID in {@code [from, limit)}, or -1.
     */
    public static int next(long[] map, int from, int limit) {
        int end = Math.min(limit, DartHw.MAX_STREAMS);
        int start = Math.max(from, 0);
        if (start >= end) {
            return -1;
        }
        int w = start >>> 6;
        long bits = map[w] & (-1L << start);
        while (true) {
            if (bits != 0) {
                int sid = (w << 6) + Long.numberOfTrailingZeros(bits);
                return sid < end ? sid : -1;
            }
            w++;
            if (w >= WORDS || (w << 6) >= end) {
                return -1;
            }
            bits = map[w];
        }
    }

    /**
     * The 32-bit word {@code i} of the bitmap (SIDs {@code 32i..32i+31}), as the hardware's
     * STREAM_SELECT / enable registers hold it.
     */
    public static int word32(long[] map, int i) {
        return (int) (map[i >>> 1] >>> ((i & 1) << 5));
    }

    /** @return "1 5 40" for messages */
    public static String toText(long[] map, int limit) {
        StringBuilder sb = new StringBuilder();
        for (int sid = next(map, 0, limit); sid >= 0; sid = next(map, sid + 1, limit)) {
            sb.append(sb.length() == 0 ? "" : " ").append(sid);
        }
        return sb.toString();
    }
}
