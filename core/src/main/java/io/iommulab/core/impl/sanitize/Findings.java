package io.iommulab.core.impl.sanitize;

import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.core.impl.TraceRing;
import io.iommulab.klib.RateLimit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the DMA sanitizer's findings go: a bounded history (the oldest go first, counted), counts
 * by kind, one log line each (rate-limited as dev_err_ratelimited: 10 per 5 s, then "N callbacks
 * suppressed") and a trace event.
 */
public final class Findings {

    private static final Logger LOG = LoggerFactory.getLogger(Sanitizer.class);

    private final int capacity;
    private final ArrayDeque<SanitizerFindingDTO> history;
    private long dropped;
    private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final RateLimit ratelimit = new RateLimit(System::nanoTime);
    private final TraceRing trace;

    Findings(int capacity, TraceRing trace) {
        this.capacity = capacity;
        this.history = new ArrayDeque<>(Math.min(capacity, 64));
        this.trace = trace;
    }

    /**
     * Records a finding (its {@code seq} is given here).
     *
     * @param warn log it as a warning (a suspicious map) rather than an error (a bad transaction)
     */
    void add(SanitizerFindingDTO f, boolean warn) {
        SanitizerFindingDTO n = new SanitizerFindingDTO(seq.incrementAndGet(), f.kind(), f.iommu(), f.stream(),
                f.device(), f.access(), f.iova(), f.cached(), f.current(), f.due(), f.timeNs(), f.domain(), f.detail());
        byKind.computeIfAbsent(n.kind(), k -> new LongAdder()).increment();
        synchronized (this) {
            if (history.size() == capacity) {
                history.removeFirst();
                dropped++;
            }
            history.addLast(n);
        }
        String line = n.line();
        trace.dmaSanitizer(n.kind(), n.iova(), line);
        if (ratelimit.ratelimit(missed -> LOG.error("DMA sanitizer: {} callbacks suppressed", missed))) {
            if (warn) {
                LOG.warn("DMA sanitizer: {}", line);
            } else {
                LOG.error("DMA sanitizer: {}", line);
            }
        }
    }

    synchronized List<SanitizerFindingDTO> history() {
        return new ArrayList<>(history);
    }

    synchronized long dropped() {
        return dropped;
    }

    Map<String, Long> byKind() {
        Map<String, Long> out = new TreeMap<>();
        byKind.forEach((k, v) -> {
            long n = v.sum();
            if (n > 0) {
                out.put(k, n);
            }
        });
        return out;
    }

    synchronized void clear() {
        history.clear();
        dropped = 0;
        byKind.values().forEach(LongAdder::reset);
    }
}
