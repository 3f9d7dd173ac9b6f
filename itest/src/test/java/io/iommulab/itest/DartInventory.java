package io.iommulab.itest;

import io.iommulab.api.dto.StreamRefDTO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code <board>.darts.txt} inventory (format: shared/boards/README.md), generated from the
 * DTB apart from this project: its DART nodes (compatible, the compatible the upstream driver
 * matches on, effective status), its masters with {@code iommus} and the PCI functions its
 * {@code iommu-map} buses send to a DART. The other sections (reverse index, shared lines, other
 * IOMMU-like nodes) restate these and are not read.
 */
final class DartInventory {
    private static final Pattern SECTION = Pattern.compile("^## (.*)$");
    private static final Pattern DART = Pattern.compile("^DART (/\\S*)");
    private static final Pattern MASTER = Pattern.compile("^MASTER (/\\S*)");
    private static final Pattern FIELD = Pattern.compile("^\\s+(compatible|driver variant|status)\\s*:\\s*(.*)$");
    private static final Pattern MATCHED = Pattern.compile("\\[matched on \"([^\"]+)\"\\]");
    private static final Pattern IOMMUS = Pattern.compile("^\\s+iommus -> (/\\S*).*stream id\\(s\\) ([0-9 ]+)$");
    private static final Pattern PCI = Pattern.compile(
            "^\\s+PCI node (/\\S*)\\s+RID 0x([0-9a-fA-F]+) .*\\s+status (\\S+)\\s+-> (.*)$");
    private static final Pattern PCI_TARGET = Pattern.compile("^(/\\S*) .*stream id (\\d+)$");

    private final Path file;
    private final List<ExpectedTopology.Dart> darts = new ArrayList<>();
    private final List<ExpectedTopology.Master> masters = new ArrayList<>();
    private String section = "";
    private Block block;
    private int lineNo;

    /** The DART or MASTER entry being read. */
    private static final class Block {
        final boolean dart;
        final String path;
        List<String> compatible;
        String matchedOn;
        String status;
        final List<StreamRefDTO> streams = new ArrayList<>();

        Block(boolean dart, String path) {
            this.dart = dart;
            this.path = path;
        }
    }

    private DartInventory(Path file) {
        this.file = file;
    }

    static ExpectedTopology read(Path file) throws IOException {
        DartInventory r = new DartInventory(file);
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            r.lineNo++;
            r.line(line);
        }
        r.endBlock();
        if (r.darts.isEmpty()) {
            throw r.error("no DART nodes section");
        }
        return new ExpectedTopology(file.getFileName() + " (inventory)", r.darts, r.masters);
    }

    private void line(String line) {
        Matcher m = SECTION.matcher(line);
        if (m.matches()) {
            endBlock();
            section = m.group(1);
            return;
        }
        if (section.startsWith("DART nodes")) {
            dartLine(line);
        } else if (section.startsWith("Masters with")) {
            masterLine(line);
        } else if (section.startsWith("Buses with")) {
            pciLine(line);
        }
    }

    private void dartLine(String line) {
        Matcher head = DART.matcher(line);
        if (head.find()) {
            endBlock();
            block = new Block(true, head.group(1));
            return;
        }
        field(line);
    }

    private void masterLine(String line) {
        Matcher head = MASTER.matcher(line);
        if (head.find()) {
            endBlock();
            block = new Block(false, head.group(1));
            return;
        }
        Matcher s = IOMMUS.matcher(line);
        if (s.matches() && block != null) {
            String[] sids = s.group(2).trim().split(" +");
            if (sids.length != 1) {
                throw error("expected one stream id per DART entry (#iommu-cells = <1>), found '" + s.group(2) + "'");
            }
            block.streams.add(new StreamRefDTO(s.group(1), Integer.parseInt(sids[0])));
            return;
        }
        field(line);
    }

    private void pciLine(String line) {
        Matcher m = PCI.matcher(line);
        if (!m.matches()) {
            return;
        }
        Matcher target = PCI_TARGET.matcher(m.group(4));
        if (target.matches()) {
            masters.add(new ExpectedTopology.Master(m.group(1), Integer.parseInt(m.group(2), 16),
                    List.of(new StreamRefDTO(target.group(1), Integer.parseInt(target.group(2)))), enabled(m.group(3))));
        } else if (m.group(4).startsWith("/")) {
            throw error("expected '-> <dart> (...) stream id N', found '" + m.group(4) + "'");
        }
    }

    private void field(String line) {
        Matcher f = FIELD.matcher(line);
        if (!f.matches() || block == null) {
            return;
        }
        switch (f.group(1)) {
            case "compatible" -> block.compatible = List.of(f.group(2).trim().split(",\\s+"));
            case "driver variant" -> {
                Matcher on = MATCHED.matcher(f.group(2));
                block.matchedOn = on.find() ? on.group(1) : null;
            }
            default -> block.status = f.group(2).trim();
        }
    }

    private void endBlock() {
        Block b = block;
        block = null;
        if (b == null) {
            return;
        }
        if (b.status == null) {
            throw error("entry " + b.path + " has no status line");
        }
        if (b.dart) {
            if (b.compatible == null) {
                throw error("DART " + b.path + " has no compatible line");
            }
            darts.add(new ExpectedTopology.Dart(b.path, b.compatible, b.matchedOn, enabled(b.status)));
        } else {
            if (b.streams.isEmpty()) {
                throw error("master " + b.path + " has no 'iommus ->' line");
            }
            masters.add(new ExpectedTopology.Master(b.path, -1, b.streams, enabled(b.status)));
        }
    }

    /** Effective status: "okay", unless the inventory says an ancestor is disabled. */
    private static boolean enabled(String status) {
        return status.startsWith("okay") && !status.contains("disabled");
    }

    private AssertionError error(String what) {
        return new AssertionError("inventory " + file + " line " + lineNo + ": " + what);
    }
}
