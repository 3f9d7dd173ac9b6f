package io.iommulab.campaign.run;

/**
 * Where the backend and the oracle disagreed.
 *
 * @param index    the operation's index in the run (-1: before the first, in the calibration; the
 *                 run's length: in the check after the last)
 * @param op       the operation's line ({@code OpCodec}), or what was being checked
 * @param check    what disagreed: {@code errno}, {@code iova_to_phys}, {@code walk}, {@code dma},
 *                 {@code data}, {@code dma-address}, {@code fault-report}, {@code sanitizer},
 *                 {@code live-update}, {@code leak}, {@code crash}
 * @param detail   expected and found, in one line
 */
public record Mismatch(long index, String op, String check, String detail) {

    /** @return true when {@code other} is the same failure for shrinking: the same check on the same operation kind */
    public boolean sameAs(Mismatch other) {
        return other != null && check.equals(other.check) && kind(op).equals(kind(other.op));
    }

    private static String kind(String line) {
        int sp = line.indexOf(' ');
        return sp < 0 ? line : line.substring(0, sp);
    }

    /** @return one line: where, what and why */
    public String text() {
        return "op " + index + " (" + op + "): " + check + ": " + detail;
    }
}
