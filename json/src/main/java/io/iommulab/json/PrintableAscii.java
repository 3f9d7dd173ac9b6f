package io.iommulab.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDecorator;

/**
 * Escapes everything above U+007E, DEL included, as {@code \}{@code uXXXX} (Jackson escapes the
 * control characters below U+0020 itself): the text is printable ASCII, valid whatever encoding a
 * reader (a terminal, a pipe in the POSIX locale) assumes, and free of U+2028/U+2029, which end a
 * line for some readers.
 */
final class PrintableAscii implements JsonGeneratorDecorator {

    private static final int LAST_PRINTABLE = 0x7E;

    @Override
    public JsonGenerator decorate(JsonFactory factory, JsonGenerator generator) {
        return generator.setHighestNonEscapedChar(LAST_PRINTABLE);
    }
}
