package io.iommulab.dart.model.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.machine.IommuHardware;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.dart.model.spi.DartModelHw.Family;
import io.iommulab.machine.SimMachine;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The variant SPI record, and how the factory picks a node's variant. */
class DartModelHwTest {

    private static String refused(DartModelHw.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void aDerivedVariantChangesOnlyWhatItSets() {
        DartModelHw t8103 = DartModelVariants.T8103;
        assertEquals(t8103, t8103.toBuilder().build(), "toBuilder keeps every field");
        DartModelHw v = t8103.toBuilder().name("x").compatibles("vendor,x-dart").streams(40).enableWords(0xFC, 0xF8).build();
        assertEquals(40, v.streams().count());
        assertEquals(t8103.ttbrBase(), v.ttbrBase());
        assertEquals(t8103.sizes(), v.sizes());
        assertEquals(t8103.format(), v.format());
    }

    @Test
    void aDescriptionTheFamiliesCannotBeIsRefusedNamingTheField() {
        DartModelHw.Builder t8103 = DartModelVariants.T8103.toBuilder();
        assertTrue(refused(t8103.streams(33)).contains("t8103: 1 STREAMS_ENABLE words cannot cover 33 streams"));
        assertTrue(refused(DartModelVariants.T8103.toBuilder().streams(512)).contains("streams.count 512 is not in 1..511"));
        assertTrue(refused(DartModelVariants.T8103.toBuilder().ttbrBase(0x202)).contains("ttbrBase offset 0x202"));
        assertTrue(refused(DartModelVariants.T8103.toBuilder().oas(64)).contains("sizes.oas 64 is not in 1..63"));
        assertTrue(refused(DartModelVariants.T8103.toBuilder().compatibles(List.of())).contains("no compatible strings"));
        assertTrue(refused(DartModelVariants.T8110.toBuilder().enableWords(0xFC))
                .contains("T8110 DARTs enable streams through ENABLE_STREAMS/DISABLE_STREAMS, not words at 0xfc"));
        assertEquals("family", assertThrows(NullPointerException.class,
                () -> DartModelHw.builder("y").compatibles("vendor,y").build()).getMessage());
        assertEquals(Family.T8020, DartModelVariants.T6000.family());
    }

    @Test
    void aNodeBindsTheVariantOfItsFirstCompatibleThatOneIsThereFor() {
        DartRig builtIn = new DartRig();
        assertEquals(42 << 24 | 42 << 16, builtIn.regs(DartRig.T6020).readl(0x08), "apple,t6020-dart: IAS 42");
        SimMachine t8110Only = SimMachine.boot(DartRig.board(), List.of(new DartModelFactory(List.of(DartModelVariants.T8110))),
                Map.of());
        assertEquals(42 << 24 | 36 << 16, t8110Only.ioremap(t8110Only.deviceTree().node(DartRig.T6020).orElseThrow(), 0)
                .readl(0x08), "without a t6020 variant the node falls back to apple,t8110-dart");
        IommuHardware t8103 = t8110Only.iommuHardware().stream().filter(h -> h.node().path().equals(DartRig.DART_A))
                .findFirst().orElseThrow();
        assertNull(t8103.model(), "no variant, no hardware");
    }

    @Test
    void aVariantNeedingAQuirkTheModelLacksLeavesItsNodesUnmodelled() {
        DartModelHw quirky = DartModelVariants.T8103.toBuilder().name("quirky").quirk("error-stream-6-bits").build();
        assertEquals(Set.of("error-stream-6-bits"), quirky.quirks());
        SimMachine m = SimMachine.boot(DartRig.board(), List.of(new DartModelFactory(List.of(quirky))), Map.of());
        IommuHardware h = m.iommuHardware().stream().filter(x -> x.node().path().equals(DartRig.DART_A)).findFirst().orElseThrow();
        assertNull(h.model());
        assertEquals("EINVAL: " + DartRig.DART_A + ": apple-dart model: variant quirky needs quirks [error-stream-6-bits], "
                + "which this model does not implement", h.reason());
    }
}
