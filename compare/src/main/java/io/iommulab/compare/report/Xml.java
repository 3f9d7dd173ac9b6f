package io.iommulab.compare.report;

/**
 * Escaping for XML text and attributes (SVG, and the HTML report, which is written so that it is
 * also well-formed XML). Only the five predefined entities are used, because an inline SVG and a
 * stand-alone {@code .svg} file must both parse without a DTD.
 */
final class Xml {
    private Xml() {
    }

    /**
     * Escapes {@code s} for text content and double- or single-quoted attributes. Characters XML 1.0
     * forbids (control characters other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF) become
     * U+FFFD, since no escape can represent them.
     */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else {
                        b.append(allowed(c) ? c : '\uFFFD');
                    }
                }
            }
        }
        return b.toString();
    }

    private static boolean allowed(char c) {
        if (Character.isSurrogate(c)) {
            return false;
        }
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c != 0xFFFE && c != 0xFFFF);
    }
}
