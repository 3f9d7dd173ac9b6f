package io.iommulab.dart.impl.shell;

/**
 * The error unit of a DART as {@code dart:errors} shows it.
 *
 * @param node    the DART
 * @param status  raw ERROR register
 * @param latched ERROR.FLAG
 * @param stream  ERROR.STREAM
 * @param code    ERROR.CODE
 * @param name    the code's name (as the driver prints it)
 * @param iova    ERROR_ADDR_HI:LO
 * @param extra   family extras (T8110: ERROR_MASK and the streams in ERROR_STREAMS), "" otherwise
 */
public record ErrorDTO(String node, int status, boolean latched, int stream, int code, String name, long iova, String extra) {

    @Override
    public String toString() {
        if (!latched) {
            return String.format("%s: no error latched (ERROR 0x%08x, ERROR_ADDR 0x%x)%s", node, status, iova,
                    extra.isEmpty() ? "" : "; " + extra);
        }
        return String.format("%s: ERROR 0x%08x: stream %d code 0x%x (%s) at 0x%x%s", node, status, stream, code, name, iova,
                extra.isEmpty() ? "" : "; " + extra);
    }
}
