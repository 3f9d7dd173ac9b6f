package io.iommulab.launcher;

import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * What {@code --sanitize} prints at exit, and whether the exit status reports findings: the booted
 * machine's DMA sanitizer as {@code iommu:sanitize} shows it (its summary and every finding it
 * keeps), one line per backend of each comparison run in the session (its labs have sanitizers of
 * their own; the comparison's report has their findings in full), and a last line with the totals.
 * The states are the core's DTOs, read by record component name: their classes live in the
 * framework, not on the launcher's class path.
 *
 * @param text     the lines to print, each ending in '\n'
 * @param findings every finding counted, of the booted machine and of every comparison's backends
 */
record Sanitized(String text, long findings) {

    /** The session variable the comparison leaves its sanitizer states in (CompareCommands.SANITIZER_VARIABLE). */
    static final String COMPARE_VARIABLE = "iommulab_compare_sanitizer";

    /** Reads the sanitizer states of {@code session} (runs {@code iommu:sanitize}). */
    static Sanitized of(GogoSession session) throws Exception {
        Object machine = session.execute("iommu:sanitize");
        StringBuilder text = new StringBuilder(session.format(machine).stripTrailing()).append('\n');
        Totals totals = new Totals();
        totals.add(machine);
        if (session.get(COMPARE_VARIABLE) instanceof List<?> comparisons) {
            for (Object c : comparisons) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) c).entrySet()) {
                    text.append("compare ").append(e.getKey()).append(": ");
                    if (e.getValue() == null) {
                        text.append("DMA sanitizer not run (turned off by the workload's config)\n");
                    } else {
                        text.append(session.format(e.getValue(), GogoSession.PART).strip()).append('\n');
                        totals.add(e.getValue());
                    }
                }
            }
        }
        text.append(totals.line(Boolean.TRUE.equals(Records.component(machine, "enabled")))).append('\n');
        return new Sanitized(text.toString(), totals.findings);
    }

    /** The sums over several SanitizerDTOs. */
    private static final class Totals {
        final Map<String, Long> byKind = new TreeMap<>();
        long findings;
        long transactions;
        long stale;

        void add(Object state) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) Records.component(state, "findings")).entrySet()) {
                long n = ((Number) e.getValue()).longValue();
                byKind.merge(String.valueOf(e.getKey()), n, Long::sum);
                findings += n;
            }
            transactions += ((Number) Records.component(state, "transactions")).longValue();
            stale += ((Number) Records.component(state, "staleReports")).longValue();
        }

        /** e.g. {@code sanitizer: 1 finding (stale-translation 1), 4096 transactions checked, 1 stale IOTLB hit} */
        String line(boolean on) {
            StringBuilder sb = new StringBuilder("sanitizer: ").append(findings)
                    .append(findings == 1 ? " finding" : " findings");
            if (!byKind.isEmpty()) {
                StringJoiner kinds = new StringJoiner(", ", " (", ")");
                byKind.forEach((k, n) -> kinds.add(k + " " + n));
                sb.append(kinds);
            }
            sb.append(", ").append(transactions).append(" transactions checked, ").append(stale)
                    .append(stale == 1 ? " stale IOTLB hit" : " stale IOTLB hits");
            if (!on) {
                sb.append(" (the booted machine's sanitizer was turned off)");
            }
            return sb.toString();
        }
    }
}
