package io.iommulab.fuzz;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mutated boards for the launcher (the structure-aware counterpart of the boot fuzz target, which
 * changes bytes): a board with one to three of its descriptions changed as a user's or a vendor's
 * tree gets them wrong: a cell of {@code interrupts}, {@code iommus}, {@code iommu-map},
 * {@code reg}, {@code power-domains}, a {@code #...-cells} or a phandle set to an edge value (0,
 * all ones, 4,000,000,000, 2^31, ...), a property removed, cut short or grown, another driver's
 * compatible, a node disabled or removed, bad hardware-model options. Written as DTS (every value
 * as bytes), so the launcher reads it as a user's file. {@code fuzz/mutate-boards.sh} runs the
 * launcher on them; {@code MutatedBoardsIT} runs a sample.
 *
 * <p>{@code java BoardMutator OUT_DIR COUNT SEED BOARD...}: COUNT mutants of each board (a file,
 * or a class-path resource such as {@code boards/testkit.dts}), named {@code <board>-<n>.dts}.
 */
final class BoardMutator {

    /** Properties whose cells the machine and the drivers read: most mutations go there. */
    static final List<String> CELL_PROPERTIES = List.of("interrupts", "interrupts-extended", "iommus", "iommu-map",
            "iommu-map-mask", "reg", "ranges", "power-domains", "interrupt-parent", "phandle", "#address-cells",
            "#size-cells", "#interrupt-cells", "#iommu-cells", "#power-domain-cells", "#global-interrupts", "bus-range",
            "dma-channels");
    static final int[] EDGE_CELLS = {0, 1, 2, 3, 4, 31, 32, 63, 64, 1023, 1024, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
        (int) 4_000_000_000L, 0x10000, 0xffff};
    static final List<String> COMPATIBLES = List.of("apple,t8103-dart", "apple,t6000-dart", "apple,t8110-dart",
            "apple,t6020-dart", "apple,t8103-usb4-dart", "arm,smmu-v2", "iommulab,test-iommu", "apple,aic", "apple,aic2",
            "arm,gic-400", "arm,gic-v3", "apple,pmgr-pwrstate", "simple-bus", "");
    static final List<String> MODEL_OPTIONS = List.of("streams=0", "streams=4294967296", "streams=-1", "ias=99", "oas=0",
            "busy-stuck=true", "locked=true", "bypass=maybe", "iotlb-entries=0", "context-banks=0", "context-banks=200",
            "smrs=0", "sid-bits=99", "granules=3K", "stream-indexing=yes", "=", "streams", "x=y");

    private final Random random;

    BoardMutator(long seed) {
        this.random = new Random(seed);
    }

    /** A node of the tree being changed. */
    static final class MNode {
        final String name;
        final Map<String, byte[]> props = new LinkedHashMap<>();
        final List<MNode> children = new ArrayList<>();
        MNode parent;

        MNode(DtNode n) {
            name = n.name();
            for (DtProperty p : n.properties().values()) {
                props.put(p.name(), p.value());
            }
            for (DtNode c : n.children()) {
                MNode m = new MNode(c);
                m.parent = this;
                children.add(m);
            }
        }
    }

    /**
     * @return {@code tree} with property {@code prop} of node {@code path} set to {@code value}, as
     *         DTS text (the mutation a test names rather than draws)
     */
    static String edit(DeviceTree tree, String path, String prop, byte[] value) {
        MNode root = new MNode(tree.root());
        List<MNode> all = new ArrayList<>();
        collect(root, all);
        MNode m = all.stream().filter(n -> path(n).equals(path)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + path + " in " + tree.source()));
        m.props.put(prop, value);
        StringBuilder sb = new StringBuilder("/dts-v1/;\n\n");
        write(root, 0, sb);
        return sb.toString();
    }

    /** @return {@code tree} with one to three mutations, as DTS text; {@code applied} gets what was changed */
    String mutate(DeviceTree tree, List<String> applied) {
        MNode root = new MNode(tree.root());
        List<MNode> all = new ArrayList<>();
        collect(root, all);
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            applied.add(mutateOnce(root, all));
        }
        StringBuilder sb = new StringBuilder("/dts-v1/;\n\n");
        write(root, 0, sb);
        return sb.toString();
    }

    private String mutateOnce(MNode root, List<MNode> everything) {
        // Most mutations go to the IOMMUs, their masters and the interrupt controllers: a real tree
        // has hundreds of nodes the IOMMU stack never reads.
        List<MNode> all = everything;
        if (random.nextInt(4) != 0) {
            List<MNode> relevant = everything.stream().filter(BoardMutator::relevant).toList();
            all = relevant.isEmpty() ? everything : new ArrayList<>(relevant);
        }
        int kind = random.nextInt(10);
        if (kind < 5) {
            List<MNode> withCells = new ArrayList<>();
            for (MNode m : all) {
                if (CELL_PROPERTIES.stream().anyMatch(p -> cellsOf(m, p) > 0)) {
                    withCells.add(m);
                }
            }
            if (!withCells.isEmpty()) {
                MNode m = pick(withCells);
                List<String> names = CELL_PROPERTIES.stream().filter(p -> cellsOf(m, p) > 0).toList();
                String prop = pick(names);
                byte[] v = m.props.get(prop).clone();
                int cell = random.nextInt(v.length / 4);
                int value = random.nextInt(4) == 0 ? random.nextInt() : EDGE_CELLS[random.nextInt(EDGE_CELLS.length)];
                for (int b = 0; b < 4; b++) {
                    v[cell * 4 + b] = (byte) (value >>> (24 - 8 * b));
                }
                m.props.put(prop, v);
                return path(m) + " " + prop + " cell " + cell + " = " + Integer.toUnsignedString(value);
            }
        }
        MNode m = pick(all);
        List<String> names = new ArrayList<>(m.props.keySet());
        switch (kind) {
            case 5 -> {
                if (!names.isEmpty()) {
                    String p = pick(names);
                    m.props.remove(p);
                    return path(m) + " " + p + " removed";
                }
            }
            case 6 -> {
                if (!names.isEmpty()) {
                    String p = pick(names);
                    byte[] v = m.props.get(p);
                    int cut = 1 + random.nextInt(4);
                    byte[] w = random.nextBoolean() && v.length >= cut ? java.util.Arrays.copyOf(v, v.length - cut)
                            : java.util.Arrays.copyOf(v, v.length + cut);
                    m.props.put(p, w);
                    return path(m) + " " + p + " resized to " + w.length + " bytes";
                }
            }
            case 7 -> {
                String c = pick(COMPATIBLES);
                m.props.put("compatible", (c + "\0").getBytes(StandardCharsets.UTF_8));
                return path(m) + " compatible = \"" + c + "\"";
            }
            case 8 -> {
                if (m.parent != null && random.nextBoolean()) {
                    m.parent.children.remove(m);
                    everything.removeIf(x -> isUnder(x, m));
                    return path(m) + " removed";
                }
                m.props.put("status", "disabled\0".getBytes(StandardCharsets.UTF_8));
                return path(m) + " disabled";
            }
            default -> {
                String o = pick(MODEL_OPTIONS);
                m.props.put("iommulab,model-options", (o + "\0").getBytes(StandardCharsets.UTF_8));
                return path(m) + " iommulab,model-options = \"" + o + "\"";
            }
        }
        return "nothing";
    }

    /** @return whether the IOMMU stack reads the node: an IOMMU, a master, an interrupt controller, memory */
    static boolean relevant(MNode m) {
        return m.props.containsKey("iommus") || m.props.containsKey("iommu-map") || m.props.containsKey("#iommu-cells")
                || m.props.containsKey("interrupt-controller") || m.name.startsWith("memory");
    }

    private static boolean isUnder(MNode x, MNode m) {
        for (MNode p = x; p != null; p = p.parent) {
            if (p == m) {
                return true;
            }
        }
        return false;
    }

    private static int cellsOf(MNode m, String prop) {
        byte[] v = m.props.get(prop);
        return v == null || v.length % 4 != 0 ? 0 : v.length / 4;
    }

    private <T> T pick(List<T> l) {
        return l.get(random.nextInt(l.size()));
    }

    private static void collect(MNode m, List<MNode> out) {
        out.add(m);
        m.children.forEach(c -> collect(c, out));
    }

    private static String path(MNode m) {
        if (m.parent == null) {
            return "/";
        }
        String p = path(m.parent);
        return (p.equals("/") ? "" : p) + "/" + m.name;
    }

    private static void write(MNode m, int depth, StringBuilder sb) {
        String indent = "\t".repeat(depth);
        sb.append(indent).append(m.parent == null ? "/" : m.name).append(" {\n");
        m.props.forEach((name, v) -> {
            sb.append(indent).append('\t').append(name);
            if (v.length > 0) {
                sb.append(" = [");
                for (int i = 0; i < v.length; i++) {
                    sb.append(i == 0 ? "" : " ").append(String.format("%02x", v[i] & 0xff));
                }
                sb.append(']');
            }
            sb.append(";\n");
        });
        for (MNode c : m.children) {
            write(c, depth + 1, sb);
        }
        sb.append(indent).append("};\n");
    }

    /** @return the board's bytes: a file, else a class-path resource */
    static byte[] board(String name) throws IOException {
        Path p = Path.of(name);
        return Files.isRegularFile(p) ? Files.readAllBytes(p) : Seeds.resource(name);
    }

    /**
     * Writes {@code count} mutants of each board into {@code out}, and {@code mutations.txt} there
     * with what each one changed.
     *
     * @return the files written
     */
    static List<Path> writeMutants(Path out, int count, long seed, List<String> boards) throws IOException {
        Files.createDirectories(out);
        BoardMutator m = new BoardMutator(seed);
        List<Path> files = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        for (String b : boards) {
            DeviceTree tree = DeviceTrees.parse(b, board(b));
            String base = Path.of(b).getFileName().toString().replaceFirst("\\.(dtb|dts)$", "");
            for (int i = 0; i < count; i++) {
                List<String> applied = new ArrayList<>();
                Path f = out.resolve(base + "-" + i + ".dts");
                Files.writeString(f, m.mutate(tree, applied));
                files.add(f);
                log.append(f.getFileName()).append(": ").append(String.join("; ", applied)).append('\n');
            }
        }
        Files.writeString(out.resolve("mutations.txt"), log);
        return files;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: BoardMutator OUT_DIR COUNT SEED BOARD...");
            System.exit(2);
        }
        List<Path> files = writeMutants(Path.of(args[0]), Integer.parseInt(args[1]), Long.parseLong(args[2]),
                List.of(args).subList(3, args.length));
        System.out.println(files.size() + " mutated boards in " + args[0]);
    }
}
