package io.iommulab.itest;

import io.iommulab.api.dto.StreamRefDTO;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a DART board must look like once probed, from a source independent of the machine and the
 * core: a board's {@code .darts.txt} inventory ({@link DartInventory}) or the check's own reading
 * of its device tree ({@link DeviceTreeTopology}).
 *
 * @param source where it was read from, for messages
 * @param darts  every DART node, enabled or not
 * @param masters every master of a DART: platform devices with {@code iommus} and PCI functions
 *                that a host bridge's {@code iommu-map} sends to a DART, enabled or not
 */
record ExpectedTopology(String source, List<Dart> darts, List<Master> masters) {

    /**
     * @param path       DT path
     * @param compatible its compatible strings
     * @param matchedOn  the compatible Linux binds it by, null if no driver variant lists one
     * @param enabled    its status (and its ancestors') is okay
     */
    record Dart(String path, List<String> compatible, String matchedOn, boolean enabled) {
        /** @return the driver variant it must probe as, null when none is known */
        String variant() {
            return DartVariantNames.variant(matchedOn);
        }
    }

    /**
     * @param path    DT path
     * @param rid     PCI requester ID, -1 for a platform device
     * @param streams its (DART, stream) pairs in DT order
     * @param enabled its status (and its ancestors') is okay
     */
    record Master(String path, int rid, List<StreamRefDTO> streams, boolean enabled) {
    }

    ExpectedTopology {
        darts = List.copyOf(darts);
        masters = List.copyOf(masters);
    }

    /** @return the DARTs by path, sorted (the sources list them in different orders) */
    Map<String, Dart> dartsByPath() {
        return byPath(darts, Dart::path);
    }

    /** @return the masters by path, sorted */
    Map<String, Master> mastersByPath() {
        return byPath(masters, Master::path);
    }

    /** @return true if the DART at {@code path} is enabled */
    boolean dartEnabled(String path) {
        Dart d = dartsByPath().get(path);
        return d != null && d.enabled();
    }

    /** @return enabled masters whose DARTs are all enabled: these must probe with a group and a domain */
    List<Master> translated() {
        return masters.stream().filter(m -> m.enabled() && m.streams().stream().allMatch(s -> dartEnabled(s.iommu())))
                .toList();
    }

    /** @return enabled masters with a disabled DART: of_iommu gives ENODEV, they get no group */
    List<Master> untranslated() {
        return masters.stream().filter(m -> m.enabled() && !m.streams().stream().allMatch(s -> dartEnabled(s.iommu())))
                .toList();
    }

    private static <T> Map<String, T> byPath(List<T> items, Function<T, String> path) {
        return items.stream().collect(Collectors.toMap(path, Function.identity(), (a, b) -> {
            throw new IllegalStateException("two entries for " + path.apply(a));
        }, TreeMap::new));
    }
}
