package io.iommulab.dart.usb4.impl;

/**
 * What the Thunderbolt/USB4 DART does differently from the T8020 register map it otherwise shares
 * (dart-facts §1.1, §1.3, §1.5, §1.9). Everything else comes from the t8103 record of the driver
 * bundle. The hardware's own copy of these facts is in {@code dart-usb4-model}, kept apart on
 * purpose: either half updates alone, and a disagreement fails a test.
 */
final class Usb4Regs {

    private Usb4Regs() {
    }

    /** DT compatible of the variant */
    static final String COMPATIBLE = "apple,t8103-usb4-dart";

    /** 64 stream ids (two 32-bit words in every per-stream bitmap register) */
    static final int NUM_STREAMS = 64;

    /** TTBR[0][0]: the TTBR array starts at 0x400 (t8103: 0x200); still 4 TTBRs per stream */
    static final int TTBR = 0x400;

    /**
     * Second STREAMS_ENABLE word (SIDs 32–63). Upstream writes it at 0xFC + 4 = 0x100, which is
     * TCR[0]: its reset would set every bit of stream 0's TCR. m1n1 names 0xF8 "UNK1" and a fork
     * that drives this DART puts the second word there; the model follows that (dart-facts §1.9 (b)).
     */
    static final int STREAMS_ENABLE_1 = 0xF8;

    /**
     * TCR bypass value: 0, i.e. the blocked value. The DART reports no bypass support in PARAMS2, so
     * the driver never tries identity on it (dart-facts §1.5 observation).
     */
    static final int TCR_BYPASS = 0;
}
