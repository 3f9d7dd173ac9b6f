package io.iommulab.compare.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flows blocks into rows as a paragraph flows words into lines: left to right, a new row where the
 * next block would pass the right edge (a block wider than that gets a row of its own), the blocks
 * of a row top-aligned. Blocks of different bands go to a band of rows each, in the order the bands
 * first appear, under a heading when there is more than one band. The topology picture lays its
 * IOMMU clusters out with it, a band per bus.
 */
final class RowFlow {
    /** From the top of a band's heading to its first row. */
    static final double HEADING_H = 26;
    /** From the top of a band's heading to the heading's baseline. */
    private static final double HEADING_BASELINE = 14;

    /**
     * One block to place.
     *
     * @param band   the band it belongs to (blocks of one band keep their order)
     * @param width  its width
     * @param height its height
     */
    record Block(String band, double width, double height) {
    }

    /** Where a block went: its top-left corner. */
    record At(double x, double y) {
    }

    /**
     * The result.
     *
     * @param at       each block's place, in the order the blocks were given
     * @param headings band → its heading's baseline, in band order; empty when there is one band
     * @param bottom   the lowest bottom edge (top when there are no blocks)
     */
    record Layout(List<At> at, Map<String, Double> headings, double bottom) {
    }

    /** Gaps between blocks in a row, between rows, and between the last row of a band and the next heading. */
    record Gaps(double block, double row, double band) {
    }

    private RowFlow() {
    }

    /** Flows {@code blocks} between {@code left} and {@code right}, starting at {@code top}. */
    static Layout flow(List<Block> blocks, double left, double top, double right, Gaps gaps) {
        Map<String, List<Integer>> bands = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++) {
            bands.computeIfAbsent(blocks.get(i).band(), b -> new ArrayList<>()).add(i);
        }
        At[] at = new At[blocks.size()];
        Map<String, Double> headings = new LinkedHashMap<>();
        double y = top;
        double bottom = top;
        for (Map.Entry<String, List<Integer>> band : bands.entrySet()) {
            if (bands.size() > 1) {
                headings.put(band.getKey(), y + HEADING_BASELINE);
                y += HEADING_H;
            }
            double x = left;
            double rowBottom = y;
            for (int i : band.getValue()) {
                Block b = blocks.get(i);
                if (x > left && x + b.width() > right) {
                    x = left;
                    y = rowBottom + gaps.row();
                }
                at[i] = new At(x, y);
                rowBottom = Math.max(rowBottom, y + b.height());
                x += b.width() + gaps.block();
            }
            bottom = Math.max(bottom, rowBottom);
            y = rowBottom + gaps.row() + gaps.band();
        }
        return new Layout(List.of(at), headings, bottom);
    }
}
