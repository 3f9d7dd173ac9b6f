package io.iommulab.testkit.model;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.testkit.spec.TestIommuRegs;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The strapping of one test-iommu instance, decoded from its model options.
 *
 * @param streams       NUM_STREAMS (option {@code streams}, default 8, 1..255)
 * @param bypass        BYPASS_SUPPORT (option {@code bypass}, default true)
 * @param locked        CONFIG.LOCK (option {@code locked}, default false)
 * @param busyStuck     CMD.BUSY never clears (option {@code busy-stuck}, default false)
 * @param iotlbEntries  IOTLB entries per stream (option {@code iotlb-entries}, default 64, 1..4096)
 */
record TestIommuConfig(int streams, boolean bypass, boolean locked, boolean busyStuck, int iotlbEntries) {

    private static final Logger LOG = LoggerFactory.getLogger(TestIommuConfig.class);
    private static final Set<String> KNOWN = Set.of("streams", "bypass", "locked", "busy-stuck", "iotlb-entries");

    /**
     * Decodes options; an unusable value is a board error.
     *
     * @throws IommuException EINVAL naming the node, the option and the value
     */
    static TestIommuConfig from(String node, Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!KNOWN.contains(key)) {
                LOG.warn("{}: test-iommu model ignores unknown option {}={}", node, key, options.get(key));
            }
        }
        return new TestIommuConfig(
                intOption(node, options, "streams", 8, 1, TestIommuRegs.MAX_STREAMS),
                boolOption(node, options, "bypass", true),
                boolOption(node, options, "locked", false),
                boolOption(node, options, "busy-stuck", false),
                intOption(node, options, "iotlb-entries", 64, 1, 4096));
    }

    private static int intOption(String node, Map<String, String> options, String key, int def, int min, int max) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.decode(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted range
        }
        throw new IommuException(Errno.EINVAL,
                node + ": test-iommu model option " + key + "=" + v + " is not a number in " + min + ".." + max);
    }

    private static boolean boolOption(String node, Map<String, String> options, String key, boolean def) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true": case "1": case "yes": return true;
            case "false": case "0": case "no": return false;
            default:
                throw new IommuException(Errno.EINVAL,
                        node + ": test-iommu model option " + key + "=" + v + " is not true or false");
        }
    }
}
