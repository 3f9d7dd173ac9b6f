package io.iommulab.campaign.op;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.Memparse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A campaign's operations as a file that {@code iommu:campaign --replay FILE} runs again on a fresh
 * lab: a header naming the board, the backend and the seed, comments, then one operation a line
 * ({@link OpCodec}). Blank lines and lines starting with {@code #} are comments.
 *
 * <pre>
 * # iommulab campaign replay: iommu:campaign --replay FILE
 * # mismatch: op 1234 (dma dev=... read at=run:3+0x10 len=16): dma: ...
 * board builtin:default
 * backend apple-dart
 * seed 42
 * alloc slot=0 dev=/soc/usb@382280000 type=unmanaged
 * ...
 * </pre>
 *
 * @param board   the board's source: a DT file, or the name of the board the container booted
 * @param backend the backend whose twin of the board runs the operations
 * @param seed    the seed the data moved comes from (with each operation's index)
 * @param notes   the comment lines after the first, without {@code #}
 * @param ops     the operations
 */
public record ReplayFile(String board, String backend, long seed, List<String> notes, List<Op> ops) {

    public ReplayFile {
        notes = List.copyOf(notes);
        ops = List.copyOf(ops);
    }

    /** @return the file's text */
    public String text() {
        StringBuilder b = new StringBuilder("# iommulab campaign replay: iommu:campaign --replay FILE, or java -jar iommulab.jar"
                + " --replay FILE\n");
        for (String n : notes) {
            b.append("# ").append(n).append('\n');
        }
        b.append("board ").append(board).append('\n');
        b.append("backend ").append(backend).append('\n');
        b.append("seed ").append(seed).append('\n');
        for (Op op : ops) {
            b.append(OpCodec.format(op)).append('\n');
        }
        return b.toString();
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, text(), StandardCharsets.UTF_8);
    }

    /**
     * @throws IommuException ENOENT for a missing file, EIO when it cannot be read, EINVAL naming the
     *         file, the line and the word that is wrong
     */
    public static ReplayFile read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IommuException(Errno.ENOENT, "replay file " + file + ": no such file");
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, "replay file " + file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    public static ReplayFile parse(String name, String text) {
        String board = null;
        String backend = null;
        Long seed = null;
        List<String> notes = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String where = name + ":" + (i + 1);
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                if (i > 0) {
                    notes.add(line.substring(1).strip());
                }
                continue;
            }
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String value = sp < 0 ? "" : line.substring(sp + 1).strip();
            switch (key) {
                case "board" -> board = header(where, key, board, value);
                case "backend" -> backend = header(where, key, backend, value);
                case "seed" -> {
                    if (seed != null) {
                        throw new IommuException(Errno.EINVAL, where + ": expected one seed line, found a second");
                    }
                    seed = Memparse.parse(where + ": seed", value).value();
                }
                default -> {
                    if (board == null || backend == null || seed == null) {
                        throw new IommuException(Errno.EINVAL, where + ": expected the board, backend and seed lines before"
                                + " the operations, found '" + line + "'");
                    }
                    ops.add(OpCodec.parse(where, line));
                }
            }
        }
        if (board == null || backend == null || seed == null) {
            throw new IommuException(Errno.EINVAL, name + ": expected board, backend and seed lines, found "
                    + (board == null ? "no board" : backend == null ? "no backend" : "no seed"));
        }
        return new ReplayFile(board, backend, seed, notes, ops);
    }

    private static String header(String where, String key, String old, String value) {
        if (old != null) {
            throw new IommuException(Errno.EINVAL, where + ": expected one " + key + " line, found a second");
        }
        if (value.isEmpty()) {
            throw new IommuException(Errno.EINVAL, where + ": expected a value after " + key + ", found none");
        }
        return value;
    }
}
