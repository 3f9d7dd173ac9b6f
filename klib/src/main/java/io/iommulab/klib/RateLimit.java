package io.iommulab.klib;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The state behind one dev_err_ratelimited() call site (DEFINE_RATELIMIT_STATE + __ratelimit): at most {@link #BURST} messages per
 * {@link #INTERVAL_NANOS} (the kernel defaults, DEFAULT_RATELIMIT_BURST / _INTERVAL); the rest are
 * counted and reported when the next window opens, as "N callbacks suppressed".
 *
 * <p>Fields: {@code clock} nanosecond time source (System::nanoTime; tests pass their own);
 * {@code begin} start of the window; {@code printed}/{@code missed} counts in it. Guarded by this.
 */
public final class RateLimit {

    /** DEFAULT_RATELIMIT_BURST */
    public static final int BURST = 10;
    /** DEFAULT_RATELIMIT_INTERVAL (5 s) */
    public static final long INTERVAL_NANOS = 5_000_000_000L;

    private final LongSupplier clock;
    private boolean started;
    private long begin;
    private int printed;
    private long missed;

    public RateLimit(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * __ratelimit(): whether this message may be printed. The first message of a window that
     * follows dropped ones tells {@code suppressed} how many first, for the kernel's
     * "%s: %d callbacks suppressed" line. The callback runs outside the lock.
     *
     * @return true if the message may be printed
     */
    public boolean ratelimit(LongConsumer suppressed) {
        long dropped = acquire();
        if (dropped > 0) {
            suppressed.accept(dropped);
        }
        return dropped >= 0;
    }

    /**
     * @return -1 if this message must be dropped; otherwise the number of messages dropped in the
     *         window that just closed (0 if none)
     */
    public synchronized long acquire() {
        long now = clock.getAsLong();
        long dropped = 0;
        if (!started || now - begin >= INTERVAL_NANOS) {
            started = true;
            begin = now;
            printed = 0;
            dropped = missed;
            missed = 0;
        }
        if (printed < BURST) {
            printed++;
            return dropped;
        }
        missed++;
        return -1;
    }
}
