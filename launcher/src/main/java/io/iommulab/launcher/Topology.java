package io.iommulab.launcher;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The few lines printed after the boot: board, IOMMU nodes and DMA masters by probe state, groups
 * and domains. Gathered through the shell ({@code machine:status}, {@code iommu:*}), whose results
 * are read by record component name.
 */
final class Topology {

    private Topology() {
    }

    static String summary(GogoSession session, String board) {
        StringBuilder sb = new StringBuilder();
        String nl = System.lineSeparator();
        try {
            Object status = session.execute("machine:status");
            sb.append(String.format("board %s: %s, %d MiB RAM%n", board, Records.component(status, "model"),
                    ((Number) Records.component(status, "ramMiB")).longValue()));
        } catch (Exception e) {
            sb.append(String.format("board %s: (machine:status: %s)%n", board, Main.message(e)));
        }
        try {
            sb.append("IOMMU nodes: ").append(byState(session.execute("iommu:iommus"))).append(nl);
            sb.append("DMA masters: ").append(byState(session.execute("iommu:devices"))).append(nl);
            sb.append("groups: ").append(count(session.execute("iommu:groups")))
                    .append(", domains: ").append(count(session.execute("iommu:domains"))).append(nl);
        } catch (Exception e) {
            sb.append("IOMMU core state unavailable: ").append(Main.message(e)).append(nl);
        }
        return sb.toString();
    }

    /** @return e.g. {@code 5 (probed 3, deferred 2)} for a list of records with a {@code state} */
    static String byState(Object rows) {
        Map<String, Integer> states = new TreeMap<>();
        int n = 0;
        for (Object row : rows(rows)) {
            states.merge(String.valueOf(Records.component(row, "state")), 1, Integer::sum);
            n++;
        }
        if (n == 0) {
            return "0";
        }
        StringBuilder sb = new StringBuilder().append(n).append(" (");
        boolean first = true;
        for (Map.Entry<String, Integer> e : states.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(e.getKey()).append(' ').append(e.getValue());
        }
        return sb.append(')').toString();
    }

    private static int count(Object rows) {
        return rows(rows).size();
    }

    private static Collection<?> rows(Object rows) {
        if (rows instanceof Collection<?> c) {
            return c;
        }
        throw new IllegalArgumentException("expected a list, found " + (rows == null ? "null" : rows.getClass().getName()));
    }
}
