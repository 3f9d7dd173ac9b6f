package io.iommulab.testkit;

import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * The fail-nth sweep of one {@link FailNthScenario}, as {@code iommufd_fail_nth}'s
 * {@code TEST_FAIL_NTH}: a clean run first (its state is what every successful run must leave, and
 * its undo what every undo must leave), then for n = 1, 2, ... the machine's countdown is armed
 * with n and the scenario run. When the n-th hit failed:
 * <ul>
 *   <li>a run that failed returned an {@link IommuException} with an errno the point allows, and
 *       the state is exactly as before the call (or, for a {@link FailNthScenario.Judgement#RELEASED}
 *       scenario, once undone, as a clean run's undo leaves it; what the scenario says stays with an
 *       object its undo frees is judged then too): nothing leaked, nothing half done;</li>
 *   <li>a run that succeeded anyway (the code logs that failure and goes on, as upstream) left the
 *       state of a clean run, except where the scenario says such a failure degrades it;</li>
 *   <li>either way the scenario then runs again without injection, succeeds and leaves the clean
 *       run's state, and its undo restores the state before.</li>
 * </ul>
 * The sweep ends at the first n that no hit reached: n − 1 points were tried. More than
 * {@value #MAX_POINTS} is a failure (iommufd_fail_nth stops at 400).
 */
public final class FailNthSweep {

    /** no scenario has more points on its path */
    public static final int MAX_POINTS = 5000;
    /** how long a thread the state found new may take to end before it counts as leaked */
    private static final long THREAD_END_MS = 10_000;

    /**
     * What a sweep tried.
     *
     * @param scenario the scenario's name
     * @param points   points tried (n − 1 at the first n no hit reached)
     * @param byPoint  how many of them each point was
     * @param errors   runs that failed with their errno
     * @param degraded runs that went on although their point failed
     */
    public record Result(String scenario, int points, Map<String, Integer> byPoint, int errors, int degraded) {

        /** @return "fail-nth SCENARIO: 17 points tried (page-alloc 9, kzalloc 4, ...): 15 failed with their errno, 2 went on" */
        public String line() {
            StringBuilder sb = new StringBuilder();
            byPoint.forEach((p, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(p).append(' ').append(n));
            return "fail-nth " + scenario + ": " + points + " points tried (" + sb + "): " + errors + " failed with their errno, "
                    + degraded + " went on as upstream does";
        }
    }

    private FailNthSweep() {
    }

    /** @return the errno a failure at {@code point} returns where nothing translates it */
    public static Errno errnoOf(String point) {
        switch (point) {
            case FailNth.BUSY_STUCK:
            case FailNth.SYNC_STUCK:
                return Errno.ETIMEDOUT;
            case FailNth.CB_ALLOC:
                return Errno.ENOSPC;
            default:
                return Errno.ENOMEM;
        }
    }

    /**
     * Sweeps {@code s} with {@code failNth} (the machine's countdown), prints the result's line and
     * returns it.
     *
     * @throws AssertionError at the first run that breaks the rules, naming n, the point (where and
     *         the code that asked) and the state keys that differ
     */
    public static Result sweep(FailNth failNth, FailNthScenario s) {
        SortedMap<String, String> before = s.state();
        failNth.disarm();
        run(s, "the clean run");
        SortedMap<String, String> done = s.state();
        s.undo();
        SortedMap<String, String> undone = settled(s, s.judgement() == FailNthScenario.Judgement.UNCHANGED ? before : null,
                "the undo of the clean run");
        Map<String, Integer> byPoint = new LinkedHashMap<>();
        int errors = 0;
        int degraded = 0;
        for (int n = 1; ; n++) {
            if (n > MAX_POINTS) {
                throw new AssertionError(s.name() + ": more than " + MAX_POINTS + " injection points on one run");
            }
            SortedMap<String, String> start = s.state();
            failNth.arm(n, s.points());
            IommuException failure = null;
            try {
                s.run();
            } catch (IommuException e) {
                failure = e;
            } finally {
                failNth.disarm();
            }
            FailNthDTO hit = failNth.state();
            if (!hit.failed()) {
                if (failure != null) {
                    throw new AssertionError(s.name() + ": run " + n + " failed with no point failed: " + failure.getMessage(),
                            failure);
                }
                compare(s, done, null, "run " + n + " (no point reached)", Set.of());
                s.undo();
                compare(s, undone, null, "the undo of run " + n, Set.of());
                Result r = new Result(s.name(), n - 1, byPoint, errors, degraded);
                System.out.println(r.line());
                return r;
            }
            byPoint.merge(hit.point(), 1, Integer::sum);
            String what = "run " + n + " (" + describe(hit) + ")";
            if (failure != null) {
                errors++;
                if (!s.errnos(hit.point()).contains(failure.errno())) {
                    throw new AssertionError(s.name() + ": " + what + " failed with " + failure.errno() + ", expected one of "
                            + s.errnos(hit.point()) + ": " + failure.getMessage(), failure);
                }
                Set<String> kept = s.keptUntilUndo(hit.point());
                if (s.judgement() == FailNthScenario.Judgement.UNCHANGED) {
                    compare(s, start, hit, what + ": the state after the failure", kept);
                }
                if (s.judgement() == FailNthScenario.Judgement.RELEASED || !kept.isEmpty()) {
                    s.undo();
                    compare(s, undone, hit, what + ": the state once undone after the failure", Set.of());
                }
            } else {
                degraded++;
                Set<String> allowed = s.degraded(hit.point());
                compare(s, done, hit, what + ": succeeded although the point failed; its state", allowed);
                s.undo();
                compare(s, undone, hit, what + ": the undo of the degraded run", Set.of());
            }
            run(s, what + ": the retry without injection");
            compare(s, done, hit, what + ": the retry's state", Set.of());
            s.undo();
            compare(s, undone, hit, what + ": the retry's undo", Set.of());
        }
    }

    private static void run(FailNthScenario s, String what) {
        try {
            s.run();
        } catch (IommuException e) {
            throw new AssertionError(s.name() + ": " + what + " failed: " + e.getMessage(), e);
        }
    }

    /** @return the state now; when {@code expected} is given, checked against it */
    private static SortedMap<String, String> settled(FailNthScenario s, SortedMap<String, String> expected, String what) {
        if (expected != null) {
            compare(s, expected, null, what, Set.of());
        }
        return s.state();
    }

    /**
     * The state must equal {@code expected}, except keys starting with one of {@code allowed}. A
     * thread the state finds new may still be ending (an executor shut down): it is given
     * {@value #THREAD_END_MS} ms to end before it counts as leaked.
     */
    private static void compare(FailNthScenario s, SortedMap<String, String> expected, FailNthDTO hit, String what,
            Set<String> allowed) {
        List<String> diff = diff(expected, s.state(), allowed);
        long deadline = System.nanoTime() + THREAD_END_MS * 1_000_000;
        while (diff.size() == 1 && diff.get(0).startsWith("threads:") && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            diff = diff(expected, s.state(), allowed);
        }
        if (!diff.isEmpty()) {
            throw new AssertionError(s.name() + ": " + what + " differs from what it must be in " + diff.size() + " key(s)"
                    + (hit != null ? "\n  failed point: " + describe(hit) + "\n  asked by: " + String.join(" < ", hit.stack()) : "")
                    + "\n  " + String.join("\n  ", diff));
        }
    }

    private static List<String> diff(SortedMap<String, String> expected, SortedMap<String, String> now, Set<String> allowed) {
        Set<String> keys = new TreeSet<>(expected.keySet());
        keys.addAll(now.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String e = expected.get(k);
            String a = now.get(k);
            if (k.equals("threads") && e != null && a != null && !threadsAdded(e, a)) {
                continue; // a thread the reference saw ending (an executor shut down) is no leak
            }
            if (!java.util.Objects.equals(e, a) && allowed.stream().noneMatch(k::startsWith)) {
                out.add(k + ": expected " + (e == null ? "(none)" : e) + ", is " + (a == null ? "(none)" : a));
            }
        }
        return out;
    }

    /** @return true if {@code now} (a "threads" value, "[a, b]") names a thread more than {@code expected} does */
    private static boolean threadsAdded(String expected, String now) {
        Map<String, Integer> left = new java.util.HashMap<>();
        for (String name : names(expected)) {
            left.merge(name, 1, Integer::sum);
        }
        for (String name : names(now)) {
            if (left.merge(name, -1, Integer::sum) < 0) {
                return true;
            }
        }
        return false;
    }

    private static List<String> names(String list) {
        String inner = list.substring(1, list.length() - 1);
        return inner.isEmpty() ? List.of() : List.of(inner.split(", "));
    }

    /** "page-alloc at apple-dart:/soc/...:domain@1b2c, hit 3" */
    static String describe(FailNthDTO hit) {
        return hit.point() + " at " + hit.where() + ", hit " + hit.hits();
    }
}
