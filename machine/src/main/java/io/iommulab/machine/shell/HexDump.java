package io.iommulab.machine.shell;

/** Formats bytes as {@code hexdump -C} does: address, 16 bytes in hex, printable characters. */
final class HexDump {
    private static final int ROW = 16;

    private HexDump() {
    }

    static String format(long base, byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (int row = 0; row < data.length; row += ROW) {
            if (row > 0) {
                sb.append('\n');
            }
            sb.append(String.format("%011x ", base + row));
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < ROW; i++) {
                if (i == ROW / 2) {
                    sb.append(' ');
                }
                if (row + i < data.length) {
                    int b = data[row + i] & 0xff;
                    sb.append(String.format(" %02x", b));
                    text.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                } else {
                    sb.append("   ");
                }
            }
            sb.append("  |").append(text).append('|');
        }
        return sb.toString();
    }
}
