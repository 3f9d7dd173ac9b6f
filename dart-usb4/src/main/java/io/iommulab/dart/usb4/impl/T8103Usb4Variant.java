package io.iommulab.dart.usb4.impl;

import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartVariant;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The t8103-usb4 DART variant ({@code apple_dart_hw_t8103_usb4}): the T8020 family with 64
 * streams, its TTBR array at 0x400, no bypass value, and the second stream-enable word at 0xF8.
 * Built from the driver bundle's t8103 record, whose T8020 strategies it keeps ({@link DartFamilies}); this
 * bundle imports nothing but the variant SPI and the api.
 *
 * <p>Fields: {@code hw} the variant record, built once.
 */
@Component(service = DartVariant.class, property = DartVariant.PROPERTY + "=" + T8103Usb4Variant.NAME)
public final class T8103Usb4Variant implements DartVariant {

    /** variant name */
    public static final String NAME = "t8103-usb4";

    private final DartHw hw;

    @Activate
    public T8103Usb4Variant(@Reference DartFamilies families) {
        this.hw = build(families);
    }

    /** @return the usb4 record derived from the families' t8103 record */
    static DartHw build(DartFamilies families) {
        DartHw t8103 = families.t8103();
        return t8103.toBuilder()
                .name(NAME).compatibles(List.of(Usb4Regs.COMPATIBLE))
                .streams(Usb4Regs.NUM_STREAMS, List.of(t8103.global().enableStreams().get(0), Usb4Regs.STREAMS_ENABLE_1))
                .ttbr(Usb4Regs.TTBR)
                .tcrBypass(Usb4Regs.TCR_BYPASS)
                .build();
    }

    @Override
    public DartHw hw() {
        return hw;
    }
}
