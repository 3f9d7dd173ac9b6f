package io.iommulab.klib;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The state behind one dev_err_ratelimited() call site (DEFINE_RATELIMIT_STATE + __ratelimit): at
 * most {@link Limits#burst} messages per {@link Limits#intervalNanos}; the rest are counted and
 * reported when the next window opens, as "N callbacks suppressed".
 *
 * <p>Every call site follows the machine-wide {@link #limits()}, as printk_ratelimit() follows the
 * sysctls {@code kernel.printk_ratelimit} and {@code kernel.printk_ratelimit_burst} (Linux's
 * dev_err_ratelimited sites use the compile-time DEFAULT_RATELIMIT_* values, which are the
 * defaults here): the IOMMU core sets them from its configuration, and a change counts from each
 * site's next message on, in the window it is in.
 *
 * <p>Fields: {@code clock} nanosecond time source (System::nanoTime; tests pass their own);
 * {@code begin} start of the window; {@code printed}/{@code missed} counts in it. Guarded by this.
 */
public final class RateLimit {

    /** DEFAULT_RATELIMIT_BURST */
    public static final int BURST = 10;
    /** DEFAULT_RATELIMIT_INTERVAL (5 s) */
    public static final long INTERVAL_NANOS = 5_000_000_000L;

    /**
     * How many messages a call site prints per window.
     *
     * @param intervalNanos the window; 0 turns rate limiting off (every message is printed), as an
     *                      interval of 0 does in ___ratelimit
     * @param burst         messages per window; 0 suppresses every message (counted, reported when
     *                      a window opens)
     */
    public record Limits(long intervalNanos, int burst) {
        /** DEFAULT_RATELIMIT_INTERVAL and DEFAULT_RATELIMIT_BURST: 10 messages per 5 s */
        public static final Limits DEFAULT = new Limits(INTERVAL_NANOS, BURST);

        public Limits {
            if (intervalNanos < 0 || burst < 0) {
                throw new IllegalArgumentException("rate limit interval " + intervalNanos + " ns, burst " + burst
                        + ": neither may be negative");
            }
        }
    }

    private static volatile Limits limits = Limits.DEFAULT;

    private final LongSupplier clock;
    private boolean started;
    private long begin;
    private int printed;
    private long missed;

    public RateLimit(LongSupplier clock) {
        this.clock = clock;
    }

    /** @return the limits every call site follows now */
    public static Limits limits() {
        return limits;
    }

    /**
     * Sets the limits every call site follows, from its next message on (the sysctl write).
     *
     * @return the limits before
     */
    public static Limits setLimits(Limits next) {
        Limits before = limits;
        limits = java.util.Objects.requireNonNull(next, "limits");
        return before;
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
        Limits l = limits;
        long now = clock.getAsLong();
        long dropped = 0;
        if (l.intervalNanos() == 0) {
            // no rate limiting: what was held back before is told with this message
            dropped = missed;
            missed = 0;
            started = false;
            return dropped;
        }
        if (!started || now - begin >= l.intervalNanos()) {
            started = true;
            begin = now;
            printed = 0;
            dropped = missed;
            missed = 0;
        }
        if (printed < l.burst()) {
            printed++;
            return dropped;
        }
        missed += 1 + dropped; // a window that opens with this message dropped keeps the count for the next
        return -1;
    }
}
