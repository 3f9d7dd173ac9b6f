package io.iommulab.dart.impl.shell;

/**
 * One DART node as {@code dart:darts} lists it.
 *
 * @param node      DT path
 * @param variant   variant name, or null when no variant binds the node's compatibles
 * @param state     "probed", or why not ("not probed")
 * @param streams   stream ids (PARAMS), 0 when not probed
 * @param pageSize  DART page size in bytes, 0 when not probed
 * @param ias       input address bits, 0 when not probed
 * @param oas       output address bits, 0 when not probed
 * @param bypass    PARAMS2 bypass support
 * @param fourLevel four-level tables (T8110 with IAS &gt; 36)
 * @param locked    the lock bit reads set (such a DART fails probe), null when it could not be read
 * @param driver    the bundle whose driver code drives (or would drive) the DART, e.g.
 *                  {@code "io.iommulab.dart 0.2.0"}; null outside OSGi or when no variant binds it
 * @param variantBundle the bundle the variant service comes from, e.g. {@code "io.iommulab.dart.usb4 0.1.0"};
 *                  null outside OSGi or when no variant binds it
 */
public record DartDTO(String node, String variant, String state, int streams, long pageSize, int ias, int oas,
        boolean bypass, boolean fourLevel, Boolean locked, String driver, String variantBundle) {

    @Override
    public String toString() {
        return String.format("%s %s %s: %d streams, page 0x%x, AS %d -> %d, bypass %s, four-level %s, locked %s, driver %s,"
                + " variant from %s", node, variant == null ? "-" : variant, state, streams, pageSize, ias, oas,
                bypass ? "yes" : "no", fourLevel ? "yes" : "no", locked == null ? "?" : locked ? "yes" : "no",
                driver == null ? "-" : driver, variantBundle == null ? "-" : variantBundle);
    }
}
