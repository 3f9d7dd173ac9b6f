package io.iommulab.campaign.run;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** What one backend's run did, counted as it goes. */
public final class Counters {
    /** operations run, by name */
    final Map<String, Long> ops = new LinkedHashMap<>();
    /** operations skipped: what they name is not there (an empty slot, a master of another board, ...) */
    long skipped;
    /** expected errors that happened, by errno name */
    final Map<String, Long> errors = new TreeMap<>();
    /** DMA transactions that faulted, as the oracle said they would */
    long faults;
    /** of those, faults on a paging domain the driver reported to the domain's fault handler */
    long faultsReported;
    /** of those, faults the IOMMU reported without naming the master's stream (so to no domain) */
    long faultsUnattributed;
    /** DMA transactions on IOVAs a flush queue still had pending (either outcome is right) */
    long exposures;
    /** bytes moved by DMA and checked */
    long dmaBytes;
    /** addresses checked through iova_to_phys and the hardware model's walk */
    long points;
    long walks;
    /** live updates run under the lab, and their takeovers checked */
    long liveUpdates;

    void op(String name) {
        ops.merge(name, 1L, Long::sum);
    }

    void error(String errno) {
        errors.merge(errno, 1L, Long::sum);
    }

    public long total() {
        long n = 0;
        for (long v : ops.values()) {
            n += v;
        }
        return n;
    }

    public Map<String, Long> ops() {
        return Map.copyOf(ops);
    }

    public long skipped() {
        return skipped;
    }

    public Map<String, Long> errors() {
        return new TreeMap<>(errors);
    }

    public long faults() {
        return faults;
    }

    public long faultsReported() {
        return faultsReported;
    }

    public long faultsUnattributed() {
        return faultsUnattributed;
    }

    public long exposures() {
        return exposures;
    }

    public long dmaBytes() {
        return dmaBytes;
    }

    public long points() {
        return points;
    }

    public long walks() {
        return walks;
    }

    public long liveUpdates() {
        return liveUpdates;
    }
}
