package io.iommulab.compare.workload;

import java.util.List;
import java.util.Map;

/**
 * A comparison workload, as read from a workload file ({@link WorkloadParser} documents the format).
 *
 * @param name     what the reports call it
 * @param source   the file it came from (or {@code builtin:default})
 * @param devices  masters to run on: empty = every master that probed with a domain
 * @param config   core settings for the labs (framework property names, e.g. {@code iommulab.iommu.strict})
 * @param patterns DMA-API patterns, in order
 * @param faults   faults to inject after the patterns
 * @param burst    bytes per device transaction: each DMA transfer is split into transactions of this
 *                 size (PCIe's max payload, a DMA engine's burst), each translated by the IOMMU
 */
public record Workload(String name, String source, List<String> devices, Map<String, String> config,
        List<Pattern> patterns, List<Fault> faults, int burst) {
    public Workload {
        devices = List.copyOf(devices);
        config = Map.copyOf(config);
        patterns = List.copyOf(patterns);
        faults = List.copyOf(faults);
    }

    /** Which way the data goes, as enum dma_data_direction. */
    public enum Direction { TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL }

    /**
     * One pattern: {@code count} ops on every device in turn.
     *
     * @param name  its name in the reports
     * @param kind  {@code stream}: one buffer of {@code sizes[0]} per op (dma_map_single);
     *              {@code sg}: one scatter-gather list of {@code sizes} per op (dma_map_sg);
     *              {@code random}: one buffer per op of a size drawn from [{@code sizes[0]}, {@code sizes[1]}]
     * @param sizes buffer sizes in bytes (see kind)
     * @param count ops per device
     * @param dir   direction
     * @param seed  random seed (kind random)
     */
    public record Pattern(String name, String kind, long[] sizes, int count, Direction dir, long seed) {
        public Pattern {
            sizes = sizes.clone();
        }

        @Override
        public long[] sizes() {
            return sizes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pattern p && name.equals(p.name) && kind.equals(p.kind) && java.util.Arrays.equals(sizes, p.sizes)
                    && count == p.count && dir == p.dir && seed == p.seed;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, kind, count, dir, seed) * 31 + java.util.Arrays.hashCode(sizes);
        }

        @Override
        public String toString() {
            return "Pattern[" + name + " " + kind + " " + java.util.Arrays.toString(sizes) + " x" + count + " " + dir + "]";
        }
    }

    /**
     * A fault to inject: one transaction at an IOVA nothing maps.
     *
     * @param device the master ("" = the first device of the run)
     * @param iova   the address; -1 = "near": 64 KiB below a page the DMA API maps for the fault, so
 *               that the tables down to the leaf exist and the leaf entry is what is missing
     * @param write  a write transaction (else a read)
     */
    public record Fault(String device, long iova, boolean write) {
    }
}
