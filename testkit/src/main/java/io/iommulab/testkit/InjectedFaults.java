package io.iommulab.testkit;

import java.util.HashMap;
import java.util.Map;

/**
 * Fault injection as a driver test sets it, per device and injection point: Linux's
 * {@code fault_attr} with its {@code times} (the next N occurrences, or every one), the state the
 * core's {@code iommu:inject} keeps, for tests that run a driver without that command.
 * {@link MmioRecordingDriver} answers {@code PlatformDevice.shouldFail} from one of these.
 *
 * <p>Fields: {@code left} occurrences still to fail per device and point ({@link #ALL}: every
 * one); guarded by this.
 */
public final class InjectedFaults {

    /** {@code times} for "every occurrence until {@link #off}" */
    public static final int ALL = -1;

    private final Map<String, Map<String, Integer>> left = new HashMap<>();

    /**
     * Fails the next {@code times} occurrences of {@code point} on {@code device} (replacing what
     * was set), or every one with {@link #ALL}.
     *
     * @throws IllegalArgumentException if {@code times} is neither positive nor {@link #ALL}
     */
    public synchronized void inject(String device, String point, int times) {
        if (times <= 0 && times != ALL) {
            throw new IllegalArgumentException("times " + times + " is neither positive nor ALL");
        }
        left.computeIfAbsent(device, d -> new HashMap<>()).put(point, times);
    }

    /** Clears every injection of {@code device}. */
    public synchronized void off(String device) {
        left.remove(device);
    }

    /** @return true if this occurrence fails; counts it */
    public synchronized boolean shouldFail(String device, String point) {
        Map<String, Integer> points = left.get(device);
        Integer n = points == null ? null : points.get(point);
        if (n == null) {
            return false;
        }
        if (n == 1) {
            points.remove(point);
        } else if (n != ALL) {
            points.put(point, n - 1);
        }
        return true;
    }

    /** @return occurrences still to fail ({@link #ALL} for every one, 0 when none) */
    public synchronized int remaining(String device, String point) {
        Map<String, Integer> points = left.get(device);
        return points == null ? 0 : points.getOrDefault(point, 0);
    }
}
