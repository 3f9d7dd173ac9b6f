package io.iommulab.dart.spi;

/**
 * A latched DART error, decoded by a {@link DartFaultHandler} (dart-facts §1.7).
 *
 * @param status the raw ERROR register
 * @param sid    the ERROR.STREAM field (4 bits on T8020: SIDs &ge; 16 of the usb4 DART are
 *               truncated; 8 bits on T8110)
 * @param code   the ERROR.CODE field
 * @param name   the code's name as the driver prints it ({@code "NO PTE FOR IOVA"}, ...; {@code
 *               "unknown"} for any other value, two bits at once included)
 * @param iova   the faulting input address (ERROR_ADDR_HI:LO)
 * @param write  true if the code is the family's WRITE FAULT code
 */
public record DartFault(int status, int sid, int code, String name, long iova, boolean write) {
}
