package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Checks of the takeovers that cannot use a record (docs/live-update.md, "Fallback"): the previous
 * release's driver cannot take a running IOMMU over (the core releases the state and probes again,
 * with a warning saying why); the code after it reads the running state from the hardware.
 */
final class Takeovers {

    /** the core's warning when the new code cannot take over (LiveUpdate's fallback) */
    static final String FALLBACK_WARNING = "could not take over the running state (EOPNOTSUPP";

    private Takeovers() {
    }

    /**
     * Updates {@code bundles} to the previous release's {@code jars} (refreshed together) and checks
     * that every live update of it fell back: not adopted, EOPNOTSUPP (the release's driver has no
     * restore), a WARN saying so; then that the release probed every instance again.
     *
     * @param instances  the IOMMU nodes the bundles drive
     * @param allProbed  true once every IOMMU and master is probed again
     * @return the code the release runs ("io.iommulab.dart 0.1.0"), as origins name it
     */
    static String downgradeFallsBack(BundleContext ctx, IommuService iommu, List<Bundle> bundles, List<File> jars, File log,
            Supplier<List<IommuNodeDTO>> instances, BooleanSupplier allProbed) throws Exception {
        int logged = Container.logLines(log).size();
        long since = UpdateLoop.lastUpdateAt(iommu);
        Container.updateTogether(ctx, bundles, jars);
        String release = bundles.get(0).getSymbolicName() + " " + bundles.get(0).getVersion();
        Container.await(() -> "the release " + release + " to probe every IOMMU: " + iommu.iommus(),
                () -> allProbed.getAsBoolean() && instances.get().stream().allMatch(n -> runs(n.origin(), release)));
        List<LiveUpdateDTO> down = UpdateLoop.since(iommu, since);
        if (down.isEmpty()) {
            throw new AssertionError("no live update was tried for " + release);
        }
        for (LiveUpdateDTO u : down) {
            if (u.adopted() || u.reason() == null || !u.reason().startsWith("EOPNOTSUPP")) {
                throw new AssertionError("the release cannot take over (EOPNOTSUPP): " + u);
            }
        }
        if (linesSince(log, logged, "WARN", FALLBACK_WARNING).isEmpty()) {
            throw new AssertionError("no WARN '" + FALLBACK_WARNING + "' says why the release probed again");
        }
        return release;
    }

    /**
     * @return the IOMMUs that {@code updates} adopted from {@code code} (an origin such as
     *         "io.iommulab.dart 0.1.0"), each of them read from the hardware by the new code: none
     *         from a record (there was none, or one the new code does not know)
     */
    static Set<String> adoptedFromHardware(List<LiveUpdateDTO> updates, String code) {
        Set<String> out = new TreeSet<>();
        for (LiveUpdateDTO u : updates) {
            if (!runs(u.from(), code)) {
                continue;
            }
            if (!u.adopted() || u.fromRecord() != 0 || u.fromHardware() != u.iommus().size()) {
                throw new AssertionError("adopted, every IOMMU from the hardware: " + u);
            }
            out.addAll(u.iommus());
        }
        return out;
    }

    /** Every one of {@code nodes} has a line in {@code log}, after its first {@code from} lines, that contains every one of {@code parts}. */
    static void assertLogged(File log, int from, Collection<String> nodes, String... parts) throws IOException {
        List<String> lines = linesSince(log, from, parts);
        for (String node : nodes) {
            if (lines.stream().noneMatch(l -> l.contains(node))) {
                throw new AssertionError(node + ": no line with " + List.of(parts) + " in what was logged since: "
                        + String.join("\n", linesSince(log, from)));
            }
        }
    }

    /** @return the lines of {@code log} after its first {@code from} that contain every one of {@code parts} */
    static List<String> linesSince(File log, int from, String... parts) throws IOException {
        List<String> all = Container.logLines(log);
        List<String> out = new ArrayList<>();
        for (String l : all.subList(Math.min(from, all.size()), all.size())) {
            if (Arrays.stream(parts).allMatch(l::contains)) {
                out.add(l);
            }
        }
        return out;
    }

    /** @return whether an origin ("io.iommulab.dart 0.1.0", "io.iommulab.dart 0.2.0 + variant …") is the bundle version {@code code} */
    static boolean runs(String origin, String code) {
        return origin != null && (origin.equals(code) || origin.startsWith(code + " "));
    }
}
