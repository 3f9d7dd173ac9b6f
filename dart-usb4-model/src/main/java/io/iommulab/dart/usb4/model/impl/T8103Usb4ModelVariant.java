package io.iommulab.dart.usb4.model.impl;

import io.iommulab.dart.model.spi.DartModelFamilies;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.dart.model.spi.DartModelVariant;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The Thunderbolt/USB4 DART in silicon ({@code apple,t8103-usb4-dart}): the T8020 registers of the
 * t8103 with 64 streams, its TTBR array at 0x400, no bypass support, and the second STREAMS_ENABLE
 * word at 0xF8 (dart-facts §1.1, §1.3, §1.9). Derived from the model's t8103 record
 * ({@link DartModelFamilies}); this bundle imports nothing but the model's variant SPI.
 *
 * <p>These facts are the hardware's; the driver half ({@code dart-usb4}) keeps its own copy of what
 * it programs, so either side can be updated alone and a disagreement shows as a failing test.
 *
 * <p>Fields: {@code hw} the variant record, built once.
 */
@Component(service = DartModelVariant.class, property = DartModelVariant.PROPERTY + "=" + T8103Usb4ModelVariant.NAME)
public final class T8103Usb4ModelVariant implements DartModelVariant {

    /** Variant name. */
    public static final String NAME = "t8103-usb4";
    /** DT compatible of the Thunderbolt DART. */
    static final String COMPATIBLE = "apple,t8103-usb4-dart";
    /** 64 stream ids: two words in every per-stream bitmap register. */
    static final int STREAMS = 64;
    /** TTBR[0][0] at 0x400 (t8103: 0x200); still four TTBRs per stream. */
    static final int TTBR_BASE = 0x400;
    /**
     * Second STREAMS_ENABLE word (streams 32–63). m1n1 names 0xF8 "UNK1" and a fork that drives this
     * DART puts the second word there; upstream's 0xFC + 4 = 0x100 is TCR[0] (model choice after
     * dart-facts §1.9 (b)).
     */
    static final int STREAMS_ENABLE_1 = 0xF8;

    private final DartModelHw hw;

    @Activate
    public T8103Usb4ModelVariant(@Reference DartModelFamilies families) {
        this.hw = build(families);
    }

    /** @return the usb4 record derived from the model's t8103 record */
    public static DartModelHw build(DartModelFamilies families) {
        DartModelHw t8103 = families.t8103();
        return t8103.toBuilder()
                .name(NAME)
                .compatibles(COMPATIBLE)
                .streams(STREAMS)
                .enableWords(t8103.streams().enableWords().get(0), STREAMS_ENABLE_1)
                .ttbrBase(TTBR_BASE)
                .bypass(false)
                .build();
    }

    @Override
    public DartModelHw hw() {
        return hw;
    }
}
