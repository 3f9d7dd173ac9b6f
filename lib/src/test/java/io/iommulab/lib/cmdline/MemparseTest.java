package io.iommulab.lib.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import org.junit.jupiter.api.Test;

class MemparseTest {

    @Test
    void decimalHexAndEverySuffixInEitherCase() {
        assertEquals(0, value("0"));
        assertEquals(16384, value("16384"));
        assertEquals(16384, value("16K"));
        assertEquals(16384, value("16k"));
        assertEquals(0x4000, value("0x4000"));
        assertEquals(0x4000, value("0X4000"));
        assertEquals(0xabcdL, value("0xAbCd"));
        assertEquals(16384, value("0x10K"), "memparse takes the suffix after hex digits too");
        assertEquals(0x12L << 30, value("0x12g"));
        assertEquals(2L << 20, value("2m"));
        assertEquals(1L << 30, value("1G"));
        assertEquals(3L << 40, value("3t"));
        assertEquals(1L << 50, value("1P"));
        assertEquals(1L << 60, value("1e"));
        assertEquals(0x1e, value("0x1E"), "E is a hex digit first, as in memparse");
        assertEquals(0, value("0K"));
        assertEquals(0x8_0000_0010L, value("0x8_0000_0010"), "_ groups digits");
        assertEquals(1_000_000, value("1_000_000"));
        assertEquals(42, value("  42\t"), "surrounding blanks are ignored");
    }

    @Test
    void theWholeUnsigned64BitRangeAndNothingBeyond() {
        assertEquals(-1L, value("0xffffffffffffffff"));
        assertEquals(-1L, value("18446744073709551615"));
        assertEquals(0x8000_0000_0000_0000L, value("8E"));
        assertEquals(0xffff_ffff_ffff_fc00L, value("0x3fffffffffffffK"));
        refused("0x1_0000_0000_0000_0000", "X '0x1_0000_0000_0000_0000' does not fit in 64 bits");
        refused("18446744073709551616", "X '18446744073709551616' does not fit in 64 bits");
        refused("16E", "X '16E' does not fit in 64 bits");
        refused("0x40000000000000K", "X '0x40000000000000K' does not fit in 64 bits");
    }

    @Test
    void malformedTextIsRefusedNamingTheNumberAndTheText() {
        String forms = " is not a number (decimal or 0x hex, optional K, M, G, T, P or E suffix)";
        for (String bad : new String[] {"", " ", "0x", "0xzz", "0x12q", "12g5", "16KB", "16 K", "K", "-4", "+4", "1.5",
                "_1", "1_", "1__0", "0x_1", "1e3e", "٣"}) {
            refused(bad, "X '" + bad + "'" + forms);
        }
        IommuException nul = assertThrows(IommuException.class, () -> Memparse.parse("PADDR", null));
        assertEquals("EINVAL: PADDR 'null'" + forms, nul.getMessage());
    }

    @Test
    void aLeadingZeroIsRefusedRatherThanReadAsOctal() {
        refused("010", "X '010' has a leading 0, which Linux's memparse reads as octal");
        refused("00", "X '00' has a leading 0");
        assertEquals(8, value("0x08"), "hex may have leading zeros");
    }

    @Test
    void withinNamesTheRange() {
        Memparse len = Memparse.parse("LEN", "5K");
        assertEquals(5120, len.within(1, 8192));
        IommuException e = assertThrows(IommuException.class, () -> len.within(1, 4096));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: LEN '5K' is not between 1 and 4096", e.getMessage());
        IommuException huge = assertThrows(IommuException.class, () -> Memparse.parse("SIZE", "0xffffffffffffffff").within(0, Long.MAX_VALUE));
        assertEquals("EINVAL: SIZE '0xffffffffffffffff' is not between 0 and 9223372036854775807", huge.getMessage());
    }

    private static long value(String text) {
        Memparse m = Memparse.parse("X", text);
        assertEquals("X", m.name());
        assertEquals(text, m.text());
        return m.value();
    }

    private static void refused(String text, String message) {
        IommuException e = assertThrows(IommuException.class, () -> Memparse.parse("X", text));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(true, e.getMessage().startsWith("EINVAL: " + message), e.getMessage());
    }
}
