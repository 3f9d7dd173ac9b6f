package io.iommulab.machine.hosting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.Memparse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Model options read numbers and yes/no as every command and file does (one reader of each). */
class NodeModelOptionsTest {

    private static final String NODE = "/soc/iommu@100000000";

    private static NodeModelOptions opts(String key, String value) {
        return new NodeModelOptions(NODE, "test-iommu", Map.of(key, value));
    }

    private static void assertRefused(String key, String value, String why, Runnable read) {
        IommuException e = assertThrows(IommuException.class, read::run, key + "=" + value);
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: " + NODE + ": test-iommu model: option " + key + "=" + value + " " + why, e.getMessage());
    }

    @Test
    void numbersAreReadAsMachineMemReadsThem() {
        for (String text : List.of("16K", "16k", "16384", "0x4000", "0x4_000", " 16K ")) {
            assertEquals(Memparse.parse("n", text).value(), opts("iotlb-entries", text).integer("iotlb-entries", 1, 0, 1 << 20),
                    text);
            assertEquals(16384, opts("iotlb-entries", text).longInteger("iotlb-entries", 1, 0, 1 << 20), text);
        }
        assertEquals(48, opts("ias", "0x30").oneOf("ias", 32, List.of(32, 48)));
        assertEquals(32, opts("other", "48").oneOf("ias", 32, List.of(32, 48)), "absent: the default");
    }

    @Test
    void aLeadingZeroIsRefusedNotReadAsOctal() {
        // Long.decode read "010" as 8: a user who wrote ten got eight without a word
        assertRefused("streams", "010", "is not a number in 1..64",
                () -> opts("streams", "010").integer("streams", 8, 1, 64));
        assertRefused("ias", "040", "is not one of [32, 48]", () -> opts("ias", "040").oneOf("ias", 48, List.of(32, 48)));
    }

    @Test
    void badNumbersNameTheOptionAndTheRange() {
        assertRefused("streams", "lots", "is not a number in 1..64", () -> opts("streams", "lots").integer("streams", 8, 1, 64));
        assertRefused("streams", "-1", "is not a number in 1..64", () -> opts("streams", "-1").integer("streams", 8, 1, 64));
        assertRefused("streams", "1K", "is not a number in 1..64", () -> opts("streams", "1K").integer("streams", 8, 1, 64));
        assertRefused("ias", "4G", "is not one of [32, 48]", () -> opts("ias", "4G").oneOf("ias", 48, List.of(32, 48)));
    }

    @Test
    void yesNoIsReadAsKstrtoboolReadsIt() {
        for (String yes : List.of("1", "y", "yes", "true", "on", "ON", " Yes ")) {
            assertTrue(opts("bypass", yes).bool("bypass", false), yes);
        }
        for (String no : List.of("0", "n", "no", "false", "off", "OFF")) {
            assertFalse(opts("bypass", no).bool("bypass", true), no);
        }
        assertRefused("bypass", "maybe", "is not true or false", () -> opts("bypass", "maybe").bool("bypass", true));
        assertRefused("bypass", "", "is not true or false", () -> opts("bypass", "").bool("bypass", true));
        assertRefused("bypass", "2", "is not true or false", () -> opts("bypass", "2").bool("bypass", true));
    }
}
