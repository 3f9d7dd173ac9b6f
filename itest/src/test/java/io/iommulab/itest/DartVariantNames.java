package io.iommulab.itest;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which driver variant a DART node must probe as, from its compatible strings, as the DART
 * binding and dart-facts §1.1 say (and dart/README.md: one driver service per variant): Linux
 * binds the FIRST compatible of the node that a driver lists, so
 * {@code "apple,t6020-dart", "apple,t8110-dart"} is t8110. Written down here, not asked of the
 * driver, so that a driver binding the wrong variant fails the check.
 */
final class DartVariantNames {

    /** compatible → variant name ({@code dart.variant} of the driver service). */
    private static final Map<String, String> BY_COMPATIBLE = Map.of(
            "apple,t8103-dart", "t8103",
            "apple,t8103-usb4-dart", "t8103-usb4",
            "apple,t6000-dart", "t6000",
            "apple,t8110-dart", "t8110");

    /** What names a DART, known or not: an Apple compatible ending in -dart (never -sart). */
    private static final Pattern DART = Pattern.compile("apple,[a-z0-9-]+-dart");

    private DartVariantNames() {
    }

    /** @return true if the node claims to be a DART (whether or not a variant is known for it) */
    static boolean isDart(List<String> compatible) {
        return compatible.stream().anyMatch(c -> DART.matcher(c).matches());
    }

    /** @return the compatible Linux matches on (the first one the driver lists), or null if none */
    static String matchedCompatible(List<String> compatible) {
        for (String c : compatible) {
            if (BY_COMPATIBLE.containsKey(c)) {
                return c;
            }
        }
        return null;
    }

    /** @return the variant a node with this matched compatible probes as, or null for an unknown one */
    static String variant(String matchedCompatible) {
        return matchedCompatible == null ? null : BY_COMPATIBLE.get(matchedCompatible);
    }
}
