package io.iommulab.dart.usb4.impl;

import io.iommulab.api.error.IommuException;
import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartVariant;
import io.iommulab.lib.cmdline.Kstrtobool;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The t8103-usb4 DART variant ({@code apple_dart_hw_t8103_usb4}): the T8020 family with 64
 * streams, its TTBR array at 0x400, no bypass value, and the second stream-enable word at 0xF8.
 * Built from the driver bundle's t8103 record, whose T8020 strategies it keeps ({@link DartFamilies}); this
 * bundle imports nothing but the variant SPI and the api.
 *
 * <p>Option: framework (or system) property {@value #UPSTREAM_STREAM_SELECT_PROPERTY} (default
 * false). True makes the driver write STREAM_SELECT as upstream does, so that SIDs 32–63 are
 * never invalidated ({@link UpstreamStreamSelect}): an upstream bug kept at hand for the DMA
 * sanitizer to find. Read when the component activates; restart this bundle to change it.
 *
 * <p>Fields: {@code hw} the variant record, built once.
 */
@Component(service = DartVariant.class, property = DartVariant.PROPERTY + "=" + T8103Usb4Variant.NAME)
public final class T8103Usb4Variant implements DartVariant {

    /** variant name */
    public static final String NAME = "t8103-usb4";

    /** The option that reproduces upstream's STREAM_SELECT words (streams 32–63 never invalidated). */
    public static final String UPSTREAM_STREAM_SELECT_PROPERTY = "iommulab.dart-usb4.upstream-stream-select";

    private static final Logger LOG = LoggerFactory.getLogger(T8103Usb4Variant.class);

    private final DartHw hw;

    /** SCR: the option from the framework property {@value #UPSTREAM_STREAM_SELECT_PROPERTY}. */
    @Activate
    public T8103Usb4Variant(@Reference DartFamilies families, BundleContext context) {
        this(families, upstreamStreamSelect(context.getProperty(UPSTREAM_STREAM_SELECT_PROPERTY)));
    }

    /** Outside OSGi: the variant as our driver runs it, every stream invalidated. */
    public T8103Usb4Variant(DartFamilies families) {
        this(families, false);
    }

    /**
     * Outside OSGi, with the option given.
     *
     * @param upstreamStreamSelect true to write STREAM_SELECT as upstream does (SIDs 32–63 never invalidated)
     */
    public T8103Usb4Variant(DartFamilies families, boolean upstreamStreamSelect) {
        this.hw = build(families, upstreamStreamSelect);
        if (upstreamStreamSelect) {
            LOG.warn("{}: {} is on: STREAM_SELECT is written as upstream writes it, so streams 32-63 are never"
                    + " invalidated", NAME, UPSTREAM_STREAM_SELECT_PROPERTY);
        }
    }

    /**
     * A value that is not a boolean is reported in one line and the option stays off: the usb4
     * DARTs keep probing as our driver runs them.
     */
    static boolean upstreamStreamSelect(String value) {
        try {
            return Kstrtobool.parse(UPSTREAM_STREAM_SELECT_PROPERTY, value, false);
        } catch (IommuException e) {
            LOG.error("{}: {}; running without it", NAME, e.getMessage());
            return false;
        }
    }

    /** @return the usb4 record derived from the families' t8103 record */
    static DartHw build(DartFamilies families, boolean upstreamStreamSelect) {
        DartHw t8103 = families.t8103();
        DartHw.Builder b = t8103.toBuilder()
                .name(NAME).compatibles(List.of(Usb4Regs.COMPATIBLE))
                .streams(Usb4Regs.NUM_STREAMS, List.of(t8103.global().enableStreams().get(0), Usb4Regs.STREAMS_ENABLE_1))
                .ttbr(Usb4Regs.TTBR)
                .tcrBypass(Usb4Regs.TCR_BYPASS);
        if (upstreamStreamSelect) {
            b.invalidator(new UpstreamStreamSelect(t8103.strategies().invalidator()));
        }
        return b.build();
    }

    @Override
    public DartHw hw() {
        return hw;
    }
}
