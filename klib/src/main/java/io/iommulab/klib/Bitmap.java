package io.iommulab.klib;

import java.util.function.IntConsumer;

/**
 * Bitmaps as {@code long[]}, as the kernel's {@code include/linux/bitmap.h} and {@code find.h}
 * keep them in {@code unsigned long} words: bit {@code n} is bit {@code n % 64} of word
 * {@code n / 64}. The drivers' stream maps (apple-dart's {@code sidmap}) are such bitmaps.
 *
 * <p>{@code nbits} arguments bound the walk, as in the kernel; bits at or beyond it, or beyond the
 * array, are never reported. No method allocates except {@link #zalloc} and {@link #fromArr32}.
 */
public final class Bitmap {

    private Bitmap() {
    }

    /** @return BITS_TO_LONGS(nbits) */
    public static int bitsToLongs(int nbits) {
        return (nbits + 63) >>> 6;
    }

    /** @return bitmap_zalloc(nbits): an empty bitmap of {@code nbits} bits */
    public static long[] zalloc(int nbits) {
        return new long[bitsToLongs(nbits)];
    }

    /** __set_bit(nr, map) */
    public static void set(long[] map, int nr) {
        map[nr >>> 6] |= 1L << nr;
    }

    /** bitmap_set(map, start, len): sets bits {@code start..start+len-1} */
    public static void setRange(long[] map, int start, int len) {
        for (int nr = start; nr < start + len; nr++) {
            set(map, nr);
        }
    }

    /** @return test_bit(nr, map); false for a bit outside the array */
    public static boolean test(long[] map, int nr) {
        return nr >= 0 && nr >>> 6 < map.length && (map[nr >>> 6] & (1L << nr)) != 0;
    }

    /** bitmap_or(dst, dst, src, nbits) over the words both arrays have */
    public static void or(long[] dst, long[] src) {
        for (int w = 0; w < Math.min(dst.length, src.length); w++) {
            dst[w] |= src[w];
        }
    }

    /**
     * find_next_bit(map, nbits, offset).
     *
     * @return the first set bit at or after {@code offset} and below {@code nbits}; {@code nbits}
     *         (or more) if there is none, as in the kernel, so loops run {@code while (nr < nbits)}
     */
    public static int findNextBit(long[] map, int nbits, int offset) {
        int end = Math.min(nbits, map.length << 6);
        int start = Math.max(offset, 0);
        if (start >= end) {
            return nbits;
        }
        int w = start >>> 6;
        long bits = map[w] & (-1L << start);
        while (bits == 0) {
            if (++w << 6 >= end) {
                return nbits;
            }
            bits = map[w];
        }
        int nr = (w << 6) + Long.numberOfTrailingZeros(bits);
        return nr < end ? nr : nbits;
    }

    /** @return find_first_bit(map, nbits) */
    public static int findFirstBit(long[] map, int nbits) {
        return findNextBit(map, nbits, 0);
    }

    /**
     * for_each_set_bit(nr, map, nbits): calls {@code action} with every set bit below
     * {@code nbits}, lowest first. Where the body must leave early or assign locals, loop on
     * {@link #findNextBit} instead, which is what the kernel macro expands to.
     */
    public static void forEachSetBit(long[] map, int nbits, IntConsumer action) {
        for (int nr = findFirstBit(map, nbits); nr < nbits; nr = findNextBit(map, nbits, nr + 1)) {
            action.accept(nr);
        }
    }

    /**
     * One element of bitmap_to_arr32(): the 32-bit word {@code i} (bits {@code 32i..32i+31}), as
     * hardware registers that hold a bitmap in 32-bit words (DART STREAM_SELECT) want it.
     */
    public static int arr32(long[] map, int i) {
        return (int) (map[i >>> 1] >>> ((i & 1) << 5));
    }

    /** @return bitmap_from_arr32(buf, 32 * buf.length): the bitmap of 32-bit words read from hardware */
    public static long[] fromArr32(int[] buf) {
        long[] map = zalloc(buf.length << 5);
        for (int i = 0; i < buf.length; i++) {
            map[i >>> 1] |= (buf[i] & 0xffff_ffffL) << ((i & 1) << 5);
        }
        return map;
    }

    /** @return the set bits below {@code nbits}, lowest first, separated by spaces ("1 5 40"), for messages */
    public static String toText(long[] map, int nbits) {
        StringBuilder sb = new StringBuilder();
        forEachSetBit(map, nbits, nr -> sb.append(sb.length() == 0 ? "" : " ").append(nr));
        return sb.toString();
    }
}
