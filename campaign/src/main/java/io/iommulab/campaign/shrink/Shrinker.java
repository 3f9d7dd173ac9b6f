package io.iommulab.campaign.shrink;

import io.iommulab.campaign.op.Op;
import io.iommulab.campaign.run.Mismatch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Delta debugging (Zeller's ddmin) over a list of operations that makes a mismatch: chunks of the
 * list, then their complements, are replayed on fresh labs, and whatever still makes the same
 * mismatch (the same check on the same kind of operation, {@link Mismatch#sameAs}) becomes the
 * list, until no single chunk can go or the replays allowed are spent. The result still fails,
 * whenever it stops.
 */
public final class Shrinker {

    private final Function<List<Op>, Mismatch> replay;
    private final int budget;
    private int replays;

    /**
     * @param replay runs a list on a fresh lab and returns its first mismatch (null: none)
     * @param budget replays allowed
     */
    public Shrinker(Function<List<Op>, Mismatch> replay, int budget) {
        this.replay = replay;
        this.budget = budget;
    }

    /** @return replays made so far */
    public int replays() {
        return replays;
    }

    /** @return true if {@code ops} fails as {@code target} does (counts a replay) */
    public boolean fails(List<Op> ops, Mismatch target) {
        replays++;
        return target.sameAs(replay.apply(ops));
    }

    /**
     * @param failing a list that fails as {@code target}
     * @return a sublist (order kept) that fails the same way, 1-minimal unless the budget ran out
     */
    public List<Op> shrink(List<Op> failing, Mismatch target) {
        List<Op> cur = failing;
        int n = 2;
        while (cur.size() >= 2 && replays < budget) {
            List<List<Op>> chunks = split(cur, n);
            boolean reduced = false;
            for (List<Op> c : chunks) {
                if (replays >= budget) {
                    return cur;
                }
                if (fails(c, target)) {
                    cur = c;
                    n = 2;
                    reduced = true;
                    break;
                }
            }
            if (!reduced && n > 2) {
                for (int i = 0; i < chunks.size(); i++) {
                    if (replays >= budget) {
                        return cur;
                    }
                    List<Op> rest = complement(chunks, i);
                    if (fails(rest, target)) {
                        cur = rest;
                        n = Math.max(n - 1, 2);
                        reduced = true;
                        break;
                    }
                }
            }
            if (!reduced) {
                if (n >= cur.size()) {
                    break;
                }
                n = Math.min(cur.size(), 2 * n);
            }
        }
        return cur;
    }

    private static List<List<Op>> split(List<Op> ops, int n) {
        List<List<Op>> out = new ArrayList<>(n);
        int size = ops.size();
        int start = 0;
        for (int i = 0; i < n; i++) {
            int end = start + (size - start) / (n - i);
            out.add(List.copyOf(ops.subList(start, end)));
            start = end;
        }
        return out;
    }

    private static List<Op> complement(List<List<Op>> chunks, int skip) {
        List<Op> out = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            if (i != skip) {
                out.addAll(chunks.get(i));
            }
        }
        return List.copyOf(out);
    }
}
