package io.iommulab.core.impl;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a domain's page-table operations apart from its release: map, unmap and iova_to_phys
 * {@link #enter} and {@link #leave} without a lock; {@link #close} refuses later entries and waits
 * until every operation inside has left, so the tables are never freed under a running map (which
 * would then allocate a table page into a freed domain and leak it).
 */
final class OpsGate {
    private static final int CLOSED = Integer.MIN_VALUE;
    /** sign bit: closed; the rest: operations inside */
    private final AtomicInteger state = new AtomicInteger();

    /** @return false if the gate is closed (nothing entered) */
    boolean enter() {
        for (;;) {
            int s = state.get();
            if (s < 0) {
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

    /** Closes the gate and waits for the operations inside to leave. Must not be called from inside. */
    void close() {
        int s;
        do {
            s = state.get();
        } while (s >= 0 && !state.compareAndSet(s, s | CLOSED));
        while ((state.get() & ~CLOSED) != 0) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
