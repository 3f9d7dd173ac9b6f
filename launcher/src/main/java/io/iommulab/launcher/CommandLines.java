package io.iommulab.launcher;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Splits command text into the commands the launcher runs one at a time (each with its own result
 * and JSON line). A {@code ;} or newline ends a command only outside quotes and outside
 * {@code { }}, {@code [ ]} and {@code ( )}, so Gogo closures and lists stay whole.
 */
final class CommandLines {

    private CommandLines() {
    }

    /** @return the commands of a {@code -c} string, trimmed, empty ones dropped */
    static List<String> split(String text) throws LaunchOptions.UsageException {
        List<String> out = new ArrayList<>();
        Deque<Character> open = new ArrayDeque<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                cur.append(c);
                if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    cur.append(text.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '\'', '"' -> {
                    quote = c;
                    cur.append(c);
                }
                case '\\' -> {
                    cur.append(c);
                    if (i + 1 < text.length()) {
                        cur.append(text.charAt(++i));
                    }
                }
                case '{', '[', '(' -> {
                    open.push(c == '{' ? '}' : c == '[' ? ']' : ')');
                    cur.append(c);
                }
                case '}', ']', ')' -> {
                    if (open.isEmpty() || open.peek() != c) {
                        throw new LaunchOptions.UsageException("command '" + text.strip() + "': unbalanced '" + c
                                + "' at column " + (i + 1));
                    }
                    open.pop();
                    cur.append(c);
                }
                case ';', '\n' -> {
                    if (open.isEmpty()) {
                        add(out, cur);
                    } else {
                        cur.append(c);
                    }
                }
                default -> cur.append(c);
            }
        }
        if (quote != 0) {
            throw new LaunchOptions.UsageException("command '" + text.strip() + "': unterminated " + quote + " quote");
        }
        if (!open.isEmpty()) {
            throw new LaunchOptions.UsageException("command '" + text.strip() + "': missing '" + open.peek() + "'");
        }
        add(out, cur);
        return out;
    }

    /** @return the commands of a script: one per line, blank lines and lines starting with {@code #} skipped */
    static List<String> script(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\r?\n", -1)) {
            String s = line.strip();
            if (!s.isEmpty() && s.charAt(0) != '#') {
                out.add(s);
            }
        }
        return out;
    }

    private static void add(List<String> out, StringBuilder cur) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        cur.setLength(0);
    }
}
