package io.iommulab.lib.cmdline;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/**
 * One number as a person writes it, read the way Linux's {@code memparse()} ({@code lib/cmdline.c})
 * reads {@code mem=16K}: decimal or {@code 0x}/{@code 0X} hexadecimal digits, then an optional
 * binary suffix {@code K}, {@code M}, {@code G}, {@code T}, {@code P} or {@code E} in either case
 * (10, 20, ... 60 bits of shift). So {@code 16K}, {@code 16k}, {@code 16384} and {@code 0x4000} are the
 * same number, and {@code 0x10K} is 16 KiB too. As in memparse, hex digits are taken first:
 * {@code 0x1E} is 30, while {@code 1E} is 1 EiB.
 *
 * <p>Where memparse is lax this reader refuses, with EINVAL naming the number and the text:
 * anything after the suffix, no digits at all, a sign, a value beyond 64 bits (memparse wraps), and
 * a decimal with a leading 0 ({@code 010}), which memparse reads as octal 8 and a reader as ten.
 * One addition: {@code _} may group digits ({@code 0x8_0000_0000}).
 *
 * @param name  what the number is, for messages: an argument ({@code PADDR}) or a file position
 *              and key ({@code w.workload:3: count})
 * @param text  the text as given
 * @param value the number, unsigned 64-bit ({@code 0xffff_ffff_ffff_ffff} is -1L)
 */
public record Memparse(String name, String text, long value) {

    private static final String FORMS = "decimal or 0x hex, optional K, M, G, T, P or E suffix";

    /**
     * @throws IommuException EINVAL "{@code PADDR '0xzz' is not a number (...)}" and the like
     */
    public static Memparse parse(String name, String text) {
        String t = text == null ? "" : text.strip();
        int radix = t.length() > 1 && t.charAt(0) == '0' && (t.charAt(1) == 'x' || t.charAt(1) == 'X') ? 16 : 10;
        StringBuilder digits = new StringBuilder();
        int i = radix == 16 ? 2 : 0;
        for (; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '_' && !digits.isEmpty() && i + 1 < t.length() && digit(t.charAt(i + 1), radix)) {
                continue;
            }
            if (!digit(c, radix)) {
                break;
            }
            digits.append(c);
        }
        int shift = i < t.length() ? suffixShift(t.charAt(i)) : 0;
        if (digits.isEmpty() || shift < 0 || i < t.length() - 1) {
            throw invalid(name, text, "is not a number (" + FORMS + ")");
        }
        if (radix == 10 && digits.length() > 1 && digits.charAt(0) == '0') {
            throw invalid(name, text, "has a leading 0, which Linux's memparse reads as octal: write it in decimal"
                    + " without the 0, or in 0x hex");
        }
        long v;
        try {
            v = Long.parseUnsignedLong(digits, 0, digits.length(), radix);
        } catch (NumberFormatException e) {
            throw invalid(name, text, "does not fit in 64 bits");
        }
        if (shift > 0 && v >>> (64 - shift) != 0) {
            throw invalid(name, text, "does not fit in 64 bits");
        }
        return new Memparse(name, text, v << shift);
    }

    /**
     * @return {@link #value} if it lies in {@code [min, max]} (signed)
     * @throws IommuException EINVAL "{@code LEN '5000' is not between 1 and 4096}"
     */
    public long within(long min, long max) {
        if (value < min || value > max) {
            throw invalid(name, text, "is not between " + min + " and " + max);
        }
        return value;
    }

    private static boolean digit(char c, int radix) {
        return c < 0x80 && Character.digit(c, radix) >= 0;
    }

    /** @return the suffix's shift as memparse has it, -1 for no suffix letter */
    private static int suffixShift(char c) {
        switch (Character.toUpperCase(c)) {
            case 'K': return 10;
            case 'M': return 20;
            case 'G': return 30;
            case 'T': return 40;
            case 'P': return 50;
            case 'E': return 60;
            default: return -1;
        }
    }

    private static IommuException invalid(String name, String text, String what) {
        return new IommuException(Errno.EINVAL, name + " '" + text + "' " + what);
    }
}
