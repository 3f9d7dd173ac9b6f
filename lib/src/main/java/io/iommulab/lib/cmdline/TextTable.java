package io.iommulab.lib.cmdline;

import java.util.ArrayList;
import java.util.List;

/**
 * How the shells print a list of records: a header row and one row per record, each column as wide
 * as its widest cell plus two spaces, the last column not padded, every row ending in a newline.
 */
public final class TextTable {

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    /** @param header the column names */
    public TextTable(String... header) {
        this.columns = header.length;
        rows.add(header.clone());
    }

    /**
     * Adds a row; null cells print as {@code -}.
     *
     * @throws IllegalArgumentException if it does not have one cell per column
     */
    public TextTable row(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException(cells.length + " cells for " + columns + " columns");
        }
        String[] r = new String[columns];
        for (int i = 0; i < columns; i++) {
            r[i] = cells[i] == null ? "-" : cells[i];
        }
        rows.add(r);
        return this;
    }

    @Override
    public String toString() {
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                sb.append(r[i]);
                if (i < columns - 1) {
                    sb.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
