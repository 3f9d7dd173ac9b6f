package io.iommulab.core.impl;

/** ___ratelimit(): at most {@code burst} events per {@code intervalNs}; the rest are counted as suppressed. */
final class RateLimit {

    private final long intervalNs;
    private final int burst;
    private long begin;
    private int printed;
    private long missed;

    RateLimit(long intervalNs, int burst) {
        this.intervalNs = intervalNs;
        this.burst = burst;
        this.begin = System.nanoTime() - intervalNs;
    }

    /** @return -1 if this event must not be logged, else how many were suppressed since the last one logged */
    synchronized long tryAcquire() {
        long now = System.nanoTime();
        if (now - begin >= intervalNs) {
            begin = now;
            printed = 0;
        }
        if (printed < burst) {
            printed++;
            long m = missed;
            missed = 0;
            return m;
        }
        missed++;
        return -1;
    }
}
