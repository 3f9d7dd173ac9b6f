package io.iommulab.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

/**
 * When the JVM stopped every thread (GC pauses, class unloading at G1's remark, deoptimisation:
 * every safepoint operation of 0.1 ms or more), from a JFR event stream: a blackout such a stop
 * fell into measured the JVM as much as the live update. The MXBeans' GC counts miss G1's remark,
 * where the classes of the replaced bundle versions are unloaded.
 */
final class JvmPauses implements AutoCloseable {

    /** Committed to see when the stream has handed over everything before it. */
    @Name("iommulab.bench.Marker")
    static final class Marker extends Event {
    }

    private final RecordingStream stream = new RecordingStream();
    /** {start, end} in System.nanoTime terms */
    private final List<long[]> pauses = new ArrayList<>();
    /** Instant as ns since the epoch, minus System.nanoTime */
    private final long epochMinusNanoTime;
    private volatile CountDownLatch marker;

    JvmPauses() {
        Instant now = Instant.now();
        long nano = System.nanoTime();
        epochMinusNanoTime = now.getEpochSecond() * 1_000_000_000L + now.getNano() - nano;
        stream.enable("jdk.ExecuteVMOperation").withThreshold(Duration.ofNanos(100_000));
        stream.enable(Marker.class);
        stream.onEvent("jdk.ExecuteVMOperation", this::operation);
        stream.onEvent("iommulab.bench.Marker", e -> {
            CountDownLatch m = marker;
            if (m != null) {
                m.countDown();
            }
        });
        stream.startAsync();
    }

    private void operation(RecordedEvent e) {
        if (!e.getBoolean("safepoint")) {
            return;
        }
        Instant t = e.getStartTime();
        long start = t.getEpochSecond() * 1_000_000_000L + t.getNano() - epochMinusNanoTime;
        synchronized (pauses) {
            // from a little before: threads stop while the safepoint is being reached
            pauses.add(new long[] {start - 100_000, start + e.getDuration().toNanos()});
        }
    }

    /** Waits until the stream has delivered every stop before now (it flushes about once a second). */
    void catchUp() throws InterruptedException {
        CountDownLatch m = new CountDownLatch(1);
        marker = m;
        new Marker().commit();
        if (!m.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the JFR stream did not deliver its marker within 30 s");
        }
    }

    /** @return whether the JVM stopped every thread at some time in [fromNs, toNs] (System.nanoTime) */
    boolean stoppedDuring(long fromNs, long toNs) {
        synchronized (pauses) {
            for (long[] p : pauses) {
                if (p[0] <= toNs && p[1] >= fromNs) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        stream.close();
    }
}
