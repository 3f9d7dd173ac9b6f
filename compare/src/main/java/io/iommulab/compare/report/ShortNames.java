package io.iommulab.compare.report;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.lib.dt.NodeNames;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names pictures and table cells show for DT paths where the full path does not fit:
 * {@link NodeNames#shortest} over every node of the board and every path the runs name, so that a
 * short name is unique over the whole tree. On a single-die board that is the last component
 * ({@code usb@382280000}); on a two-die board both dies' dwc3 keep their bus
 * ({@code soc@200000000/usb@702280000}, {@code soc@2200000000/usb@702280000}).
 */
final class ShortNames {
    private final Map<String, String> names;

    private ShortNames(Map<String, String> names) {
        this.names = names;
    }

    /** Names unique over the comparison's board and everything its runs name. */
    static ShortNames of(Comparison c) {
        Set<String> paths = new LinkedHashSet<>(c.nodes());
        c.backends().forEach(r -> addPaths(r, paths));
        return new ShortNames(NodeNames.shortest(paths));
    }

    /** Names unique over what one run names (a picture drawn without its comparison). */
    static ShortNames of(BackendRun run) {
        Set<String> paths = new LinkedHashSet<>();
        addPaths(run, paths);
        return new ShortNames(NodeNames.shortest(paths));
    }

    private static void addPaths(BackendRun r, Set<String> paths) {
        for (IommuNodeDTO n : r.iommus()) {
            add(paths, n.node());
        }
        for (DeviceDTO d : r.devices()) {
            add(paths, d.node());
            for (StreamRefDTO s : d.iommus() == null ? List.<StreamRefDTO>of() : d.iommus()) {
                add(paths, s.iommu());
            }
        }
        r.patterns().forEach(p -> p.devices().forEach(d -> add(paths, d)));
        r.faults().forEach(f -> {
            add(paths, f.device());
            add(paths, f.iommu());
        });
    }

    private static void add(Set<String> paths, String p) {
        if (p != null) {
            paths.add(p);
        }
    }

    /** @return the short name of {@code path}; "?" for none */
    String of(String path) {
        return path == null ? "?" : names.getOrDefault(path, path);
    }
}
