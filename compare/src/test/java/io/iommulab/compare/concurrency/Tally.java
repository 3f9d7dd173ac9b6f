package io.iommulab.compare.concurrency;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counts of one run, from every thread, and the first few failures in words. A failure is
 * anything the oracle did not allow: a corruption (data that is not what the mapped page holds), a
 * wrong fault (a mapped page refused an access its rights allow), use after unmap (a page that was
 * not mapped, or not for this access, let a transfer through), an escape (another domain's master
 * got through), a map or unmap that did not do what the oracle said, an exception.
 */
final class Tally {

    static final String CORRUPTION = "corruption";
    static final String WRONG_FAULT = "wrong-fault";
    static final String USE_AFTER_UNMAP = "use-after-unmap";
    static final String ESCAPE = "escape";
    static final String API = "api";
    static final String EXCEPTION = "exception";
    static final String FINAL_STATE = "final-state";

    private static final int KEPT = 20;

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final List<String> first = new ArrayList<>();
    private final List<String> traces = new ArrayList<>();

    void count(String what) {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    void add(String what, long n) {
        counts.computeIfAbsent(what, k -> new LongAdder()).add(n);
    }

    long count0(String what) {
        LongAdder a = counts.get(what);
        return a == null ? 0 : a.sum();
    }

    void fail(String kind, String detail) {
        failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
        synchronized (first) {
            if (first.size() < KEPT) {
                first.add(kind + ": " + detail);
            }
        }
    }

    /** Keeps where an unexpected exception came from (the first few), for the report. */
    void trace(Throwable e) {
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        synchronized (first) {
            if (traces.size() < 3) {
                traces.add(w.toString());
            }
        }
    }

    List<String> traces() {
        synchronized (first) {
            return List.copyOf(traces);
        }
    }

    long failures(String kind) {
        LongAdder a = failures.get(kind);
        return a == null ? 0 : a.sum();
    }

    long failures() {
        return failures.values().stream().mapToLong(LongAdder::sum).sum();
    }

    Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    Map<String, Long> failureCounts() {
        Map<String, Long> out = new TreeMap<>();
        failures.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    List<String> firstFailures() {
        synchronized (first) {
            return List.copyOf(first);
        }
    }
}
