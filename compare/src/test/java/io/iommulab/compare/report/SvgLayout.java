package io.iommulab.compare.report;

import static io.iommulab.compare.report.XmlTestSupport.num;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The layout checks {@code layout-check.js} makes in a browser, made on a picture's own geometry so
 * that they run without one: text boxes from the font model the pictures are laid out with
 * ({@link SvgDoc#CHAR_W}: monospace, 0.6 em per character; ascent and descent as DejaVu Sans Mono's,
 * the face Chromium picks for "monospace" on Debian). Each check returns the problems found, one
 * line each, so that a failure lists them all.
 */
final class SvgLayout {
    private static final double ASCENT = 0.93;
    private static final double DESCENT = 0.24;
    /** Touching is fine, overlapping by more than rounding is not. */
    private static final double TOL = 0.5;
    /** The rect a label must stay inside: the one of this class drawn just before it. */
    private static final Map<String, String> CONTAINER = Map.of("iommu-label", "iommu", "iommu-driver", "iommu",
            "master-label", "master", "group-label", "group");

    /** An element's box. */
    record Box(String what, double x0, double y0, double x1, double y1) {
        boolean inside(Box o) {
            return x0 >= o.x0 - TOL && x1 <= o.x1 + TOL && y0 >= o.y0 - TOL && y1 <= o.y1 + TOL;
        }

        boolean overlaps(Box o) {
            return x0 < o.x1 - TOL && o.x0 < x1 - TOL && y0 < o.y1 - TOL && o.y0 < y1 - TOL;
        }

        @Override
        public String toString() {
            return what + " [" + Fmt.coord(x0) + "," + Fmt.coord(y0) + " .. " + Fmt.coord(x1) + "," + Fmt.coord(y1) + "]";
        }
    }

    private final Document doc;
    private final double width;
    private final double height;

    SvgLayout(String svg) {
        doc = XmlTestSupport.parse(svg);
        Element root = doc.getDocumentElement();
        width = num(root, "width");
        height = num(root, "height");
    }

    double width() {
        return width;
    }

    /** The viewBox is the picture's own size, so the picture scales as a whole. */
    List<String> viewBox() {
        String want = "0 0 " + Fmt.coord(width) + " " + Fmt.coord(height);
        String got = doc.getDocumentElement().getAttribute("viewBox");
        return got.equals(want) ? List.of() : List.of("viewBox \"" + got + "\", expected \"" + want + "\"");
    }

    /** Every shape and text inside the viewBox. */
    List<String> everythingInside() {
        Box pic = new Box("picture", 0, 0, width, height);
        List<String> out = new ArrayList<>();
        for (Box b : boxes()) {
            if (!b.inside(pic)) {
                out.add(b + " is outside the " + pic);
            }
        }
        return out;
    }

    /** No two texts overlap. */
    List<String> textsApart() {
        List<Box> texts = texts();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            for (int j = i + 1; j < texts.size(); j++) {
                if (texts.get(i).overlaps(texts.get(j))) {
                    out.add(texts.get(i) + " overlaps " + texts.get(j));
                }
            }
        }
        return out;
    }

    /** Box labels (IOMMU, master, group) inside their box. */
    List<String> labelsInTheirBoxes() {
        List<String> out = new ArrayList<>();
        for (Element t : XmlTestSupport.elements(doc, "text", null)) {
            String want = CONTAINER.get(t.getAttribute("class"));
            if (want == null) {
                continue;
            }
            Element rect = previous(t, want);
            if (rect == null) {
                out.add(text(t) + " has no " + want + " box before it");
            } else if (!text(t).inside(rect(rect))) {
                out.add(text(t) + " overflows its box " + rect(rect));
            }
        }
        return out;
    }

    /**
     * No stream line runs through an IOMMU or master box other than at its two ends (it starts
     * under its IOMMU and ends on its master's edge): a line crossing a box reads as a stream to it.
     */
    List<String> streamsAroundBoxes() {
        List<Box> boxes = new ArrayList<>();
        for (String cls : List.of("iommu", "master")) {
            XmlTestSupport.elements(doc, "rect", cls).forEach(r -> boxes.add(rect(r)));
        }
        List<String> out = new ArrayList<>();
        for (Element line : XmlTestSupport.elements(doc, "polyline", "stream")) {
            double[] p = points(line);
            for (int i = 0; i + 3 < p.length; i += 2) {
                Box seg = new Box("stream segment", Math.min(p[i], p[i + 2]), Math.min(p[i + 1], p[i + 3]),
                        Math.max(p[i], p[i + 2]), Math.max(p[i + 1], p[i + 3]));
                for (Box b : boxes) {
                    Box in = new Box(b.what(), b.x0() + 1, b.y0() + 1, b.x1() - 1, b.y1() - 1);
                    boolean crosses = seg.x0() == seg.x1()
                            ? seg.x0() > in.x0() && seg.x0() < in.x1() && seg.y0() < in.y1() && in.y0() < seg.y1()
                            : seg.y0() > in.y0() && seg.y0() < in.y1() && seg.x0() < in.x1() && in.x0() < seg.x1();
                    if (crosses) {
                        out.add("stream " + line.getAttribute("points") + " runs through " + b);
                    }
                }
            }
        }
        return out;
    }

    /** Texts of class {@code cls} (null: all), in document order. */
    List<Box> texts(String cls) {
        return XmlTestSupport.elements(doc, "text", cls).stream().map(SvgLayout::text).toList();
    }

    /** Rects of class {@code cls}, in document order. */
    List<Box> rects(String cls) {
        return XmlTestSupport.elements(doc, "rect", cls).stream().map(SvgLayout::rect).toList();
    }

    private List<Box> texts() {
        return texts(null);
    }

    private List<Box> boxes() {
        List<Box> out = new ArrayList<>(texts());
        XmlTestSupport.elements(doc, "rect", null).forEach(r -> out.add(rect(r)));
        for (Element l : XmlTestSupport.elements(doc, "line", null)) {
            out.add(new Box("line", Math.min(num(l, "x1"), num(l, "x2")), Math.min(num(l, "y1"), num(l, "y2")),
                    Math.max(num(l, "x1"), num(l, "x2")), Math.max(num(l, "y1"), num(l, "y2"))));
        }
        for (Element l : XmlTestSupport.elements(doc, "polyline", null)) {
            double[] p = points(l);
            double x0 = Double.MAX_VALUE;
            double y0 = Double.MAX_VALUE;
            double x1 = -Double.MAX_VALUE;
            double y1 = -Double.MAX_VALUE;
            for (int i = 0; i + 1 < p.length; i += 2) {
                x0 = Math.min(x0, p[i]);
                x1 = Math.max(x1, p[i]);
                y0 = Math.min(y0, p[i + 1]);
                y1 = Math.max(y1, p[i + 1]);
            }
            out.add(new Box("polyline " + l.getAttribute("points"), x0, y0, x1, y1));
        }
        for (Element c : XmlTestSupport.elements(doc, "circle", null)) {
            double r = num(c, "r");
            out.add(new Box("circle", num(c, "cx") - r, num(c, "cy") - r, num(c, "cx") + r, num(c, "cy") + r));
        }
        return out;
    }

    private static Box text(Element t) {
        double size = num(t, "font-size");
        double w = t.getTextContent().codePointCount(0, t.getTextContent().length()) * size * SvgDoc.CHAR_W / 12;
        double x = num(t, "x");
        double x0 = switch (t.getAttribute("text-anchor")) {
            case "middle" -> x - w / 2;
            case "end" -> x - w;
            default -> x;
        };
        double y = num(t, "y");
        return new Box("text \"" + t.getTextContent() + "\"", x0, y - ASCENT * size, x0 + w, y + DESCENT * size);
    }

    private static Box rect(Element r) {
        return new Box(r.getAttribute("class") + " box", num(r, "x"), num(r, "y"), num(r, "x") + num(r, "width"),
                num(r, "y") + num(r, "height"));
    }

    private static double[] points(Element polyline) {
        String[] xy = polyline.getAttribute("points").trim().split("[ ,]+");
        double[] p = new double[xy.length];
        for (int i = 0; i < xy.length; i++) {
            p[i] = Double.parseDouble(xy[i]);
        }
        return p;
    }

    private static Element previous(Element t, String cls) {
        for (Node n = t.getPreviousSibling(); n != null; n = n.getPreviousSibling()) {
            if (n instanceof Element e && e.getLocalName().equals("rect") && cls.equals(e.getAttribute("class"))) {
                return e;
            }
        }
        return null;
    }
}
