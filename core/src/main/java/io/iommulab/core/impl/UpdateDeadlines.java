package io.iommulab.core.impl;

import io.iommulab.api.driver.IommuDriver;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of the drivers that left in a live update and whose next version is awaited:
 * one timer thread, alive only while some driver waits, so that no thread of the core outlives an
 * update. The engine calls it under its lock; the expiry runs on the timer thread.
 */
final class UpdateDeadlines {

    private ScheduledThreadPoolExecutor timer;
    private final Map<IommuDriver, ScheduledFuture<?>> tasks = new IdentityHashMap<>();

    /** Runs {@code expire} after {@code ms} unless {@link #cancel} comes first. */
    void schedule(IommuDriver driver, long ms, Runnable expire) {
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "iommu-live-update-deadline");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
        }
        tasks.put(driver, timer.schedule(expire, ms, TimeUnit.MILLISECONDS));
    }

    /**
     * The driver waits no more (its next version came, its deadline passed): its deadline goes, and
     * with the last one the thread.
     */
    void cancel(IommuDriver driver) {
        ScheduledFuture<?> task = tasks.remove(driver);
        if (task != null) {
            task.cancel(false);
        }
        if (tasks.isEmpty() && timer != null) {
            timer.shutdown();
            timer = null;
        }
    }

    /** The core shuts down: no deadline runs any more. */
    void shutdownNow() {
        tasks.clear();
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
