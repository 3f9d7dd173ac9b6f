package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.StreamRefDTO;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What the comparison compares where a shown value is an id, an address or a measurement that is
 * allowed to differ between backends, so that the table's stars and the list of differences agree
 * on what "differs" means:
 * <ul>
 * <li>a group by its members: group numbers are handed out in probe order, which the twins'
 *     different IOMMU nodes change, while the same masters sharing a group is what matters;</li>
 * <li>a fault by its master and access: a fault placed near a live mapping sits at whatever IOVA
 *     each backend's allocator chose (top-down in each aperture);</li>
 * <li>the IOMMU reporting a fault by the master's stream it names: a twin's IOMMU node has another
 *     address, and its stream ids are the board's, not a stream-map (SMR) index;</li>
 * <li>a fault's raw status register by what the driver decoded from it: DART ERROR_STATUS and
 *     SMMU FSR are different layouts;</li>
 * <li>throughput within {@value #THROUGHPUT_TOLERANCE}×: wall time of one short run moves by tens
 *     of percent.</li>
 * </ul>
 */
public final class Meaning {
    /** Ratio of throughputs below which two runs count as equally fast. */
    public static final double THROUGHPUT_TOLERANCE = 1.5;

    private Meaning() {
    }

    /** {@code node}'s master in {@code r}, or null when the run does not list it. */
    static DeviceDTO device(BackendRun r, String node) {
        return r.devices().stream().filter(d -> Objects.equals(d.node(), node)).findFirst().orElse(null);
    }

    /**
     * The other masters in {@code node}'s group, as full paths in name order: what "the same
     * group" means on two backends whatever their group numbers.
     *
     * @return the mates separated by spaces, {@code "alone"}, or {@code "no group"} (no group, or
     *         not a master of the run)
     */
    public static String groupMates(BackendRun r, String node) {
        List<String> mates = mates(r, node);
        return mates == null ? "no group" : mates.isEmpty() ? "alone" : String.join(" ", mates);
    }

    /** The other masters in {@code node}'s group in name order; null when it has no group. */
    static List<String> mates(BackendRun r, String node) {
        DeviceDTO d = device(r, node);
        if (d == null || d.group() == null) {
            return null;
        }
        TreeSet<String> mates = new TreeSet<>();
        for (DeviceDTO other : r.devices()) {
            if (d.group().equals(other.group()) && !Objects.equals(other.node(), node)) {
                mates.add(other.node());
            }
        }
        return List.copyOf(mates);
    }

    /**
     * True when throughputs differ beyond {@value #THROUGHPUT_TOLERANCE}×, or some backend has a
     * figure and another has none (NaN: the pattern is missing or measured nothing).
     */
    public static boolean throughputDiffers(List<Double> perBackend) {
        long measured = perBackend.stream().filter(v -> Fmt.finite(v) && v > 0).count();
        if (measured == 0) {
            return false;
        }
        if (measured < perBackend.size()) {
            return true;
        }
        double min = perBackend.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = perBackend.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return max / min > THROUGHPUT_TOLERANCE;
    }

    /** A fault's transaction as the workload asked for it: master and access, not the IOVA. */
    static String access(FaultResult f) {
        return f.device() + (f.write() ? " write" : " read");
    }

    /**
     * Which of the faulting master's streams the reporting IOMMU named: its place in the master's
     * {@code iommus} list, which every twin of the board keeps, while the IOMMU node standing for the
     * original one has another path and a backend may number its streams otherwise. The IOMMU's
     * path and stream id when the master has no such stream (a report from elsewhere differs).
     */
    static String reporter(BackendRun r, FaultResult f) {
        if (f.iommu() == null) {
            return "none";
        }
        DeviceDTO d = device(r, f.device());
        List<StreamRefDTO> streams = d == null || d.iommus() == null ? List.of() : d.iommus();
        for (int i = 0; i < streams.size(); i++) {
            StreamRefDTO s = streams.get(i);
            if (Objects.equals(s.iommu(), f.iommu()) && s.sid() == f.sid()) {
                return "the master's stream " + i;
            }
        }
        return f.iommu() + " sid " + f.sid();
    }
}
