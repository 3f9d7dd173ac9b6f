package io.iommulab.lib.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void columnsAsWideAsTheirWidestCellAndTheLastOneUnpadded() {
        String t = new TextTable("SID", "IOVA", "MASTERS").row("0", "0x100000", "/soc/usb@382280000")
                .row("15", null, "").toString();
        assertEquals("SID  IOVA      MASTERS\n"
                + "0    0x100000  /soc/usb@382280000\n"
                + "15   -         \n", t);
    }

    @Test
    void aRowOfTheWrongWidthIsRefused() {
        assertEquals("1 cells for 2 columns",
                assertThrows(IllegalArgumentException.class, () -> new TextTable("A", "B").row("x")).getMessage());
    }
}
