package io.iommulab.compare.report;

import java.util.Locale;

/**
 * Number and name formatting shared by every renderer, so that a value reads the same in the
 * terminal, the Markdown, the HTML and the SVG labels (and rows compare equal exactly when their
 * shown values do). Always {@link Locale#ROOT}: a report must not depend on the user's locale.
 */
public final class Fmt {
    /** Shown for a value that does not exist (NaN, infinite, or a backend that lacks the row). */
    static final String NA = "n/a";
    /** Shown for a cell of a backend that has no such item (device, pattern, fault, capability). */
    static final String MISSING = "-";

    private Fmt() {
    }

    /** A per-op cost: two decimals, because 0.5 and 0.52 writes/op are different drivers. */
    public static String perOp(double v) {
        return finite(v) ? String.format(Locale.ROOT, "%.2f", v) : NA;
    }

    /** A rate that is large and noisy (ops/s): whole numbers. */
    public static String rate(double v) {
        return finite(v) ? String.format(Locale.ROOT, "%.0f", v) : NA;
    }

    /** MiB/s: one decimal. */
    static String mib(double v) {
        return finite(v) ? String.format(Locale.ROOT, "%.1f", v) : NA;
    }

    /** A ratio in [0,1] as a percentage; NaN (no DMA, so no hits or misses) is "n/a". */
    public static String percent(double v) {
        return finite(v) ? String.format(Locale.ROOT, "%.1f%%", v * 100.0) : NA;
    }

    /** Bytes exactly, plus KiB/MiB/... when that helps a reader. */
    static String bytes(long v) {
        if (v < 1024) {
            return Long.toString(v);
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double scaled = v / 1024.0;
        int u = 0;
        while (scaled >= 1024 && u < units.length - 1) {
            scaled /= 1024;
            u++;
        }
        return v + " (" + String.format(Locale.ROOT, "%.1f", scaled) + " " + units[u] + ")";
    }

    /** An address or register value: unsigned hex, as the kernel prints it. */
    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /**
     * A short number for chart labels and ticks: at most three significant digits with a k/M/G/T/P
     * suffix, so that labels above narrow bars stay short.
     */
    static String compact(double v) {
        if (!finite(v)) {
            return NA;
        }
        double a = Math.abs(v);
        if (a >= 1e15) {
            return trim(v / 1e15) + "P";
        } else if (a >= 1e12) {
            return trim(v / 1e12) + "T";
        } else if (a >= 1e9) {
            return trim(v / 1e9) + "G";
        } else if (a >= 1e6) {
            return trim(v / 1e6) + "M";
        } else if (a >= 1e4) {
            return trim(v / 1e3) + "k";
        }
        return trim(v);
    }

    /** A coordinate for SVG: one decimal, no trailing ".0". */
    static String coord(double v) {
        return trim1(Math.round(v * 10.0) / 10.0);
    }

    static boolean finite(double v) {
        return !Double.isNaN(v) && !Double.isInfinite(v);
    }

    /** Null as an empty string: renderers never print "null". */
    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static String trim(double v) {
        double a = Math.abs(v);
        String s = a >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : a >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        return stripZeros(s);
    }

    private static String trim1(double v) {
        return stripZeros(String.format(Locale.ROOT, "%.1f", v));
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        s = s.replaceAll("0+$", "");
        s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        return s.equals("-0") ? "0" : s;
    }
}
