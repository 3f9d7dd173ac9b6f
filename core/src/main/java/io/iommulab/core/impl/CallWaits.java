package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDriver;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The control-path calls (domain allocation, attach, detach, free) waiting for a live update, by
 * the driver they wait on: the old one of a driver update, or one whose page-table code is away.
 * How many wait now ({@code IommuService.waitingCalls}), and for the driver's next report, how many
 * waited and since when the earliest of them waits. A driver is forgotten when its last call ends,
 * so no old driver (nor its class loader) is kept. Under the engine's lock.
 */
final class CallWaits {

    /** What one driver's report gets: the longest wait (ns) and the calls that waited. */
    record Taken(long longestNs, int calls) {
        static final Taken NONE = new Taken(0, 0);
    }

    private static final class Waits {
        int now;
        int calls;
        long earliestNs = Long.MAX_VALUE;
    }

    private final Map<IommuDriver, Waits> byDriver = new IdentityHashMap<>();
    private int waiting;

    /** A call starts waiting for {@code driver}'s new code at {@code nowNs}. */
    void begin(IommuDriver driver, long nowNs) {
        Waits w = byDriver.computeIfAbsent(driver, d -> new Waits());
        w.now++;
        w.calls++;
        w.earliestNs = Math.min(w.earliestNs, nowNs);
        waiting++;
    }

    /** The call waits no more (it goes on, or failed). */
    void end(IommuDriver driver) {
        Waits w = byDriver.get(driver);
        if (w == null) {
            return;
        }
        waiting--;
        if (--w.now == 0) {
            byDriver.remove(driver);
        }
    }

    /** @return how many calls wait now, for any driver */
    int waitingNow() {
        return waiting;
    }

    /**
     * @return the calls that waited for {@code driver} since its last report (those still waiting
     *         counted up to {@code nowNs}); the next report starts over
     */
    Taken take(IommuDriver driver, long nowNs) {
        Waits w = byDriver.get(driver);
        if (w == null || w.calls == 0) {
            return Taken.NONE;
        }
        Taken t = new Taken(nowNs - w.earliestNs, w.calls);
        w.calls = 0;
        w.earliestNs = Long.MAX_VALUE;
        return t;
    }
}
