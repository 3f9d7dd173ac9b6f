package io.iommulab.bench;

import java.util.Arrays;

/** Durations in ns, summarised as p50 / p99 / max / mean (nearest-rank percentiles: p99 of 100 samples is the 99th smallest). */
final class Samples {
    private long[] values = new long[16];
    private int n;

    void add(long ns) {
        if (n == values.length) {
            values = Arrays.copyOf(values, n * 2);
        }
        values[n++] = ns;
    }

    int count() {
        return n;
    }

    long percentile(double p) {
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * n);
        return sorted[Math.max(0, Math.min(n, rank) - 1)];
    }

    long max() {
        return percentile(100);
    }

    double mean() {
        if (n == 0) {
            return 0;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += values[i];
        }
        return s / n;
    }

    /** @return "p50 / p99 / max / mean" in µs with {@code decimals} digits */
    String micros() {
        return String.format("%8.1f %8.1f %8.1f %8.1f", percentile(50) / 1e3, percentile(99) / 1e3, max() / 1e3, mean() / 1e3);
    }
}
