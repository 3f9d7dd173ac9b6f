package io.iommulab.machine.inject;

import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's fail-nth countdown (lib/fault-inject.c's {@code should_fail()} with
 * {@code current->fail_nth}, for the whole machine). {@link #shouldFail} reads one volatile field
 * when nothing is armed; a hit while armed takes this object's monitor, so hits from several threads
 * are counted one by one and exactly one of them is the N-th.
 *
 * <p>Fields: {@code armed} the fast-path flag (set by arm, cleared at the N-th hit and by disarm);
 * {@code nth}, {@code points} (enabled points), {@code hits} (counted since armed) and the failure
 * ({@code failedPoint}, {@code failedWhere}, {@code failedStack}) guarded by this.
 */
public final class FailNthCountdown implements FailNth {

    private static final Logger LOG = LoggerFactory.getLogger(FailNthCountdown.class);
    /** frames of the asking code kept in the record (fail_dump prints a stack trace) */
    private static final int STACK_FRAMES = 8;
    private static final StackWalker WALKER = StackWalker.getInstance();

    private volatile boolean armed;
    private long nth;
    private Set<String> points = Set.of();
    private long hits;
    private String failedPoint;
    private String failedWhere;
    private List<String> failedStack = List.of();

    @Override
    public boolean shouldFail(String point, String where) {
        if (!armed) {
            return false;
        }
        return countHit(point, where);
    }

    private synchronized boolean countHit(String point, String where) {
        if (!armed || !points.contains(point)) {
            return false;
        }
        hits++;
        if (hits < nth) {
            return false;
        }
        armed = false;
        failedPoint = point;
        failedWhere = where;
        failedStack = stack();
        LOG.info("fail-nth: hit {} of {} fails: {} at {}, asked by {}", hits, points.size() == POINTS.size() ? "any point"
                : String.join(",", points), point, where, String.join(" < ", failedStack.subList(0, Math.min(3,
                failedStack.size()))));
        return true;
    }

    /** @return the code that asked: frames below the injection plumbing (every {@code shouldFail} on the way) */
    private static List<String> stack() {
        return WALKER.walk(frames -> frames.filter(f -> !f.getMethodName().equals("shouldFail")
                && !f.getClassName().equals(FailNthCountdown.class.getName())).limit(STACK_FRAMES)
                .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")")
                .toList());
    }

    @Override
    public synchronized FailNthDTO arm(long nth, Collection<String> points) {
        if (nth < 1) {
            throw new IommuException(Errno.EINVAL, "fail-nth " + nth + ": expected the number of the hit that fails, 1 or more");
        }
        Set<String> enabled = new LinkedHashSet<>();
        for (String p : points == null ? List.<String>of() : points) {
            if (!POINTS.contains(p)) {
                throw new IommuException(Errno.EINVAL, "fail-nth: injection point '" + p + "' is not one of "
                        + String.join(", ", POINTS));
            }
            enabled.add(p);
        }
        this.nth = nth;
        this.points = enabled.isEmpty() ? Set.copyOf(POINTS) : Set.copyOf(enabled);
        this.hits = 0;
        this.failedPoint = null;
        this.failedWhere = null;
        this.failedStack = List.of();
        this.armed = true;
        return state();
    }

    @Override
    public synchronized FailNthDTO disarm() {
        armed = false;
        return state();
    }

    @Override
    public synchronized FailNthDTO state() {
        List<String> enabled = new ArrayList<>();
        for (String p : POINTS) {
            if (points.contains(p)) {
                enabled.add(p);
            }
        }
        return new FailNthDTO(nth, armed, List.copyOf(enabled), hits, failedPoint, failedWhere, failedStack);
    }

    @Override
    public String toString() {
        return "fail-nth " + state();
    }
}
