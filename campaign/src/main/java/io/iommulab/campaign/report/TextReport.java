package io.iommulab.campaign.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** A campaign's report for the terminal: a table of the runs, then each run's details and mismatch. */
public final class TextReport {

    private TextReport() {
    }

    public static String render(CampaignReport r) {
        StringBuilder b = new StringBuilder();
        if (r.replayOf() != null) {
            b.append("replay of ").append(r.replayOf()).append(", seed ").append(r.seed()).append(": ");
        } else {
            b.append("campaign seed ").append(r.seed()).append(": ").append(r.opsPerRun()).append(" operations per backend and board: ");
        }
        b.append(r.mismatches()).append(r.mismatches() == 1 ? " mismatch" : " mismatches").append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"BOARD", "BACKEND", "OPS", "SKIPPED", "OPS/S", "WALL", "MISMATCHES", "FAULTS", "PAGES"});
        for (BackendResult x : r.runs()) {
            rows.add(new String[] {x.board(), x.backend(), Long.toString(x.ops()), Long.toString(x.skipped()),
                String.format("%.0f", x.opsPerSecond()), String.format("%.1f s", x.runMs() / 1000.0),
                Integer.toString(x.mismatches()), Long.toString(x.faults()),
                x.pagesBaseline() + "/" + (x.pagesAfterFree() < 0 ? "-" : Long.toString(x.pagesAfterFree())) + "/"
                        + x.pagesAfterClose()});
        }
        table(b, rows);
        b.append("(PAGES: page-table pages when the operations began / once every campaign domain was freed / once the lab closed)\n");
        for (BackendResult x : r.runs()) {
            b.append('\n').append(x.backend()).append(" on ").append(x.board()).append(":\n");
            StringJoiner iommus = new StringJoiner(", ");
            Map<String, Integer> byVariant = new TreeMap<>();
            x.variants().values().forEach(v -> byVariant.merge(v, 1, Integer::sum));
            byVariant.forEach((v, n) -> iommus.add(n + " " + v));
            b.append("  IOMMUs: ").append(iommus).append('\n');
            b.append("  operations: ").append(counts(x.opsByKind())).append('\n');
            b.append("  expected errors: ").append(x.errors().isEmpty() ? "none" : counts(x.errors())).append('\n');
            b.append(String.format("  DMA: %d bytes moved and checked, %d faults where the oracle said (%d reported to the"
                    + " domain, the rest on identity or blocked domains or unnamed streams), %d on IOVAs a flush queue held%n",
                    x.dmaBytes(), x.faults(), x.faultsReported(), x.exposures()));
            b.append(String.format("  checked: %d addresses by iova_to_phys, %d hardware walks, %d transactions by the DMA"
                    + " sanitizer; %d live updates; setup %.1f s%n", x.points(), x.walks(), x.sanitizerTransactions(),
                    x.liveUpdates(), x.setupMs() / 1000.0));
            BackendResult.MismatchReport m = x.mismatch();
            if (m != null) {
                b.append("  MISMATCH at operation ").append(m.index()).append(": ").append(m.op()).append('\n');
                b.append("    ").append(m.check()).append(": ").append(m.detail()).append('\n');
                if (x.replay() != null) {
                    b.append("    shrunk to ").append(x.replayOps()).append(" operation(s) in ").append(x.shrinkReplays())
                            .append(" replays, written to ").append(x.replay()).append(" (iommu:campaign --replay ")
                            .append(x.replay()).append("):\n");
                    m.shrunk().forEach(op -> b.append("      ").append(op).append('\n'));
                } else if (m.index() >= 0 && r.replayOf() == null) {
                    b.append("    no replay file: replay the run with --seed ").append(x.seed()).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static String counts(Map<String, Long> m) {
        StringJoiner j = new StringJoiner(", ");
        new TreeMap<>(m).forEach((k, v) -> j.add(k + " " + v));
        return j.toString();
    }

    private static void table(StringBuilder b, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + w[i] + "s", row[i]));
                if (i < row.length - 1) {
                    line.append("  ");
                }
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
