package io.iommulab.compare.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.compare.report.RowFlow.At;
import io.iommulab.compare.report.RowFlow.Block;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link RowFlow}: blocks into rows within a width, a band of rows per band name. */
class RowFlowTest {
    private static final RowFlow.Gaps GAPS = new RowFlow.Gaps(10, 20, 30);

    @Test
    void blocksWrapWhereTheNextWouldPassTheRightEdge() {
        RowFlow.Layout l = RowFlow.flow(List.of(new Block("", 40, 10), new Block("", 40, 30), new Block("", 40, 5),
                new Block("", 90, 10), new Block("", 10, 10)), 5, 7, 120, GAPS);
        assertEquals(List.of(new At(5, 7), new At(55, 7), new At(5, 57), new At(5, 82), new At(5 + 90 + 10, 82)), l.at(),
                "row 2 starts under row 1's tallest block plus the row gap");
        assertEquals(92, l.bottom());
        assertEquals(Map.of(), l.headings(), "one band: no heading");
    }

    @Test
    void aBlockWiderThanTheRowGetsARowOfItsOwn() {
        RowFlow.Layout l = RowFlow.flow(List.of(new Block("", 20, 10), new Block("", 500, 10), new Block("", 20, 10)),
                0, 0, 100, GAPS);
        assertEquals(List.of(new At(0, 0), new At(0, 30), new At(0, 60)), l.at());
    }

    /** Bands keep the order they first appear in, and a band's blocks their order, wherever they are in the list. */
    @Test
    void eachBandGetsItsRowsUnderAHeading() {
        RowFlow.Layout l = RowFlow.flow(List.of(new Block("/soc@200000000", 30, 10), new Block("/soc@2200000000", 30, 10),
                new Block("/soc@200000000", 30, 40)), 0, 0, 1000, GAPS);
        double band2 = 0 + RowFlow.HEADING_H + 40 + 20 + 30;
        assertEquals(List.of(new At(0, RowFlow.HEADING_H), new At(0, band2 + RowFlow.HEADING_H),
                new At(40, RowFlow.HEADING_H)), l.at());
        assertEquals(List.of("/soc@200000000", "/soc@2200000000"), List.copyOf(l.headings().keySet()));
        assertEquals(band2 + 14, l.headings().get("/soc@2200000000"));
        assertEquals(band2 + RowFlow.HEADING_H + 10, l.bottom());
    }

    @Test
    void nothingToPlaceEndsWhereItStarted() {
        RowFlow.Layout l = RowFlow.flow(List.of(), 3, 4, 100, GAPS);
        assertEquals(List.of(), l.at());
        assertEquals(4, l.bottom());
    }
}
