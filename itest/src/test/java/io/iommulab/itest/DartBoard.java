package io.iommulab.itest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A board the DART check runs on: our fixture boards (every {@code boards/iommulab-*.dts} in the
 * testkit jar and the machine's built-in default board) and every real {@code *.dtb} in the
 * shared boards folder, so that boards added there later are checked with no code change.
 *
 * @param name      name in the log and in failure messages
 * @param source    board source name given to the machine factory
 * @param file      the real DTB, or null for a fixture read from a jar
 * @param inventory the board's {@code .darts.txt} beside it, or null
 * @param skip      why the board cannot be checked (real boards absent), or null
 */
record DartBoard(String name, String source, Path file, Path inventory, String skip) {

    /** {@code -Diommulab.boards=<dir>}: a folder of real DTBs (default: the shared folder's boards). */
    static final String BOARDS_PROPERTY = "iommulab.boards";
    /** {@code -Diommulab.shared=<dir>}: the shared folder (default {@code ../../shared} from the module). */
    static final String SHARED_PROPERTY = "iommulab.shared";
    private static final String FIXTURE_PREFIX = "boards/iommulab-";

    @Override
    public String toString() {
        return name;
    }

    /** @return the folder the real DTBs are read from */
    static Path realBoardsDir() {
        String boards = System.getProperty(BOARDS_PROPERTY);
        if (boards != null) {
            return Path.of(boards);
        }
        String shared = System.getProperty(SHARED_PROPERTY);
        return (shared != null ? Path.of(shared) : Path.of("../../shared")).resolve("boards");
    }

    /** @return every {@code boards/iommulab-*.dts} of the testkit jar, then the machine's default board */
    static List<DartBoard> fixtures() {
        TreeMap<String, DartBoard> out = new TreeMap<>();
        try (JarFile jar = new JarFile(Container.testkitJar())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                String entry = e.nextElement().getName();
                if (entry.startsWith(FIXTURE_PREFIX) && entry.endsWith(".dts")) {
                    String file = entry.substring("boards/".length());
                    out.put(file, new DartBoard("fixture " + file, "testkit:" + entry, null, null, null));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<DartBoard> list = new ArrayList<>(out.values());
        list.add(new DartBoard("fixture default", "machine:boards/default.dts", null, null, null));
        return list;
    }

    /** @return every real DTB, sorted, or one entry whose {@link #skip} says why there are none */
    static List<DartBoard> real() {
        Path dir = realBoardsDir();
        String where = dir.toAbsolutePath().normalize().toString();
        if (!Files.isDirectory(dir)) {
            return List.of(new DartBoard("real boards", where, null, null, "no real boards: " + where
                    + " is not a folder (set -D" + SHARED_PROPERTY + " or -D" + BOARDS_PROPERTY + ")"));
        }
        List<DartBoard> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path dtb : files.filter(p -> p.getFileName().toString().endsWith(".dtb")).sorted().toList()) {
                String base = dtb.getFileName().toString();
                Path inv = dir.resolve(base.substring(0, base.length() - ".dtb".length()) + ".darts.txt");
                out.add(new DartBoard("real " + base, dtb.toString(), dtb, Files.isRegularFile(inv) ? inv : null, null));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            return List.of(new DartBoard("real boards", where, null, null, "no real boards: no *.dtb in " + where));
        }
        return out;
    }

    /** @return the board's bytes: the file, or the entry of the testkit or machine jar */
    byte[] data() throws IOException {
        if (file != null) {
            return Files.readAllBytes(file);
        }
        int colon = source.indexOf(':');
        return Container.jarEntry(source.substring(0, colon), source.substring(colon + 1));
    }
}
