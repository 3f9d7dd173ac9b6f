package io.iommulab.machine.dt;

import io.iommulab.api.error.DeviceTreeException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads device-tree source (DTS) without a C preprocessor: the dtc grammar for {@code /dts-v1/;},
 * {@code /memreserve/}, nodes, labels, properties ({@code "strings"}, {@code <cells>} with
 * {@code &label}/{@code &{/path}} references, char literals and parenthesised expressions,
 * {@code /bits/ N}, {@code [bytes]}, path references), top-level {@code &label { ... };}
 * overlays, {@code /delete-node/}, {@code /delete-property/} and {@code /omit-if-no-ref/}.
 * cpp line markers ({@code # 12 "file.dtsi"}) are honoured so errors in preprocessed input name
 * the original line; any other preprocessor directive is an error.
 *
 * <p>References are resolved after the whole source is read, and every node referenced by
 * {@code &label} inside cells gets a phandle (and a {@code phandle} property), numbered as dtc does.
 *
 * <p>The source is held to {@link DtLimits} (size, depth, node count, path and name length,
 * expression nesting); labels are looked up in an index, so reading takes time about linear in the
 * size of the source and memory bounded by the limits.
 */
final class DtsReader {
    private static final Set<String> CPP_DIRECTIVES = Set.of("include", "define", "undef", "if", "ifdef",
            "ifndef", "elif", "else", "endif", "pragma", "error", "warning", "line");

    /** A node while the source is read; {@code depth} and {@code pathLength} are fixed at creation. */
    private static final class SNode {
        final String name;
        final SNode parent;
        final int depth;
        final int pathLength;
        final Map<String, List<Object>> props = new LinkedHashMap<>();
        final Map<String, SNode> children = new LinkedHashMap<>();
        final Set<String> labels = new LinkedHashSet<>();
        boolean omitIfNoRef;
        int phandle;

        SNode(String name, SNode parent) {
            this.name = name;
            this.parent = parent;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.pathLength = parent == null ? 1 : (parent.parent == null ? 1 : parent.pathLength + 1) + name.length();
        }

        /** @return false once this node or an ancestor was deleted */
        boolean attached(SNode root) {
            SNode c = this;
            while (c.parent != null) {
                if (c.parent.children.get(c.name) != c) {
                    return false;
                }
                c = c.parent;
            }
            return c == root;
        }

        String path() {
            if (parent == null) {
                return "/";
            }
            String pp = parent.path();
            return (pp.equals("/") ? "/" : pp + "/") + name;
        }
    }

    /**
     * A reference inside a property value.
     *
     * @param phandle true inside cells (becomes the target's phandle), false outside (its path)
     * @param target  a label, or an absolute path
     * @param line    source line for errors
     * @param file    the file of a cpp line marker, or null
     */
    private record Ref(boolean phandle, String target, int line, String file) {
        String display() {
            return target.startsWith("/") ? "&{" + target + "}" : "&" + target;
        }

        String where() {
            return DtsReader.where(line, file);
        }
    }

    private final String source;
    private final String text;
    private int pos;
    private int line = 1;
    private String lineFile;
    private final SNode root = new SNode("", null);
    private final List<MemReserve> memReserve = new ArrayList<>();
    /** Label to node, for the references resolved while reading (overlays, deletions); first attached owner wins. */
    private final Map<String, SNode> labelIndex = new HashMap<>();
    private final Map<String, String> targets = new HashMap<>();
    private int nodes = 1;
    private int expressionDepth;

    private DtsReader(String source, String text) {
        this.source = source;
        this.text = text;
    }

    static Tree read(String source, byte[] data) {
        if (data.length > DtLimits.MAX_DTS_BYTES) {
            throw new DeviceTreeException(source, null, String.format("expected DTS text of at most %d MiB, found %d bytes",
                    DtLimits.MAX_DTS_BYTES >> 20, data.length));
        }
        return new DtsReader(source, new String(data, StandardCharsets.UTF_8)).read();
    }

    private Tree read() {
        skipWs();
        while (take("/dts-v1/")) {
            expect(';', "';' after /dts-v1/");
            skipWs();
        }
        if (text.startsWith("/plugin/", pos)) {
            throw err("expected a base tree, found /plugin/ (overlay blobs are not supported)");
        }
        boolean sawRoot = false;
        while (true) {
            skipWs();
            if (pos >= text.length()) {
                break;
            }
            List<String> labels = labels();
            if (take("/memreserve/")) {
                long address = integerPrim();
                long size = integerPrim();
                expect(';', "';' after /memreserve/ <address> <size>");
                memReserve.add(new MemReserve(address, size));
            } else if (take("/delete-node/")) {
                SNode target = resolveNow(reference());
                expect(';', "';' after /delete-node/ &label");
                if (target.parent == null) {
                    throw err("expected a node other than the root for /delete-node/, found the root");
                }
                target.parent.children.remove(target.name);
            } else if (take("/omit-if-no-ref/")) {
                resolveNow(reference()).omitIfNoRef = true;
                expect(';', "';' after /omit-if-no-ref/ &label");
            } else if (text.startsWith("/include/", pos)) {
                throw err("expected DTS without includes, found /include/ (merge the files first)");
            } else if (peek() == '/') {
                pos++;
                addLabels(root, labels);
                nodeBody(root);
                sawRoot = true;
            } else if (peek() == '&') {
                if (!sawRoot) {
                    throw err("expected the root node '/ { ... };' before overlays, found " + found());
                }
                SNode target = resolveNow(reference());
                addLabels(target, labels);
                nodeBody(target);
            } else {
                throw err("expected '/ {', '&label {', /memreserve/ or /delete-node/, found " + found());
            }
        }
        if (!sawRoot) {
            throw err("expected a root node '/ { ... };', found end of input");
        }
        return finish();
    }

    // ---------------------------------------------------------------- nodes and properties

    private void nodeBody(SNode n) {
        expect('{', "'{' opening node " + n.path());
        while (true) {
            skipWs();
            if (pos >= text.length()) {
                throw err("expected '}' closing node " + n.path() + ", found end of input");
            }
            if (peek() == '}') {
                pos++;
                expect(';', "';' after '}' of node " + n.path());
                return;
            }
            List<String> labels = labels();
            if (take("/delete-property/")) {
                String name = name("a property name after /delete-property/");
                expect(';', "';' after /delete-property/ " + name);
                n.props.remove(name);
                continue;
            }
            if (take("/delete-node/")) {
                String name = name("a node name after /delete-node/");
                expect(';', "';' after /delete-node/ " + name);
                n.children.remove(name);
                continue;
            }
            boolean omit = take("/omit-if-no-ref/");
            if (omit) {
                labels.addAll(labels());
            }
            String name = name("a property or node name in " + n.path());
            skipWs();
            int c = peek();
            if (c == '{') {
                SNode child = n.children.get(name);
                if (child == null) {
                    child = newChild(n, name);
                }
                child.omitIfNoRef |= omit;
                addLabels(child, labels);
                nodeBody(child);
            } else if (omit) {
                throw err("expected '{' of a node after /omit-if-no-ref/ " + name + ", found " + found());
            } else if (c == '=') {
                pos++;
                List<Object> value = propData();
                expect(';', "';' after the value of property " + name);
                n.props.put(name, value);
            } else if (c == ';') {
                pos++;
                n.props.put(name, new ArrayList<>());
            } else {
                throw err("expected '{', '=' or ';' after \"" + name + "\", found " + found());
            }
        }
    }

    private SNode newChild(SNode parent, String name) {
        SNode child = new SNode(name, parent);
        String problem = DtLimits.depth(name, child.depth);
        if (problem == null) {
            problem = DtLimits.nodes(++nodes);
        }
        if (problem == null) {
            problem = DtLimits.path(name, child.pathLength);
        }
        if (problem != null) {
            throw err(problem);
        }
        parent.children.put(name, child);
        return child;
    }

    private void addLabels(SNode n, List<String> labels) {
        for (String l : labels) {
            n.labels.add(l);
            labelIndex.merge(l, n, (old, now) -> old.attached(root) ? old : now);
        }
    }

    private List<Object> propData() {
        List<Object> chunks = new ArrayList<>();
        ByteArrayOutputStream cur = new ByteArrayOutputStream();
        while (true) {
            skipWs();
            labels();
            int c = peek();
            if (c == '"') {
                stringLiteral(cur);
                cur.write(0);
            } else if (c == '<') {
                pos++;
                cells(32, chunks, cur);
            } else if (take("/bits/")) {
                long bits = integerPrim();
                if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
                    throw err("expected /bits/ 8, 16, 32 or 64, found /bits/ " + bits);
                }
                expect('<', "'<' after /bits/ " + bits);
                cells((int) bits, chunks, cur);
            } else if (c == '[') {
                pos++;
                byteString(cur);
            } else if (c == '&') {
                flush(chunks, cur);
                chunks.add(reference(false));
            } else if (text.startsWith("/incbin/", pos)) {
                throw err("expected an inline property value, found /incbin/ (not supported)");
            } else {
                throw err("expected a property value (\"string\", <cells>, [bytes] or &label), found " + found());
            }
            skipWs();
            labels();
            if (peek() != ',') {
                flush(chunks, cur);
                return chunks;
            }
            pos++;
        }
    }

    private static void flush(List<Object> chunks, ByteArrayOutputStream cur) {
        if (cur.size() > 0) {
            chunks.add(cur.toByteArray());
            cur.reset();
        }
    }

    /** Reads cells up to and including {@code '>'}. */
    private void cells(int bits, List<Object> chunks, ByteArrayOutputStream cur) {
        long mask = bits == 64 ? -1L : (1L << bits) - 1;
        while (true) {
            skipWs();
            labels();
            int c = peek();
            if (c == '>') {
                pos++;
                return;
            }
            if (c < 0) {
                throw err("expected '>' closing the cell list, found end of input");
            }
            if (c == '&') {
                if (bits != 32) {
                    throw err("expected a number in a /bits/ " + bits + " array, found a phandle reference (only 32-bit cells hold phandles)");
                }
                flush(chunks, cur);
                chunks.add(reference(true));
                continue;
            }
            long v = integerPrim();
            if ((v & ~mask) != 0 && (v | mask) != -1L) {
                throw err(String.format("expected a value that fits in %d bits, found 0x%x", bits, v));
            }
            for (int shift = bits - 8; shift >= 0; shift -= 8) {
                cur.write((int) (v >>> shift));
            }
        }
    }

    private void byteString(ByteArrayOutputStream cur) {
        while (true) {
            skipWs();
            labels();
            if (peek() == ']') {
                pos++;
                return;
            }
            int hi = hexDigit(peek());
            int lo = pos + 1 < text.length() ? hexDigit(text.charAt(pos + 1)) : -1;
            if (hi < 0 || lo < 0) {
                throw err("expected two hex digits or ']' in a byte string, found " + found());
            }
            cur.write(hi << 4 | lo);
            pos += 2;
        }
    }

    private void stringLiteral(ByteArrayOutputStream out) {
        pos++; // opening quote
        StringBuilder plain = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') {
                throw err("expected '\"' closing the string, found " + (pos >= text.length() ? "end of input" : "end of line"));
            }
            char ch = text.charAt(pos);
            if (ch == '"') {
                pos++;
                out.writeBytes(plain.toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (ch == '\\') {
                out.writeBytes(plain.toString().getBytes(StandardCharsets.UTF_8));
                plain.setLength(0);
                out.write(escape());
            } else {
                plain.append(ch);
                pos++;
            }
        }
    }

    /** Reads one escape sequence starting at the backslash; returns the byte it stands for. */
    private int escape() {
        pos++;
        if (pos >= text.length()) {
            throw err("expected an escape character after '\\', found end of input");
        }
        char e = text.charAt(pos++);
        switch (e) {
            case 'n': return '\n';
            case 't': return '\t';
            case 'r': return '\r';
            case 'a': return 7;
            case 'b': return '\b';
            case 'f': return '\f';
            case 'v': return 11;
            case 'x': {
                int v = 0;
                int n = 0;
                while (n < 2 && pos < text.length() && hexDigit(text.charAt(pos)) >= 0) {
                    v = v << 4 | hexDigit(text.charAt(pos++));
                    n++;
                }
                if (n == 0) {
                    throw err("expected hex digits after '\\x', found " + found());
                }
                return v;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int n = 1; n < 3 && pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '7'; n++) {
                        v = v << 3 | (text.charAt(pos++) - '0');
                    }
                    return v & 0xff;
                }
                return e;
        }
    }

    // ---------------------------------------------------------------- integers and expressions

    private long integerPrim() {
        skipWs();
        int c = peek();
        if (c == '(') {
            pos++;
            nest();
            long v = ternary();
            expect(')', "')' closing the expression");
            expressionDepth--;
            return v;
        }
        if (c == '\'') {
            pos++;
            long v;
            if (peek() == '\\') {
                v = escape();
            } else if (peek() < 0 || peek() == '\'') {
                throw err("expected a character in a char literal, found " + found());
            } else {
                v = text.charAt(pos++);
            }
            if (peek() != '\'') {
                throw err("expected ' closing the char literal, found " + found());
            }
            pos++;
            return v;
        }
        if (c >= '0' && c <= '9') {
            return numberLiteral();
        }
        throw err("expected a number, found " + found());
    }

    private long numberLiteral() {
        int start = pos;
        while (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
            pos++;
        }
        String lit = text.substring(start, pos);
        String digits = lit.replaceFirst("[uUlL]+$", "");
        int radix = 10;
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.length() > 1 && digits.charAt(0) == '0') {
            radix = 8;
            digits = digits.substring(1);
        }
        try {
            return Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException e) {
            pos = start;
            throw err("expected an integer literal that fits in 64 bits, found '" + lit + "'");
        }
    }

    private long ternary() {
        long c = binary(0);
        skipWs();
        if (peek() == '?') {
            pos++;
            nest();
            long a = ternary();
            expect(':', "':' of the ?: operator");
            long b = ternary();
            expressionDepth--;
            return c != 0 ? a : b;
        }
        return c;
    }

    private static final String[][] LEVELS = {
        {"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"},
    };

    private long binary(int level) {
        if (level == LEVELS.length) {
            return unary();
        }
        long v = binary(level + 1);
        while (true) {
            skipWs();
            String op = operator(level);
            if (op == null) {
                return v;
            }
            pos += op.length();
            long r = binary(level + 1);
            v = apply(op, v, r);
        }
    }

    /** @return the operator of this precedence level at the cursor, not mistaking '|' for '||' */
    private String operator(int level) {
        for (String op : LEVELS[level]) {
            if (text.startsWith(op, pos)) {
                boolean longer = op.length() == 1 && pos + 1 < text.length()
                        && (text.charAt(pos + 1) == op.charAt(0) && "|&<>".indexOf(op.charAt(0)) >= 0
                            || text.charAt(pos + 1) == '=' && "<>".indexOf(op.charAt(0)) >= 0);
                if (!longer) {
                    return op;
                }
            }
        }
        return null;
    }

    private long apply(String op, long a, long b) {
        switch (op) {
            case "||": return (a != 0 || b != 0) ? 1 : 0;
            case "&&": return (a != 0 && b != 0) ? 1 : 0;
            case "|": return a | b;
            case "^": return a ^ b;
            case "&": return a & b;
            case "==": return a == b ? 1 : 0;
            case "!=": return a != b ? 1 : 0;
            case "<": return Long.compareUnsigned(a, b) < 0 ? 1 : 0;
            case ">": return Long.compareUnsigned(a, b) > 0 ? 1 : 0;
            case "<=": return Long.compareUnsigned(a, b) <= 0 ? 1 : 0;
            case ">=": return Long.compareUnsigned(a, b) >= 0 ? 1 : 0;
            case "<<": return a << b;
            case ">>": return a >>> b;
            case "+": return a + b;
            case "-": return a - b;
            case "*": return a * b;
            default:
                if (b == 0) {
                    throw err("expected a non-zero divisor, found 0");
                }
                return op.equals("/") ? Long.divideUnsigned(a, b) : Long.remainderUnsigned(a, b);
        }
    }

    private long unary() {
        skipWs();
        int c = peek();
        if (c == '-' || c == '~' || c == '!') {
            pos++;
            nest();
            long v = unary();
            expressionDepth--;
            return c == '-' ? -v : c == '~' ? ~v : (v == 0 ? 1 : 0);
        }
        return integerPrim();
    }

    /** One more level of expression nesting (the parser recurses per level). */
    private void nest() {
        if (++expressionDepth > DtLimits.MAX_EXPRESSION_DEPTH) {
            throw err("expected an expression nested at most " + DtLimits.MAX_EXPRESSION_DEPTH
                    + " deep (parentheses, unary operators, ?:), found deeper");
        }
    }

    // ---------------------------------------------------------------- labels and references

    /** Reads any {@code label:} prefixes at the cursor. */
    private List<String> labels() {
        List<String> out = new ArrayList<>();
        while (true) {
            skipWs();
            int start = pos;
            if (pos < text.length() && isLabelStart(text.charAt(pos))) {
                int p = pos;
                while (p < text.length() && isLabelChar(text.charAt(p))) {
                    p++;
                }
                if (p < text.length() && text.charAt(p) == ':') {
                    out.add(text.substring(start, p));
                    pos = p + 1;
                    continue;
                }
            }
            return out;
        }
    }

    private Ref reference() {
        return reference(true);
    }

    private Ref reference(boolean phandle) {
        skipWs();
        int refLine = line;
        if (peek() != '&') {
            throw err("expected a reference &label or &{/path}, found " + found());
        }
        pos++;
        if (peek() == '{') {
            int close = pos + 1;
            while (close < text.length() && text.charAt(close) != '}' && text.charAt(close) != '\n') {
                close++;
            }
            if (close >= text.length() || text.charAt(close) != '}') {
                throw err("expected '}' closing the path reference, found end of line");
            }
            String path = text.substring(pos + 1, close);
            if (!path.startsWith("/")) {
                throw err("expected an absolute path in &{...}, found &{" + path + "}");
            }
            pos = close + 1;
            return new Ref(phandle, shared(path), refLine, lineFile);
        }
        int start = pos;
        while (pos < text.length() && isLabelChar(text.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw err("expected a label or {/path} after '&', found " + found());
        }
        return new Ref(phandle, shared(text.substring(start, pos)), refLine, lineFile);
    }

    /** @return one String per distinct reference target, so that a million {@code &a} hold one "a" */
    private String shared(String target) {
        String known = targets.putIfAbsent(target, target);
        return known != null ? known : target;
    }

    private SNode resolveNow(Ref ref) {
        SNode n = lookup(ref.target());
        if (n == null) {
            throw undefined(ref);
        }
        return n;
    }

    private DeviceTreeException undefined(Ref ref) {
        String kind = ref.target().startsWith("/") ? "path" : "label";
        return new DeviceTreeException(source, ref.where(), "reference to undefined " + kind + " " + ref.display());
    }

    private SNode lookup(String target) {
        if (target.startsWith("/")) {
            SNode n = root;
            for (String part : target.substring(1).split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                n = n.children.get(part);
                if (n == null) {
                    return null;
                }
            }
            return n;
        }
        SNode n = labelIndex.get(target);
        return n != null && n.attached(root) ? n : null;
    }

    // ---------------------------------------------------------------- resolution

    private Tree finish() {
        Map<String, SNode> labels = new HashMap<>();
        collectLabels(root, labels);
        Set<SNode> referenced = new HashSet<>();
        collectReferences(root, labels, referenced);
        omitUnreferenced(root, referenced);
        Set<Integer> used = new HashSet<>();
        collectExplicitPhandles(root, used);
        int[] next = {1};
        assignPhandles(root, labels, used, next);
        return new Tree(source, build(root, labels), memReserve);
    }

    private void collectLabels(SNode n, Map<String, SNode> labels) {
        for (String l : n.labels) {
            SNode prev = labels.putIfAbsent(l, n);
            if (prev != null) {
                throw new DeviceTreeException(source, n.path(),
                        "expected a unique label, found '" + l + "' which " + prev.path() + " has too");
            }
        }
        for (SNode c : n.children.values()) {
            collectLabels(c, labels);
        }
    }

    private SNode target(Ref ref, Map<String, SNode> labels) {
        SNode n = ref.target().startsWith("/") ? lookup(ref.target()) : labels.get(ref.target());
        if (n == null) {
            throw undefined(ref);
        }
        return n;
    }

    private void collectReferences(SNode n, Map<String, SNode> labels, Set<SNode> out) {
        for (List<Object> v : n.props.values()) {
            for (Object o : v) {
                if (o instanceof Ref r) {
                    out.add(target(r, labels));
                }
            }
        }
        for (SNode c : n.children.values()) {
            collectReferences(c, labels, out);
        }
    }

    private static void omitUnreferenced(SNode n, Set<SNode> referenced) {
        n.children.values().removeIf(c -> c.omitIfNoRef && !referenced.contains(c));
        for (SNode c : n.children.values()) {
            omitUnreferenced(c, referenced);
        }
    }

    private void collectExplicitPhandles(SNode n, Set<Integer> used) {
        for (String prop : new String[] {"linux,phandle", "phandle"}) {
            List<Object> v = n.props.get(prop);
            if (v != null && v.size() == 1 && v.get(0) instanceof byte[] b && b.length == 4) {
                int ph = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
                if (ph != 0 && ph != -1) {
                    n.phandle = ph;
                    used.add(ph);
                }
            }
        }
        for (SNode c : n.children.values()) {
            collectExplicitPhandles(c, used);
        }
    }

    /** dtc's fixup_phandle_references order: nodes depth first, properties in order. */
    private void assignPhandles(SNode n, Map<String, SNode> labels, Set<Integer> used, int[] next) {
        for (List<Object> v : new ArrayList<>(n.props.values())) {
            for (Object o : v) {
                if (o instanceof Ref r && r.phandle()) {
                    SNode t = target(r, labels);
                    if (t.phandle == 0) {
                        while (used.contains(next[0])) {
                            next[0]++;
                        }
                        t.phandle = next[0];
                        used.add(t.phandle);
                        List<Object> value = new ArrayList<>();
                        value.add(cell(t.phandle));
                        t.props.put("phandle", value);
                    }
                }
            }
        }
        for (SNode c : n.children.values()) {
            assignPhandles(c, labels, used, next);
        }
    }

    private NodeBuilder build(SNode n, Map<String, SNode> labels) {
        NodeBuilder b = new NodeBuilder(n.name);
        b.labels.addAll(n.labels);
        for (Map.Entry<String, List<Object>> e : n.props.entrySet()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Object o : e.getValue()) {
                if (o instanceof byte[] bytes) {
                    out.writeBytes(bytes);
                } else {
                    Ref r = (Ref) o;
                    SNode t = target(r, labels);
                    if (r.phandle()) {
                        out.writeBytes(cell(t.phandle));
                    } else {
                        out.writeBytes(t.path().getBytes(StandardCharsets.UTF_8));
                        out.write(0);
                    }
                }
            }
            b.properties.put(e.getKey(), out.toByteArray());
        }
        for (SNode c : n.children.values()) {
            b.children.add(build(c, labels));
        }
        return b;
    }

    private static byte[] cell(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    // ---------------------------------------------------------------- lexing

    /** Skips blanks, comments and cpp line markers; rejects other preprocessor directives. */
    private void skipWs() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                pos++;
            } else if (c == '/' && text.startsWith("//", pos)) {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == '/' && text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw err("expected '*/' closing the comment, found end of input");
                }
                for (int i = pos; i < end; i++) {
                    if (text.charAt(i) == '\n') {
                        line++;
                    }
                }
                pos = end + 2;
            } else if (c == '#' && atLineStart() && preprocessorLine()) {
                continue;
            } else {
                return;
            }
        }
    }

    private boolean atLineStart() {
        for (int i = pos - 1; i >= 0; i--) {
            char c = text.charAt(i);
            if (c == '\n') {
                return true;
            }
            if (c != ' ' && c != '\t' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * Handles a '#' at the start of a line: a cpp line marker is consumed (it renumbers the
     * following lines); a directive is an error; anything else (a property such as
     * {@code #address-cells}) is left for the parser.
     */
    private boolean preprocessorLine() {
        int p = pos + 1;
        while (p < text.length() && (text.charAt(p) == ' ' || text.charAt(p) == '\t')) {
            p++;
        }
        if (p < text.length() && Character.isDigit(text.charAt(p)) && p > pos + 1) {
            int s = p;
            while (p < text.length() && Character.isDigit(text.charAt(p))) {
                p++;
            }
            int newLine = Integer.parseInt(text.substring(s, Math.min(p, s + 9)));
            while (p < text.length() && text.charAt(p) == ' ') {
                p++;
            }
            int eol = text.indexOf('\n', p);
            int lineEnd = eol < 0 ? text.length() : eol;
            if (p < lineEnd && text.charAt(p) == '"') {
                int close = p + 1;
                while (close < lineEnd && text.charAt(close) != '"') {
                    close++;
                }
                if (close < lineEnd) {
                    lineFile = text.substring(p + 1, close);
                }
            }
            pos = lineEnd;
            line = newLine - 1;
            return true;
        }
        int s = p;
        while (p < text.length() && Character.isLetter(text.charAt(p))) {
            p++;
        }
        String word = text.substring(s, p);
        boolean endsWord = p >= text.length() || !isNameChar(text.charAt(p));
        if (CPP_DIRECTIVES.contains(word) && endsWord) {
            throw err("#" + word + " needs the C preprocessor; preprocess with cpp first");
        }
        return false;
    }

    private boolean take(String keyword) {
        skipWs();
        if (text.startsWith(keyword, pos)) {
            pos += keyword.length();
            return true;
        }
        return false;
    }

    private void expect(char c, String what) {
        skipWs();
        if (peek() != c) {
            throw err("expected " + what + ", found " + found());
        }
        pos++;
    }

    private String name(String what) {
        skipWs();
        int start = pos;
        while (pos < text.length() && isNameChar(text.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw err("expected " + what + ", found " + found());
        }
        String problem = DtLimits.name("node or property", pos - start);
        if (problem != null) {
            pos = start;
            throw err(problem);
        }
        return text.substring(start, pos);
    }

    private int peek() {
        return pos < text.length() ? text.charAt(pos) : -1;
    }

    private String found() {
        if (pos >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(pos);
        if (isNameChar(c)) {
            int end = pos;
            while (end < text.length() && end - pos < 32 && isNameChar(text.charAt(end))) {
                end++;
            }
            return "'" + text.substring(pos, end) + "'";
        }
        if (c < 0x20 || c >= 0x7f) {
            return String.format("character 0x%02x", (int) c);
        }
        return "'" + c + "'";
    }

    private String where() {
        return where(line, lineFile);
    }

    private static String where(int line, String file) {
        return "line " + line + (file != null ? " of " + file : "");
    }

    private DeviceTreeException err(String message) {
        return new DeviceTreeException(source, where(), message);
    }

    private static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || ",._+*#?@-".indexOf(c) >= 0;
    }

    private static boolean isLabelStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    private static boolean isLabelChar(char c) {
        return isLabelStart(c) || c >= '0' && c <= '9';
    }

    private static int hexDigit(int c) {
        return Character.digit(c, 16);
    }
}
