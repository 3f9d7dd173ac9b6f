package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.dto.StreamRefDTO;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The topology picture of one backend run: a column per IOMMU instance (box at the top), each
 * group's masters stacked below in the column of the leftmost IOMMU any of them uses, a dashed
 * rounded outline per group labelled with its id and domain type, and one line per stream from
 * the IOMMU to the master, labelled with the SID.
 *
 * <p>A board has tens of IOMMUs (an M1 Ultra 18 DARTs), so the columns do not form one strip:
 * IOMMUs that share a master (a dwc3's DART pair, dart-facts §5) form a cluster, drawn side by
 * side; clusters flow left to right in device-tree order into rows at most {@value #MAX_WIDTH} px
 * wide, so that the picture fits a browser window beside the report's margins unscaled (the
 * viewBox lets it scale down further). On a tree with several buses holding IOMMUs (the two dies
 * of an M1/M2 Ultra: {@code /soc@200000000}, {@code /soc@2200000000}) each bus gets its own band of
 * rows under its path, so a die reads as one block.
 *
 * <p>Layout rules that keep it readable and deterministic (same run, same bytes):
 * <ul>
 * <li>A cluster never spans two rows, so no stream crosses a row; a cluster wider than the
 *     maximum gets a row of its own (and the picture is wider).</li>
 * <li>Streams run down "lanes" on the left of their IOMMU's column, then right into the master.
 *     Within a column the stream to the lowest master gets the leftmost lane, so a horizontal run
 *     never crosses another lane of its own column.</li>
 * <li>A whole group goes to one column, so its outline never encloses a stranger; a stream from
 *     an IOMMU further right (a master on a DART pair, dart-facts §5) enters the master from its
 *     right side.</li>
 * <li>Streams naming an IOMMU node that is not in the run's IOMMU list are not drawn: there is no
 *     box to draw them from (the core lists every IOMMU node, probed or not, so this means a
 *     malformed run).</li>
 * </ul>
 */
final class TopologySvg {
    private static final double MARGIN = 16;
    private static final double IOMMU_H = 40;
    private static final double LANE_X0 = 12;
    private static final double LANE_GAP = 10;
    private static final double TOP_GAP = 24;
    private static final double GROUP_PAD = 10;
    private static final double GROUP_LABEL_H = 20;
    private static final double MASTER_GAP = 8;
    private static final double UNIT_GAP = 16;
    /** Between the IOMMUs of one cluster: the sid labels of streams entering from the right are in the column. */
    private static final double COL_GAP = 16;
    private static final double CLUSTER_GAP = 40;
    private static final double SLOT = 14;
    /** The widest a picture gets when its clusters allow. */
    static final double MAX_WIDTH = 1100;
    private static final double ROW_GAP = 28;
    private static final double BUS_GAP = 20;
    private static final String INK = "#222222";
    private static final String IOMMU_STROKE = "#2b5d8a";
    private static final String GROUP_STROKE = "#8a5a2b";

    /** Masters drawn inside one outline (a group), or one ungrouped master ({@code group} null). */
    private record Unit(Integer group, String label, List<DeviceDTO> members, int column) {
    }

    /** IOMMU columns drawn side by side in one row, in board order: their masters' streams stay inside. */
    private record Cluster(List<Integer> columns, String bus) {
    }

    /** A master box and where its stream slots are. */
    private record Box(double x, double y, double w, double h, double outlineLeft, double outlineRight) {
    }

    private final BackendRun run;
    private final ShortNames names;
    private final Map<String, Integer> columnOf = new HashMap<>();
    private final List<Unit> units = new ArrayList<>();
    private final Map<DeviceDTO, Box> boxes = new java.util.IdentityHashMap<>();
    /** Bus path → its heading's baseline; empty when the IOMMUs are on one bus. */
    private final Map<String, Double> busLabels = new LinkedHashMap<>();
    private double[] colX;
    private double[] colY;
    private double[] colW;
    /** Column offsets from their cluster's left edge. */
    private double[] relX;
    private double sidW;
    private double titleH;

    private TopologySvg(BackendRun run, ShortNames names) {
        this.run = run;
        this.names = names;
    }

    /** Boxes are labelled with {@code names}; their tooltips carry the full paths. */
    static String render(BackendRun run, ShortNames names) {
        return new TopologySvg(run, names).draw();
    }

    private String draw() {
        for (int i = 0; i < run.iommus().size(); i++) {
            columnOf.putIfAbsent(run.iommus().get(i).node(), i);
        }
        titleH = run.error() == null ? 30 : 46;
        sidW = run.devices().stream().flatMap(d -> streams(d).stream())
                .mapToDouble(s -> SvgDoc.smallWidth(sidLabel(s))).max().orElse(0) + 8;
        buildUnits();
        int ncol = Math.max(1, run.iommus().size());
        columnWidths(ncol);
        double bottom = layOut(ncol);
        SvgDoc svg = new SvgDoc();
        String title = "topology: " + Fmt.str(run.backend());
        svg.text("title", MARGIN, MARGIN + 12, "start", false, INK, title);
        double width = MARGIN + SvgDoc.width(title);
        if (run.error() != null) {
            String err = TextReport.fit("error: " + run.error(), 100);
            svg.text("error", MARGIN, MARGIN + 30, "start", true, "#b00020", err);
            width = Math.max(width, MARGIN + SvgDoc.smallWidth(err));
        }
        for (int c = 0; c < ncol; c++) {
            width = Math.max(width, colX[c] + colW[c]);
        }
        width += MARGIN;
        drawBuses(svg, width);
        drawIommus(svg);
        drawUnits(svg);
        drawStreams(svg);
        return svg.finish(width, Math.max(bottom, MARGIN + titleH) + MARGIN, title);
    }

    /**
     * Lays each cluster out on its own (columns side by side, masters stacked under them), then
     * flows the clusters into rows no wider than {@value #MAX_WIDTH}, a band per bus
     * ({@link RowFlow}); returns the lowest bottom edge.
     */
    private double layOut(int ncol) {
        colX = new double[ncol];
        colY = new double[ncol];
        relX = new double[ncol];
        List<Cluster> clusters = clusters(ncol);
        List<RowFlow.Block> blocks = new ArrayList<>();
        for (Cluster k : clusters) {
            double w = arrange(k);
            k.columns().forEach(c -> colX[c] = relX[c]);
            blocks.add(new RowFlow.Block(k.bus(), w, placeUnits(k)));
        }
        RowFlow.Layout flow = RowFlow.flow(blocks, MARGIN, MARGIN + titleH, MAX_WIDTH - MARGIN,
                new RowFlow.Gaps(CLUSTER_GAP, ROW_GAP, BUS_GAP));
        for (int i = 0; i < clusters.size(); i++) {
            move(clusters.get(i), flow.at().get(i));
        }
        busLabels.putAll(flow.headings());
        return flow.bottom();
    }

    /** Moves a cluster laid out at the origin to {@code at}: its columns and its masters' boxes. */
    private void move(Cluster k, RowFlow.At at) {
        for (int c : k.columns()) {
            colX[c] += at.x();
            colY[c] += at.y();
        }
        for (Unit u : units) {
            if (k.columns().contains(u.column())) {
                for (DeviceDTO d : u.members()) {
                    Box b = boxes.get(d);
                    boxes.put(d, new Box(b.x() + at.x(), b.y() + at.y(), b.w(), b.h(), b.outlineLeft() + at.x(),
                            b.outlineRight() + at.x()));
                }
            }
        }
    }

    /**
     * IOMMUs joined by the units that use them (union-find over the columns), each cluster's columns
     * in board order, clusters in the order of their first IOMMU; a cluster's bus is its first
     * IOMMU's parent node.
     */
    private List<Cluster> clusters(int ncol) {
        int[] root = new int[ncol];
        for (int c = 0; c < ncol; c++) {
            root[c] = c;
        }
        for (Unit u : units) {
            for (DeviceDTO d : u.members()) {
                for (StreamRefDTO s : streams(d)) {
                    int a = find(root, u.column());
                    int b = find(root, columnOf.get(s.iommu()));
                    root[Math.max(a, b)] = Math.min(a, b);
                }
            }
        }
        Map<Integer, List<Integer>> byRoot = new LinkedHashMap<>();
        for (int c = 0; c < ncol; c++) {
            byRoot.computeIfAbsent(find(root, c), r -> new ArrayList<>()).add(c);
        }
        List<Cluster> out = new ArrayList<>();
        byRoot.values().forEach(cols -> out.add(new Cluster(cols, bus(cols.get(0)))));
        return out;
    }

    private static int find(int[] root, int c) {
        while (root[c] != c) {
            root[c] = root[root[c]];
            c = root[c];
        }
        return c;
    }

    /** The parent node's path of column {@code c}'s IOMMU ("" for the column of a run without IOMMUs). */
    private String bus(int c) {
        if (c >= run.iommus().size() || run.iommus().get(c).node() == null) {
            return "";
        }
        String node = run.iommus().get(c).node();
        int slash = node.lastIndexOf('/');
        return slash <= 0 ? "/" : node.substring(0, slash);
    }

    /**
     * Places the cluster's columns side by side ({@link #relX}) and returns its width. A column
     * without masters of its own (the second DART of a pair, whose stream enters the master from
     * the right) needs room only for its box in the IOMMU band: it moves left over the column
     * before it, as far as its lanes stay right of the masters they feed and their sid labels.
     */
    private double arrange(Cluster k) {
        double top = 0; // right edge of the IOMMU boxes so far
        double body = 0; // right edge of what is drawn below them
        for (int c : k.columns()) {
            double x;
            if (c == k.columns().get(0)) {
                x = 0;
            } else if (hasUnits(c)) {
                x = Math.max(top, body) + COL_GAP;
            } else {
                x = Math.max(top + COL_GAP, fedRight(c) - colW[c] + LANE_X0 + (lanes(c) - 1) * LANE_GAP);
            }
            relX[c] = x;
            top = x + (c < run.iommus().size() ? iommuBoxWidth(c) : 0);
            body = Math.max(body, x + colW[c]);
        }
        return Math.max(top, body);
    }

    private boolean hasUnits(int c) {
        return units.stream().anyMatch(u -> u.column() == c);
    }

    /** The right edge of the sid labels of the streams column {@code c} feeds into masters of other columns. */
    private double fedRight(int c) {
        double right = 0;
        for (Unit u : units) {
            if (u.column() != c && u.members().stream().flatMap(d -> streams(d).stream())
                    .anyMatch(s -> columnOf.get(s.iommu()) == c)) {
                right = Math.max(right, relX[u.column()] + masterOffset(u.column()) - GROUP_PAD + unitWidth(u) + sidW);
            }
        }
        return right;
    }

    /** Each bus's path over its band of rows, with a rule to the picture's right edge. */
    private void drawBuses(SvgDoc svg, double width) {
        busLabels.forEach((bus, y) -> {
            String label = "bus " + bus;
            svg.text("bus-label", MARGIN, y, "start", false, INK, label);
            double from = MARGIN + SvgDoc.width(label) + 8;
            svg.line("bus-rule", from, y - 4, Math.max(from, width - MARGIN), y - 4, "#bbbbbb");
        });
    }

    /** Groups in order of their first member in the device list, then ungrouped masters. */
    private void buildUnits() {
        Map<Integer, List<DeviceDTO>> byGroup = new LinkedHashMap<>();
        List<Object> order = new ArrayList<>();
        for (DeviceDTO d : run.devices()) {
            if (d.group() == null) {
                order.add(d);
            } else {
                byGroup.computeIfAbsent(d.group(), g -> {
                    order.add(g);
                    return new ArrayList<>();
                }).add(d);
            }
        }
        for (Object o : order) {
            List<DeviceDTO> members = o instanceof DeviceDTO d ? List.of(d) : byGroup.get((Integer) o);
            int col = members.stream().flatMap(d -> streams(d).stream()).mapToInt(s -> columnOf.get(s.iommu()))
                    .min().orElse(0);
            Integer group = o instanceof Integer g ? g : null;
            units.add(new Unit(group, group == null ? null : groupLabel(group, members), members, col));
        }
    }

    private String groupLabel(int id, List<DeviceDTO> members) {
        String type = run.groups().stream().filter(g -> g.id() == id).map(GroupDTO::domainType)
                .filter(t -> t != null).findFirst().orElse(members.get(0).domainType());
        return "group " + id + (type == null ? "" : ": " + type);
    }

    private void columnWidths(int ncol) {
        colW = new double[ncol];
        for (int c = 0; c < ncol; c++) {
            double w = c < run.iommus().size() ? iommuBoxWidth(c) : 0;
            for (Unit u : units) {
                if (u.column() == c) {
                    w = Math.max(w, masterOffset(c) - GROUP_PAD + unitWidth(u) + (entersFromRight(u) ? sidW : 0));
                }
            }
            colW[c] = w;
        }
    }

    /** Stacks the cluster's units below their IOMMU boxes ({@link #colX}, {@link #colY}); returns the lowest bottom edge. */
    private double placeUnits(Cluster k) {
        double bottom = colY[k.columns().get(0)] + IOMMU_H;
        for (int c : k.columns()) {
            double y = colY[c] + IOMMU_H + TOP_GAP;
            for (Unit u : units) {
                if (u.column() != c) {
                    continue;
                }
                double x = colX[c] + masterOffset(c);
                double outlineLeft = x - GROUP_PAD;
                double outlineRight = outlineLeft + unitWidth(u);
                double my = y + (u.group() == null ? 0 : GROUP_LABEL_H);
                for (DeviceDTO d : u.members()) {
                    double h = Math.max(28, SLOT * (streams(d).size() + 1));
                    boxes.put(d, new Box(x, my, SvgDoc.width(masterLabel(d)) + 16, h, outlineLeft, outlineRight));
                    my += h + MASTER_GAP;
                }
                double end = my - MASTER_GAP + (u.group() == null ? 0 : GROUP_PAD);
                bottom = Math.max(bottom, end);
                y = end + UNIT_GAP;
            }
        }
        return bottom;
    }

    private void drawIommus(SvgDoc svg) {
        for (int c = 0; c < run.iommus().size(); c++) {
            IommuNodeDTO n = run.iommus().get(c);
            double y = colY[c];
            svg.rect("iommu", colX[c], y, iommuBoxWidth(c), IOMMU_H, 0, "#dbe9f6", IOMMU_STROKE, n.node());
            svg.text("iommu-label", colX[c] + 8, y + 16, "start", false, INK, names.of(n.node()));
            svg.text("iommu-driver", colX[c] + 8, y + 32, "start", false, INK, iommuDriver(n));
        }
    }

    private void drawUnits(SvgDoc svg) {
        for (Unit u : units) {
            DeviceDTO first = u.members().get(0);
            DeviceDTO last = u.members().get(u.members().size() - 1);
            Box fb = boxes.get(first);
            Box lb = boxes.get(last);
            if (u.group() != null) {
                double top = fb.y() - GROUP_LABEL_H;
                svg.dashedRect("group", fb.outlineLeft(), top, fb.outlineRight() - fb.outlineLeft(),
                        lb.y() + lb.h() + GROUP_PAD - top, 8, GROUP_STROKE);
                svg.text("group-label", fb.outlineLeft() + 6, top + 13, "start", true, GROUP_STROKE, u.label());
            }
            for (DeviceDTO d : u.members()) {
                Box b = boxes.get(d);
                svg.rect("master", b.x(), b.y(), b.w(), b.h(), 0, "#f4f4f4", "#555555", d.node());
                svg.text("master-label", b.x() + 8, b.y() + b.h() / 2 + 4, "start", false, INK, masterLabel(d));
            }
        }
    }

    /** One polyline per stream, lanes assigned per origin column, lowest target leftmost. */
    private void drawStreams(SvgDoc svg) {
        for (int c = 0; c < run.iommus().size(); c++) {
            List<double[]> ends = new ArrayList<>(); // {y, device index, stream index}
            for (int di = 0; di < run.devices().size(); di++) {
                List<StreamRefDTO> ss = streams(run.devices().get(di));
                for (int si = 0; si < ss.size(); si++) {
                    if (columnOf.get(ss.get(si).iommu()) == c) {
                        ends.add(new double[] {slotY(run.devices().get(di), si), di, si});
                    }
                }
            }
            ends.sort((a, b) -> Double.compare(b[0], a[0]));
            for (int k = 0; k < ends.size(); k++) {
                DeviceDTO d = run.devices().get((int) ends.get(k)[1]);
                StreamRefDTO s = streams(d).get((int) ends.get(k)[2]);
                stream(svg, laneX(c, k), colY[c] + IOMMU_H, d, s, ends.get(k)[0]);
            }
        }
    }

    /**
     * Lane {@code k} of column {@code c}, lane 0 serving the lowest master: from the box's left edge
     * rightwards, so that runs into masters on the right cross no lane of the column; in a column
     * without masters of its own from its right edge leftwards, so that runs into masters on the
     * left cross none either.
     */
    private double laneX(int c, int k) {
        return hasUnits(c) ? colX[c] + LANE_X0 + k * LANE_GAP : colX[c] + colW[c] - LANE_X0 - k * LANE_GAP;
    }

    private void stream(SvgDoc svg, double laneX, double top, DeviceDTO d, StreamRefDTO s, double y) {
        Box b = boxes.get(d);
        boolean fromRight = laneX > b.x();
        double endX = fromRight ? b.x() + b.w() : b.x();
        svg.polyline("stream", IOMMU_STROKE, laneX, top, laneX, y, endX, y);
        if (fromRight) {
            svg.text("sid", b.outlineRight() + 3, y - 3, "start", true, IOMMU_STROKE, sidLabel(s));
        } else {
            svg.text("sid", b.outlineLeft() - 3, y - 3, "end", true, IOMMU_STROKE, sidLabel(s));
        }
    }

    private double slotY(DeviceDTO d, int slot) {
        Box b = boxes.get(d);
        int n = streams(d).size();
        return b.y() + b.h() / 2 + (slot - (n - 1) / 2.0) * SLOT;
    }

    /** The device's streams whose IOMMU has a box. */
    private List<StreamRefDTO> streams(DeviceDTO d) {
        return d.iommus() == null ? List.of()
                : d.iommus().stream().filter(s -> columnOf.containsKey(s.iommu())).toList();
    }

    private int lanes(int column) {
        return (int) run.devices().stream().flatMap(d -> streams(d).stream())
                .filter(s -> columnOf.get(s.iommu()) == column).count();
    }

    private double masterOffset(int column) {
        return LANE_X0 + lanes(column) * LANE_GAP + sidW + GROUP_PAD;
    }

    private double unitWidth(Unit u) {
        double inner = u.members().stream().mapToDouble(d -> SvgDoc.width(masterLabel(d)) + 16).max().orElse(0);
        if (u.label() != null) {
            inner = Math.max(inner, SvgDoc.smallWidth(u.label()) + 4);
        }
        return inner + 2 * GROUP_PAD;
    }

    private boolean entersFromRight(Unit u) {
        return u.members().stream().flatMap(d -> streams(d).stream())
                .anyMatch(s -> columnOf.get(s.iommu()) != u.column());
    }

    /** Wide enough for both label lines and for every lane that leaves the box. */
    private double iommuBoxWidth(int c) {
        IommuNodeDTO n = run.iommus().get(c);
        double text = Math.max(SvgDoc.width(names.of(n.node())), SvgDoc.width(iommuDriver(n))) + 16;
        return Math.max(text, LANE_X0 + lanes(c) * LANE_GAP + 8);
    }

    private static String iommuDriver(IommuNodeDTO n) {
        return n.driver() != null ? n.driver() : "no driver" + (n.state() == null ? "" : " (" + n.state() + ")");
    }

    private String masterLabel(DeviceDTO d) {
        String s = names.of(d.node());
        return d.state() == null || ProbeState.PROBED.text().equals(d.state()) ? s : s + " (" + d.state() + ")";
    }

    private static String sidLabel(StreamRefDTO s) {
        return "sid " + s.sid();
    }
}
