package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The usb4 record is what dart-facts §1.1, §1.3, §1.5, §1.6 and §1.9 say. */
class T8103Usb4VariantTest {

    final DartFamilies families = new DartFamiliesComponent();
    final DartHw hw = new T8103Usb4Variant(families).hw();

    @Test
    void identityAndFamily() {
        assertEquals("t8103-usb4", hw.name());
        assertEquals(List.of("apple,t8103-usb4-dart"), hw.compatibles());
        assertEquals(DartLayout.T8020, hw.layout());
        assertEquals("apple-dart", hw.pgtableFormat(), "DART1 tables");
        assertEquals(36, hw.oas());
        assertEquals(64, hw.maxSidCount());
        assertSame(families.t8020Params(), hw.params());
        assertSame(families.t8020Invalidator(), hw.invalidator());
        assertSame(families.t8020FaultHandler(), hw.faultHandler());
    }

    @Test
    void registersAndValues() {
        assertEquals(0x60, hw.lock(), "CONFIG");
        assertEquals(1 << 15, hw.lockBit());
        assertEquals(0x40, hw.error());
        assertEquals(List.of(0xFC, 0xF8), hw.enableStreams(), "second word at 0xF8, not 0x100 = TCR[0]");
        assertEquals(0x100, hw.tcr());
        assertEquals(0x80, hw.tcrEnabled());
        assertEquals(0, hw.tcrDisabled());
        assertEquals(0, hw.tcrBypass(), "usb4 has no bypass value");
        assertEquals(0, hw.tcr4Level());
        assertEquals(0x400, hw.ttbr());
        assertEquals(1 << 31, hw.ttbrValid());
        assertEquals(0, hw.ttbrAddrFieldShift());
        assertEquals(12, hw.ttbrShift());
        assertEquals(4, hw.ttbrCount());
        assertEquals(0x400 + 16 * 40 + 4 * 3, hw.ttbrOffset(40, 3));
        assertEquals(0x100 + 4 * 63, hw.tcrOffset(63));
        assertEquals(0x8000_0000 | 0x80_0000, hw.ttbrValue(0x8_0000_0000L));
    }

    @Test
    void onlyTheUsb4FieldsDifferFromT8103() {
        DartHw t8103 = families.t8103();
        assertEquals(t8103.withIdentity(hw.name(), hw.compatibles()).withStreams(64, hw.enableStreams()).withTtbr(0x400)
                .withTcrBypass(0), hw);
    }
}
