package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
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
 * <p>Layout rules that keep it readable and deterministic (same run, same bytes):
 * <ul>
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
    private static final double COL_GAP = 40;
    private static final double SLOT = 14;
    private static final String INK = "#222222";
    private static final String IOMMU_STROKE = "#2b5d8a";
    private static final String GROUP_STROKE = "#8a5a2b";

    /** Masters drawn inside one outline (a group), or one ungrouped master ({@code group} null). */
    private record Unit(Integer group, String label, List<DeviceDTO> members, int column) {
    }

    /** A master box and where its stream slots are. */
    private record Box(double x, double y, double w, double h, double outlineLeft, double outlineRight) {
    }

    private final BackendRun run;
    private final ShortNames names;
    private final Map<String, Integer> columnOf = new HashMap<>();
    private final List<Unit> units = new ArrayList<>();
    private final Map<DeviceDTO, Box> boxes = new java.util.IdentityHashMap<>();
    private double[] colX;
    private double[] colW;
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
        double bottom = placeUnits(ncol);
        SvgDoc svg = new SvgDoc();
        String title = "topology: " + Fmt.str(run.backend());
        svg.text("title", MARGIN, MARGIN + 12, "start", false, INK, title);
        double width = MARGIN + SvgDoc.width(title);
        if (run.error() != null) {
            String err = TextReport.fit("error: " + run.error(), 100);
            svg.text("error", MARGIN, MARGIN + 30, "start", true, "#b00020", err);
            width = Math.max(width, MARGIN + SvgDoc.smallWidth(err));
        }
        drawIommus(svg);
        drawUnits(svg);
        drawStreams(svg);
        width = Math.max(width, colX[ncol - 1] + colW[ncol - 1]) + MARGIN;
        return svg.finish(width, Math.max(bottom, MARGIN + titleH) + MARGIN, title);
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
        colX = new double[ncol];
        colW = new double[ncol];
        for (int c = 0; c < ncol; c++) {
            double w = c < run.iommus().size() ? iommuBoxWidth(c) : 0;
            for (Unit u : units) {
                if (u.column() == c) {
                    w = Math.max(w, masterOffset(c) - GROUP_PAD + unitWidth(u) + (entersFromRight(u) ? sidW : 0));
                }
            }
            colW[c] = w;
            colX[c] = c == 0 ? MARGIN : colX[c - 1] + colW[c - 1] + COL_GAP;
        }
    }

    /** Stacks each column's units below its IOMMU box; returns the lowest bottom edge. */
    private double placeUnits(int ncol) {
        double top = MARGIN + titleH + IOMMU_H + TOP_GAP;
        double[] y = new double[ncol];
        java.util.Arrays.fill(y, top);
        double bottom = top;
        for (Unit u : units) {
            int c = u.column();
            double x = colX[c] + masterOffset(c);
            double outlineLeft = x - GROUP_PAD;
            double outlineRight = outlineLeft + unitWidth(u);
            double my = y[c] + (u.group() == null ? 0 : GROUP_LABEL_H);
            for (DeviceDTO d : u.members()) {
                double h = Math.max(28, SLOT * (streams(d).size() + 1));
                boxes.put(d, new Box(x, my, SvgDoc.width(masterLabel(d)) + 16, h, outlineLeft, outlineRight));
                my += h + MASTER_GAP;
            }
            double end = my - MASTER_GAP + (u.group() == null ? 0 : GROUP_PAD);
            bottom = Math.max(bottom, end);
            y[c] = end + UNIT_GAP;
        }
        return bottom;
    }

    private void drawIommus(SvgDoc svg) {
        double y = MARGIN + titleH;
        for (int c = 0; c < run.iommus().size(); c++) {
            IommuNodeDTO n = run.iommus().get(c);
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
        double iommuBottom = MARGIN + titleH + IOMMU_H;
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
                stream(svg, colX[c] + LANE_X0 + k * LANE_GAP, iommuBottom, d, s, ends.get(k)[0]);
            }
        }
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
        return d.state() == null || d.state().equals("probed") ? s : s + " (" + d.state() + ")";
    }

    private static String sidLabel(StreamRefDTO s) {
        return "sid " + s.sid();
    }
}
