package io.iommulab.dart.model.impl;

import static io.iommulab.dart.model.impl.DartRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.machine.hosting.NodeModelOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Model options, variant selection and the factory. */
class DartModelOptionsTest {

    private static IommuHardware hardware(DartRig r, String path) {
        return r.machine.iommuHardware().stream().filter(h -> h.node().path().equals(path)).findFirst().orElseThrow();
    }

    private static void assertRefused(String node, String key, String value, String why) {
        DartRig r = new DartRig(option(node, key, value));
        IommuHardware h = hardware(r, node);
        assertNull(h.model(), node + " " + key + "=" + value + " must leave the node unmodelled");
        String reason = h.reason();
        assertTrue(reason.startsWith("EINVAL: "), reason);
        assertTrue(reason.contains(node), reason);
        assertTrue(reason.contains(key + "=" + value), reason);
        assertTrue(reason.contains(why), reason);
        assertEquals(Errno.ENODEV, assertThrows(IommuException.class, () -> r.regs(node)).errno(),
                "no registers are mapped for it");
        assertNotNull(hardware(r, DART_B).model(), "other DARTs are not affected");
    }

    @Test
    void badOptionsLeaveTheNodeUnmodelledWithTheReason() {
        assertRefused(DART_A, "colour", "blue", "unknown option");
        assertRefused(DART_A, "iotlb-entries", "lots", "not a number in 0..4096");
        assertRefused(DART_A, "iotlb-entries", "-1", "not a number in 0..4096");
        assertRefused(DART_A, "iotlb-entries", "4097", "not a number in 0..4096");
        assertRefused(DART_A, "locked", "maybe", "not true or false");
        assertRefused(DART_A, "busy-stuck", "2", "not true or false");
        assertRefused(T8110, "bypass", "", "not true or false");
        assertRefused(T8110, "streams", "0", "not a number in 1..511");
        assertRefused(T8110, "streams", "512", "not a number in 1..511");
        assertRefused(T8110, "ias", "64", "not a number in 1..63");
        assertRefused(DART_A, "streams", "32", "applies only to T8110");
        assertRefused(USB4, "ias", "36", "applies only to T8110");
        assertRefused(T6000, "oas", "36", "applies only to T8110");
    }

    /** @return options as the machine hands them to the model */
    private static ModelOptions options(String node, Map<String, String> options) {
        return new NodeModelOptions(node, DartModelFactory.NAME, options);
    }

    @Test
    void configDecodesDefaultsAndOverrides() {
        DartConfig d = DartConfig.from(DartModelVariants.T8103, options("/n", Map.of()));
        assertEquals(new DartConfig(DartModelVariants.T8103, false, false, 64, 0), d);
        DartConfig c = DartConfig.from(DartModelVariants.T8110, options("/n", Map.of("streams", "0x20", "ias", "42",
                "oas", "36", "bypass", "no", "locked", "yes", "busy-stuck", "true", "iotlb-entries", "0")));
        assertEquals(32, c.sids());
        assertEquals(42, c.variant().sizes().ias());
        assertEquals(36, c.variant().sizes().oas());
        assertEquals(false, c.variant().bypass());
        assertEquals(true, c.locked());
        assertEquals(true, c.busyStuck());
        assertEquals(0, c.iotlbEntries());
        assertEquals(256, DartConfig.from(DartModelVariants.T8110, options("/n", Map.of("streams", "511"))).sidsWithRegs());
        IommuException e = assertThrows(IommuException.class,
                () -> DartConfig.from(DartModelVariants.T6020, options("/soc/x", Map.of("oas", "zero"))));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("/soc/x") && e.getMessage().contains("oas=zero"), e.getMessage());
    }

    @Test
    void variantsFollowTheContractTable() {
        assertEquals(List.of("apple,t8103-dart", "apple,t6000-dart", "apple,t6020-dart", "apple,t8110-dart"),
                DartModelFactory.builtIn().compatibles());
        assertEquals("apple-dart", DartModelFactory.builtIn().name());
        DartModelHw u = USB4_VARIANT;
        assertEquals(64, u.streams().count());
        assertEquals(0x400, u.ttbrBase());
        assertEquals(false, u.bypass());
        assertEquals(List.of(0xFC, 0xF8), u.streams().enableWords());
        assertEquals(DartModelHw.PteFormat.DART2, DartModelVariants.T6000.format());
        assertEquals(42, DartModelVariants.T6000.sizes().oas());
        assertEquals(DartModelHw.PteFormat.DART1, DartModelVariants.T8103.format());
        assertEquals(36, DartModelVariants.T8110.sizes().ias());
        assertEquals(42, DartModelVariants.T6020.sizes().ias());
        assertEquals(0x1400, DartModelVariants.T8110.ttbrBase());
        assertEquals(4, DartModelVariants.T8103.family().ttbrsPerStream());
        assertEquals(1, DartModelVariants.T6020.family().ttbrsPerStream());
    }

    @Test
    void everyDartOfTheBoardHasTheModel() {
        DartRig r = new DartRig();
        for (IommuHardware h : r.machine.iommuHardware()) {
            assertEquals(DartModelFactory.NAME, h.model(), h.node().path() + ": " + h.reason());
        }
        assertEquals(Map.of("iotlb.hits", 0L, "iotlb.misses", 0L, "walks", 0L, "faults", 0L, "invalidations", 0L),
                r.counters(T6020));
    }

    @Test
    void optionsFromTheNodeProperty() {
        String dts = new String(readBoard(), java.nio.charset.StandardCharsets.UTF_8).replace(
                "compatible = \"apple,t8110-dart\";\n\t\t\treg = <0x3 0x91000000 0x0 0x4000>;",
                "compatible = \"apple,t8110-dart\";\n\t\t\treg = <0x3 0x91000000 0x0 0x4000>;\n"
                        + "\t\t\tiommulab,model-options = \"streams=32\", \"locked\";");
        assertTrue(dts.contains("streams=32"), "the board text changed");
        var m = io.iommulab.machine.SimMachine.boot(io.iommulab.machine.dt.DeviceTrees.parse("opts.dts",
                dts.getBytes(java.nio.charset.StandardCharsets.UTF_8)), List.of(DartModelFactory.builtIn()), Map.of());
        var w = m.ioremap(m.deviceTree().node(T8110).orElseThrow(), 0);
        assertEquals(32, w.readl(0x0C), "PARAMS4 from iommulab,model-options");
        assertEquals(1, w.readl(0x200), "a bare key means true");
    }

    private static byte[] readBoard() {
        try (var in = DartModelOptionsTest.class.getResourceAsStream("/dart/darts.dts")) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
