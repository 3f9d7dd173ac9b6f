package io.iommulab.compare.report;

/**
 * Builds one SVG document from shapes. Styling is written as presentation attributes rather than a
 * {@code <style>} block, because the same SVG is also inlined into the HTML report, where a style
 * block would leak into the page and into the other pictures. Every string goes through
 * {@link Xml#esc}; the output has no XML declaration so that it can be inlined as is.
 */
final class SvgDoc {
    /** Advance of one character of the 12px monospace font used for labels. */
    static final double CHAR_W = 7.2;
    /** Advance of one character of the 10px monospace font used for small labels. */
    static final double SMALL_CHAR_W = 6.0;
    private static final String FONT = "font-family=\"monospace\"";

    private final StringBuilder body = new StringBuilder(4096);

    /** Width in pixels of {@code s} in the 12px font. */
    static double width(String s) {
        return s.codePointCount(0, s.length()) * CHAR_W;
    }

    /** Width in pixels of {@code s} in the 10px font. */
    static double smallWidth(String s) {
        return s.codePointCount(0, s.length()) * SMALL_CHAR_W;
    }

    /** A rectangle; {@code tooltip} (may be null) becomes a {@code <title>} child. */
    SvgDoc rect(String cls, double x, double y, double w, double h, double rx, String fill, String stroke,
            String tooltip) {
        body.append("<rect class=\"").append(cls).append('"').append(at("x", x)).append(at("y", y))
                .append(at("width", w)).append(at("height", h));
        if (rx > 0) {
            body.append(at("rx", rx));
        }
        body.append(" fill=\"").append(fill).append("\" stroke=\"").append(stroke).append('"');
        if (tooltip == null) {
            body.append("/>\n");
        } else {
            body.append("><title>").append(Xml.esc(tooltip)).append("</title></rect>\n");
        }
        return this;
    }

    /** A dashed rectangle (group outlines). */
    SvgDoc dashedRect(String cls, double x, double y, double w, double h, double rx, String stroke) {
        body.append("<rect class=\"").append(cls).append('"').append(at("x", x)).append(at("y", y))
                .append(at("width", w)).append(at("height", h)).append(at("rx", rx))
                .append(" fill=\"none\" stroke=\"").append(stroke).append("\" stroke-dasharray=\"5 3\"/>\n");
        return this;
    }

    /** Text at (x, y) in the 12px font ({@code small}: 10px); anchor is start, middle or end. */
    SvgDoc text(String cls, double x, double y, String anchor, boolean small, String fill, String s) {
        body.append("<text class=\"").append(cls).append('"').append(at("x", x)).append(at("y", y))
                .append(" text-anchor=\"").append(anchor).append("\" ").append(FONT)
                .append(" font-size=\"").append(small ? 10 : 12).append("\" fill=\"").append(fill).append("\">")
                .append(Xml.esc(s)).append("</text>\n");
        return this;
    }

    /** An open polyline through {@code xy} = x0, y0, x1, y1, ... */
    SvgDoc polyline(String cls, String stroke, double... xy) {
        body.append("<polyline class=\"").append(cls).append("\" points=\"");
        for (int i = 0; i < xy.length; i += 2) {
            body.append(i == 0 ? "" : " ").append(Fmt.coord(xy[i])).append(',').append(Fmt.coord(xy[i + 1]));
        }
        body.append("\" fill=\"none\" stroke=\"").append(stroke).append("\"/>\n");
        return this;
    }

    /** A straight line (axes and grid). */
    SvgDoc line(String cls, double x1, double y1, double x2, double y2, String stroke) {
        body.append("<line class=\"").append(cls).append('"').append(at("x1", x1)).append(at("y1", y1))
                .append(at("x2", x2)).append(at("y2", y2)).append(" stroke=\"").append(stroke).append("\"/>\n");
        return this;
    }

    /** A filled circle (legend swatches: not a rect, so rects count bars only). */
    SvgDoc circle(String cls, double cx, double cy, double r, String fill) {
        body.append("<circle class=\"").append(cls).append('"').append(at("cx", cx)).append(at("cy", cy))
                .append(at("r", r)).append(" fill=\"").append(fill).append("\"/>\n");
        return this;
    }

    /** The finished document, {@code width} x {@code height} pixels, titled for screen readers. */
    String finish(double width, double height, String title) {
        String w = Fmt.coord(Math.ceil(width));
        String h = Fmt.coord(Math.ceil(height));
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h
                + "\" viewBox=\"0 0 " + w + " " + h + "\" role=\"img\">\n<title>" + Xml.esc(title) + "</title>\n"
                + body + "</svg>\n";
    }

    private static String at(String name, double v) {
        return " " + name + "=\"" + Fmt.coord(v) + "\"";
    }
}
