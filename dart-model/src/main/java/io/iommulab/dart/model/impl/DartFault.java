package io.iommulab.dart.model.impl;

import io.iommulab.api.hw.Translation;

/**
 * Why one transaction failed, independent of the family's code numbers ({@link DartLayout#code}
 * maps a kind to its ERROR.CODE). The text is what {@link Translation#fault()} carries: the code's
 * name as the driver prints it (dart-facts §1.7), or, for the two cases that latch nothing, the
 * model's own wording.
 */
enum DartFault {
    /** No valid TTBR for the IOVA, the IOVA is beyond the tables, or the stream is blocked. */
    NO_TTBR("NO TTBR FOR IOVA"),
    /** Top entry of a four-level (T8110 FOUR_LEVEL) walk invalid. */
    NO_PGD("NO PGD FOR IOVA"),
    /** Entry of the table above the leaf table invalid. */
    NO_PMD("NO PMD FOR IOVA"),
    /** Leaf entry invalid. */
    NO_PTE("NO PTE FOR IOVA"),
    /** Write to a page whose entry has NO_WRITE. */
    WRITE_FAULT("WRITE FAULT"),
    /** Read of a page whose entry has NO_READ. */
    READ_FAULT("READ FAULT"),
    /** The SID's bit in the stream-enable state is clear: nothing latched (model choice). */
    STREAM_DISABLED("STREAM DISABLED"),
    /** SID beyond the DART's streams: the bus never delivers it, nothing latched. */
    NO_SUCH_STREAM("NO SUCH STREAM");

    private static final DartFault[] VALUES = values();

    private final String text;
    /** Shared result: {@link Translation} is immutable, so a fault costs no allocation. */
    private final Translation translation;

    DartFault(String text) {
        this.text = text;
        this.translation = Translation.fault(text);
    }

    /** @return the fault text */
    String text() {
        return text;
    }

    /** @return the failed translation carrying {@link #text()} */
    Translation translation() {
        return translation;
    }

    /** @return the kind with this ordinal */
    static DartFault of(int ordinal) {
        return VALUES[ordinal];
    }
}
