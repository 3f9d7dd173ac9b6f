package io.iommulab.dart.usb4.impl;

import io.iommulab.dart.spi.DartMmio;
import io.iommulab.dart.spi.DartTlbInvalidator;

/**
 * Upstream's STREAM_SELECT bug on the usb4 DART, reproduced on purpose (the variant's option
 * {@value T8103Usb4Variant#UPSTREAM_STREAM_SELECT_PROPERTY}, off by default).
 * {@code apple_dart_t8020_hw_stream_command} writes STREAM_SELECT word {@code i}, for
 * {@code i < BITS_TO_U32(num_streams)}, from {@code sidmap[i]}, an {@code unsigned long}, truncated
 * to 32 bits. On a 64-bit kernel word 0 gets SIDs 0–31, as it should, but word 1 gets the low half
 * of the second long: SIDs 64–95, which a 64-stream DART does not have. So SIDs 32–63 are never
 * selected and their IOTLB entries never invalidated (dart-facts §1.9 (a)).
 *
 * <p>The family's invalidator writes true 32-bit words of the bitmap it is given; this hands it the
 * bitmap whose 32-bit word {@code i} is long {@code i} truncated, so the registers see exactly the
 * words upstream writes (select, command and BUSY poll stay the family's). Upstream would read past
 * its 4-long array for more than 128 streams; no T8020-family DART has that many, and the words
 * beyond the array are written as 0 here.
 *
 * <p>Fields: {@code family} the invalidator that writes the words (the t8103 record's).
 */
final class UpstreamStreamSelect implements DartTlbInvalidator {

    private final DartTlbInvalidator family;

    UpstreamStreamSelect(DartTlbInvalidator family) {
        this.family = family;
    }

    @Override
    public void invalidateTlb(DartMmio dart, long[] sidmap) {
        family.invalidateTlb(dart, selected(sidmap, dart.numStreams()));
    }

    /**
     * @return the streams upstream's STREAM_SELECT words select: 32-bit word {@code i} of the result
     *         is {@code (u32) sidmap[i]}, for the {@code ceil(numStreams / 32)} words it writes
     */
    static long[] selected(long[] sidmap, int numStreams) {
        long[] out = new long[sidmap.length];
        int words = (numStreams + 31) / 32;
        for (int i = 0; i < words && i / 2 < out.length; i++) {
            long word = i < sidmap.length ? sidmap[i] & 0xffff_ffffL : 0;
            out[i / 2] |= word << (32 * (i % 2));
        }
        return out;
    }

    @Override
    public String toString() {
        return "upstream-stream-select " + family;
    }
}
