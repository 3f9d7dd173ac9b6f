package io.iommulab.testkit;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A call made on its own thread, for a test that must see it wait (a control-path call held back
 * by a live update) while it changes something on its own thread, then collect what it returned or
 * threw.
 *
 * @param <T> what the call returns
 */
public final class BackgroundCall<T> {

    private final Thread thread;
    private final AtomicReference<T> result = new AtomicReference<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private BackgroundCall(String name, Supplier<T> call) {
        this.thread = new Thread(() -> {
            try {
                result.set(call.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, name);
        thread.setDaemon(true);
    }

    /** Starts {@code call} on a thread called {@code name}. */
    public static <T> BackgroundCall<T> start(String name, Supplier<T> call) {
        BackgroundCall<T> c = new BackgroundCall<>(name, call);
        c.thread.start();
        return c;
    }

    /** @return true while the call has not returned or thrown */
    public boolean running() {
        return thread.isAlive();
    }

    /**
     * Waits for the call to end.
     *
     * @return what it returned
     * @throws RuntimeException or Error: what it threw
     */
    public T join() throws InterruptedException {
        thread.join();
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return result.get();
    }
}
