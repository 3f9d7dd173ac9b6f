package io.iommulab.core.impl;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a domain's page-table operations apart from what must not run beside them: map, unmap and
 * iova_to_phys {@link #enter} and {@link #leave} without a lock on the way in and out.
 * <ul>
 * <li>{@link #pause} holds new entries back (they wait) and waits until every operation inside has
 * left: a live update then swaps the code behind the domain, {@link #open} lets later entries in
 * and {@link #wakeWaiters} the waiting operations continue, on the new code.</li>
 * <li>{@link #close} refuses later entries for good and waits for those inside, so the tables are
 * never freed under a running map (which would then put a table page into a freed domain).</li>
 * </ul>
 */
final class OpsGate {
    private static final int CLOSED = Integer.MIN_VALUE;
    private static final int PAUSED = 1 << 30;
    private static final int INSIDE = PAUSED - 1;
    /** CLOSED and PAUSED bits, and the number of operations inside */
    private final AtomicInteger state = new AtomicInteger();
    private final Object waiters = new Object();
    /** the longest any operation waited at a pause, in ns (guarded by waiters) */
    private long longestWaitNs;

    /**
     * @param timeoutNs how long to wait at a paused gate
     * @return false if the gate is closed, or stayed paused for the whole timeout (nothing entered)
     */
    boolean enter(long timeoutNs) {
        for (;;) {
            int s = state.get();
            if (s < 0) {
                return false;
            }
            if ((s & PAUSED) != 0) {
                if (!awaitResume(timeoutNs)) {
                    return false;
                }
                continue;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /** @return true if it entered at once; false if the gate is closed or paused (nothing entered, no wait) */
    boolean tryEnter() {
        for (;;) {
            int s = state.get();
            if (s < 0 || (s & PAUSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    void leave() {
        state.decrementAndGet();
    }

    private boolean awaitResume(long timeoutNs) {
        long start = System.nanoTime();
        long deadline = start + timeoutNs;
        synchronized (waiters) {
            try {
                while ((state.get() & PAUSED) != 0 && state.get() >= 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(waiters, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                longestWaitNs = Math.max(longestWaitNs, System.nanoTime() - start);
            }
        }
        return true;
    }

    /** Holds later entries back and waits for the operations inside to leave. Not from inside. */
    void pause() {
        int s;
        do {
            s = state.get();
        } while (s >= 0 && (s & PAUSED) == 0 && !state.compareAndSet(s, s | PAUSED));
        drain();
    }

    /**
     * Ends a pause: later entries go straight in. Those already waiting continue at
     * {@link #wakeWaiters}; a caller resuming many gates opens them all first, so that a woken
     * thread taking its CPU does not keep the gates after this one paused.
     */
    void open() {
        int s;
        do {
            s = state.get();
        } while (s >= 0 && (s & PAUSED) != 0 && !state.compareAndSet(s, s & ~PAUSED));
    }

    /** Wakes the operations that waited at the pause {@link #open} ended. */
    void wakeWaiters() {
        synchronized (waiters) {
            waiters.notifyAll();
        }
    }

    /** Closes the gate for good and waits for the operations inside to leave. Must not be called from inside. */
    void close() {
        int s;
        do {
            s = state.get();
        } while (s >= 0 && !state.compareAndSet(s, (s & ~PAUSED) | CLOSED));
        synchronized (waiters) {
            waiters.notifyAll();
        }
        drain();
    }

    private void drain() {
        while ((state.get() & INSIDE) != 0) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** @return and reset the longest wait at a pause since the last call, in ns */
    long takeLongestWaitNs() {
        synchronized (waiters) {
            long w = longestWaitNs;
            longestWaitNs = 0;
            return w;
        }
    }
}
