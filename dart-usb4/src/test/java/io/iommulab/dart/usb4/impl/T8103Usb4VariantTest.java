package io.iommulab.dart.usb4.impl;

import static org.junit.jupiter.api.Assertions.*;

import io.iommulab.dart.impl.DartFamiliesComponent;
import io.iommulab.dart.spi.DartFamilies;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import io.iommulab.testkit.LogCapture;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The usb4 record is what dart-facts §1.1, §1.3, §1.5, §1.6 and §1.9 say. */
class T8103Usb4VariantTest {

    final DartFamilies families = new DartFamiliesComponent();
    final DartHw hw = new T8103Usb4Variant(families).hw();

    @Test
    void identityAndFamily() {
        assertEquals("t8103-usb4", hw.identity().name());
        assertEquals(List.of("apple,t8103-usb4-dart"), hw.identity().compatibles());
        assertEquals(DartLayout.T8020, hw.identity().layout());
        assertEquals("apple-dart", hw.identity().pgtableFormat(), "DART1 tables");
        assertEquals(36, hw.sizes().oas());
        assertEquals(64, hw.sizes().maxSidCount());
        assertSame(families.t8020Params(), hw.strategies().params());
        assertSame(families.t8020Invalidator(), hw.strategies().invalidator());
        assertSame(families.t8020FaultHandler(), hw.strategies().faultHandler());
    }

    @Test
    void registersAndValues() {
        assertEquals(0x60, hw.global().lock(), "CONFIG");
        assertEquals(1 << 15, hw.global().lockBit());
        assertEquals(0x40, hw.global().error());
        assertEquals(List.of(0xFC, 0xF8), hw.global().enableStreams(), "second word at 0xF8, not 0x100 = TCR[0]");
        assertEquals(0x100, hw.tcr().base());
        assertEquals(0x80, hw.tcr().enabled());
        assertEquals(0, hw.tcr().disabled());
        assertEquals(0, hw.tcr().bypass(), "usb4 has no bypass value");
        assertEquals(0, hw.tcr().fourLevel());
        assertEquals(0x400, hw.ttbr().base());
        assertEquals(1 << 31, hw.ttbr().valid());
        assertEquals(0, hw.ttbr().addrFieldShift());
        assertEquals(12, hw.ttbr().shift());
        assertEquals(4, hw.ttbr().count());
        assertEquals(0x400 + 16 * 40 + 4 * 3, hw.ttbr().offset(40, 3));
        assertEquals(0x100 + 4 * 63, hw.tcr().offset(63));
        assertEquals(0x8000_0000 | 0x80_0000, hw.ttbr().value(0x8_0000_0000L));
    }

    @Test
    void onlyTheUsb4FieldsDifferFromT8103() {
        DartHw t8103 = families.t8103();
        assertEquals(t8103.toBuilder().name(hw.identity().name()).compatibles(hw.identity().compatibles())
                .streams(64, hw.global().enableStreams()).ttbr(0x400).tcrBypass(0).build(), hw);
    }

    @Test
    void upstreamsStreamSelectOnlyChangesTheInvalidatorWhichWrapsTheFamilys() {
        DartHw upstream = new T8103Usb4Variant(families, true).hw();
        assertTrue(upstream.strategies().invalidator() instanceof UpstreamStreamSelect);
        assertEquals("upstream-stream-select " + families.t8020Invalidator(), upstream.strategies().invalidator().toString());
        assertEquals(hw, upstream.toBuilder().invalidator(families.t8020Invalidator()).build());
    }

    /** 32-bit word i of what is selected is sidmap[i] truncated, for the ceil(streams / 32) words written. */
    @Test
    void upstreamSelectsTheLowHalfOfEachLong() {
        long[] sidmap = {(1L << 1) | (1L << 31) | (1L << 32) | (1L << 40) | (1L << 63), 1L | (1L << 33), 0, 0};
        // word 0: SIDs 1, 31; word 1: bit 0 of sidmap[1] (SID 64) lands where SID 32 is selected
        assertArrayEquals(new long[] {(1L << 1) | (1L << 31) | (1L << 32), 0, 0, 0}, UpstreamStreamSelect.selected(sidmap, 64));
        assertArrayEquals(new long[] {(1L << 1) | (1L << 31), 0, 0, 0}, UpstreamStreamSelect.selected(sidmap, 16),
                "one word for 16 streams");
        long[] all = {-1L, -1L, -1L, -1L};
        assertArrayEquals(new long[] {-1L, -1L, 0, 0}, UpstreamStreamSelect.selected(all, 256),
                "8 words: the low halves of the 4 longs, then 0 where upstream would read past its array");
        assertArrayEquals(new long[] {0xffff_ffffL, 0, 0, 0}, UpstreamStreamSelect.selected(new long[] {-1L, 0, 0, 0}, 64),
                "a full first long (SIDs 0-63) selects 0-31");
    }

    @Test
    void theOptionIsABooleanAndABadValueLeavesItOff() {
        assertFalse(T8103Usb4Variant.upstreamStreamSelect(null));
        assertTrue(T8103Usb4Variant.upstreamStreamSelect("on"));
        assertFalse(T8103Usb4Variant.upstreamStreamSelect("0"));
        try (LogCapture log = new LogCapture()) {
            assertFalse(T8103Usb4Variant.upstreamStreamSelect("maybe"));
            assertEquals(1, log.matching("ERROR").size(), log.lines().toString());
            assertTrue(log.matching("ERROR").get(0).contains("t8103-usb4: EINVAL: " + T8103Usb4Variant.UPSTREAM_STREAM_SELECT_PROPERTY
                    + " 'maybe' is not a boolean (1/0, y/n, yes/no, true/false, on/off); running without it"), log.lines().toString());
        }
    }
}
