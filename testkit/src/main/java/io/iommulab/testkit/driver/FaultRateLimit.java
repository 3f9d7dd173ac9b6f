package io.iommulab.testkit.driver;

/**
 * dev_err_ratelimited for fault messages: at most {@link #BURST} messages per {@link #INTERVAL_NANOS}.
 */
final class FaultRateLimit {

    static final int BURST = 10;
    static final long INTERVAL_NANOS = 5_000_000_000L;

    private long windowStart;
    private int printed;
    private long suppressed;
    private boolean started;

    /**
     * @param now {@link System#nanoTime()}
     * @return messages suppressed in the window that just ended (when a new window starts and the
     *         message may print), 0 otherwise; -1 if this message must be suppressed
     */
    synchronized long acquire(long now) {
        if (!started || now - windowStart >= INTERVAL_NANOS) {
            long dropped = suppressed;
            started = true;
            windowStart = now;
            printed = 1;
            suppressed = 0;
            return dropped;
        }
        if (printed < BURST) {
            printed++;
            return 0;
        }
        suppressed++;
        return -1;
    }
}
