package io.iommulab.launcher;

/** A strict RFC 8259 syntax check for the tests: the whole text must be exactly one JSON value. */
final class JsonCheck {
    private final String s;
    private int i;

    private JsonCheck(String s) {
        this.s = s;
    }

    /** @throws IllegalArgumentException naming the position of the first syntax error */
    static void validate(String text) {
        JsonCheck c = new JsonCheck(text);
        c.value();
        c.ws();
        if (c.i != text.length()) {
            throw c.fail("end of document");
        }
    }

    private void value() {
        ws();
        if (i >= s.length()) {
            throw fail("a value");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void object() {
        i++;
        ws();
        if (peek() == '}') {
            i++;
            return;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw fail("a member name");
            }
            string();
            ws();
            expect(':');
            value();
            ws();
            if (peek() == ',') {
                i++;
            } else {
                expect('}');
                return;
            }
        }
    }

    private void array() {
        i++;
        ws();
        if (peek() == ']') {
            i++;
            return;
        }
        while (true) {
            value();
            ws();
            if (peek() == ',') {
                i++;
            } else {
                expect(']');
                return;
            }
        }
    }

    private void string() {
        i++;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                throw fail("an escaped control character");
            }
            if (c == '\\') {
                char e = s.charAt(i++);
                if (e == 'u') {
                    for (int k = 0; k < 4; k++) {
                        if (Character.digit(s.charAt(i++), 16) < 0) {
                            throw fail("4 hex digits");
                        }
                    }
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw fail("a valid escape");
                }
            }
        }
        throw fail("closing quote");
    }

    private void number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else {
            digits();
        }
        if (peek() == '.') {
            i++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            i++;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            digits();
        }
        if (i == start) {
            throw fail("a value");
        }
    }

    private void digits() {
        int start = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == start) {
            throw fail("a digit");
        }
    }

    private void literal(String word) {
        if (!s.startsWith(word, i)) {
            throw fail(word);
        }
        i += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw fail("'" + c + "'");
        }
        i++;
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : 0;
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private IllegalArgumentException fail(String expected) {
        return new IllegalArgumentException("expected " + expected + " at " + i + " in " + s);
    }
}
