package io.iommulab.campaign.run;

import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.campaign.gen.OpGenerator;
import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.op.OpCodec;
import io.iommulab.campaign.op.ReplayFile;
import io.iommulab.campaign.report.BackendResult;
import io.iommulab.campaign.shrink.Shrinker;
import io.iommulab.campaign.shrink.Slicer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend's campaign on one board: a fresh lab, its calibration, the operations from the seed
 * one by one (none kept: a run of ten million holds no list of them), the check at the end; on a
 * mismatch, the shrunk operations that replay it, written to a file.
 */
public final class BackendCampaign {
    private static final Logger LOG = LoggerFactory.getLogger(BackendCampaign.class);
    /** progress lines: a logger of their own, which the launcher shows on a terminal and keeps quiet in a pipe */
    private static final Logger PROGRESS = LoggerFactory.getLogger("io.iommulab.progress.campaign");
    /** the longest tail of a run a shrink starts from (regenerated from the seed) */
    static final int WINDOW = 100_000;
    /** the tails tried, shortest first, until one replays the mismatch */
    static final int[] TAILS = {64, 512, 4096, 32_768, WINDOW};

    /** How a campaign runs. */
    public record Settings(long ops, long seed, OpGenerator.Options mix, Path replayDir, int shrinkReplays,
            long progressEvery) {
    }

    private final LabSource labs;
    private final LiveUpdates updater;

    /** @param updater live updates, null outside the container */
    public BackendCampaign(LabSource labs, LiveUpdates updater) {
        this.labs = labs;
        this.updater = updater;
    }

    /** The outcome of running a list of operations (or a generated run) on one fresh lab. */
    private record Outcome(Mismatch mismatch, Counters counters, long ops, long runNs, long setupNs, Facts facts,
            long sanitizerTransactions, long pagesBaseline, long pagesAfterFree, long pagesAfterClose) {
    }

    public BackendResult run(Settings s) {
        try {
            labs.facts(updater);
        } catch (IommuException e) {
            return calibrationFailed(s.seed(), e);
        }
        Outcome o = execute(s.seed(), null, s);
        String replay = null;
        int replayOps = 0;
        int replays = 0;
        List<String> shrunk = List.of();
        if (o.mismatch != null && o.mismatch.index() >= 0) {
            LOG.warn("campaign: {} on {}: mismatch at {}; shrinking", labs.backend(), labs.board().source(),
                    o.mismatch.text());
            Shrunk sh = shrink(s, o.facts, o.mismatch);
            replays = sh.replays;
            if (sh.ops != null) {
                replayOps = sh.ops.size();
                shrunk = sh.ops.stream().map(OpCodec::format).toList();
                replay = write(s, o.mismatch, sh.ops);
            }
        }
        return result(s.seed(), o, replay, replayOps, replays, shrunk);
    }

    /** The lab's calibration refused what the backend does (a read-only map that is writable): a mismatch before the first operation. */
    private BackendResult calibrationFailed(long seed, IommuException e) {
        Mismatch m = new Mismatch(-1, "calibration", "calibration", e.getMessage());
        LOG.warn("campaign: {} on {}: {}", labs.backend(), labs.board().source(), m.text());
        return result(seed, new Outcome(m, new Counters(), 0, 0, 0, null, 0, 0, -1, 0), null, 0, 0, List.of());
    }

    /** Runs a replay file's operations on a fresh lab. */
    public BackendResult replay(ReplayFile file, Settings s) {
        try {
            labs.facts(updater);
        } catch (IommuException e) {
            return calibrationFailed(file.seed(), e);
        }
        Outcome o = execute(file.seed(), file.ops(), s);
        return result(file.seed(), o, null, 0, 0, List.of());
    }

    private BackendResult result(long seed, Outcome o, String replay, int replayOps, int replays, List<String> shrunk) {
        Counters c = o.counters;
        Mismatch m = o.mismatch;
        return new BackendResult(labs.board().source(), labs.backend(), seed, o.facts == null ? Map.of() : o.facts.variants(),
                c.total(), c.skipped(), o.runNs == 0 ? 0 : c.total() * 1e9 / o.runNs, o.runNs / 1_000_000,
                o.setupNs / 1_000_000, c.ops(), c.errors(), c.faults(), c.faultsReported(), c.exposures(), c.dmaBytes(),
                c.points(), c.walks(), c.liveUpdates(), o.sanitizerTransactions, o.pagesBaseline, o.pagesAfterFree,
                o.pagesAfterClose,
                m == null ? null : new BackendResult.MismatchReport(m.index(), m.op(), m.check(), m.detail(), shrunk),
                replay, replayOps, replays);
    }

    /**
     * Opens a fresh lab and runs either {@code list} or, when it is null, {@code s.ops()} generated
     * operations; then the end check, the lab closed, and every page back.
     */
    private Outcome execute(long seed, List<Op> list, Settings s) {
        Facts facts = labs.facts(updater);
        long t0 = System.nanoTime();
        LabSource.Opened opened = labs.open();
        Lab lab = opened.lab();
        Executor exec;
        try {
            exec = new Executor(lab, facts, updater, seed);
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        long pagesBaseline = sum(exec.baselinePages());
        long t1 = System.nanoTime();
        Mismatch m = null;
        long n = 0;
        long sanitized;
        long afterFree = -1;
        long tLoop = 0;
        try {
            if (list != null) {
                for (Op op : list) {
                    m = exec.run(n++, op);
                    if (m != null) {
                        break;
                    }
                }
            } else {
                OpGenerator gen = new OpGenerator(facts, seed, s.mix());
                long total = s.ops();
                boolean progress = s.progressEvery() > 0 && total >= s.progressEvery();
                for (; n < total; n++) {
                    m = exec.run(n, gen.next());
                    if (m != null) {
                        break;
                    }
                    if (progress && (n + 1) % s.progressEvery() == 0) {
                        double secs = (System.nanoTime() - t1) / 1e9;
                        PROGRESS.info("campaign: {} on {}: {} of {} ops, {} ops/s, 0 mismatches", labs.backend(),
                                labs.board().source(), n + 1, total, String.format("%.0f", (n + 1) / secs));
                    }
                }
            }
            tLoop = System.nanoTime();
            if (m == null) {
                m = exec.finish(n);
                afterFree = lab.machine().pages().pagesInUse();
            }
        } catch (RuntimeException e) {
            m = new Mismatch(n, "finish", "crash", e.getClass().getName() + ": " + e.getMessage());
        } finally {
            sanitized = lab.iommu().sanitizer().transactions();
            lab.close();
        }
        long t2 = tLoop != 0 ? tLoop : System.nanoTime();
        long afterClose = lab.machine().pages().pagesInUse();
        if (m == null && afterClose != opened.pagesBefore()) {
            m = new Mismatch(n, "close", "leak", String.format("%d page(s) still allocated after the lab closed (%d before it"
                    + " opened): %s", afterClose, opened.pagesBefore(), lab.machine().pages().pagesByOwner()));
        }
        return new Outcome(m, exec.counters(), n, t2 - t1, t1 - t0 + labs.calibrationNs(), facts, sanitized, pagesBaseline, afterFree, afterClose);
    }

    private static long sum(Map<String, Long> byOwner) {
        long n = 0;
        for (long v : byOwner.values()) {
            n += v;
        }
        return n;
    }

    /** The shrunk operations, or null when no tail of the run replays the mismatch. */
    private record Shrunk(List<Op> ops, int replays) {
    }

    /**
     * Regenerates the run from its seed up to the failing operation (keeping only the last
     * {@link #WINDOW}), finds the shortest tail that replays the mismatch on a fresh lab, and
     * shrinks it with ddmin.
     */
    private Shrunk shrink(Settings s, Facts facts, Mismatch target) {
        OpGenerator gen = new OpGenerator(facts, s.seed(), s.mix());
        Deque<Op> tail = new ArrayDeque<>();
        for (long i = 0; i <= target.index(); i++) {
            tail.addLast(gen.next());
            if (tail.size() > WINDOW) {
                tail.removeFirst();
            }
        }
        List<Op> all = new ArrayList<>(tail);
        Shrinker shrinker = new Shrinker(ops -> execute(s.seed(), ops, s).mismatch, s.shrinkReplays());
        List<Op> failing = null;
        for (int t : TAILS) {
            List<Op> cand = all.subList(Math.max(0, all.size() - t), all.size());
            if (shrinker.fails(cand, target)) {
                failing = List.copyOf(cand);
                break;
            }
            if (cand.size() == all.size()) {
                break;
            }
        }
        if (failing == null) {
            LOG.warn("campaign: {} on {}: no tail of up to {} operations replays the mismatch; replay the whole run with"
                    + " the seed {}", labs.backend(), labs.board().source(), all.size(), s.seed());
            return new Shrunk(null, shrinker.replays());
        }
        List<Op> slice = Slicer.slice(failing, dev -> {
            Facts.Master m = facts.master(dev);
            return m == null ? -1 : m.group();
        });
        if (slice.size() < failing.size() && shrinker.fails(slice, target)) {
            failing = slice;
        }
        List<Op> small = shrinker.shrink(failing, target);
        PROGRESS.info("campaign: {} on {}: shrunk to {} operation(s) in {} replays", labs.backend(), labs.board().source(),
                small.size(), shrinker.replays());
        return new Shrunk(small, shrinker.replays());
    }

    private String write(Settings s, Mismatch m, List<Op> ops) {
        String name = "campaign-" + s.seed() + "-" + labs.backend() + "-" + fileSafe(labs.board().source()) + ".replay";
        Path file = (s.replayDir() == null ? Path.of(".") : s.replayDir()).resolve(name);
        List<String> notes = List.of("mismatch: " + m.text(), "seed " + s.seed() + ", found at operation " + m.index()
                + ", shrunk to " + ops.size() + " operation(s)");
        try {
            new ReplayFile(labs.board().source(), labs.backend(), s.seed(), notes, ops).write(file);
            return file.toString();
        } catch (IOException e) {
            LOG.error("campaign: cannot write the replay file {}: {}", file, e.getMessage());
            return null;
        }
    }

    private static String fileSafe(String source) {
        String base = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
        return base.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
