package io.iommulab.testkit;

import io.iommulab.api.error.Errno;
import io.iommulab.api.machine.FailNth;
import java.util.Set;
import java.util.SortedMap;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One operation {@link FailNthSweep} runs with every injection point on its path failed in turn
 * (a {@code TEST_FAIL_NTH} of {@code iommufd_fail_nth}). The scenario is set up before the sweep
 * and must be runnable again after {@link #undo}. Tests implement it (a new method would break them).
 */
@ConsumerType
public interface FailNthScenario {

    /** How a failed run is judged. */
    enum Judgement {
        /**
         * One operation: right after it failed, the state is exactly what it was before the call
         * (attach, map, unmap, dma_map_sg, a live update).
         */
        UNCHANGED,
        /**
         * Several independent operations in one call (a driver probing each of its IOMMUs and the
         * masters behind them): some may have succeeded, so the state after the failure is judged
         * once {@link #undo} released what succeeded; then it must be exactly what a successful run
         * and its undo leave. What the failed part took would still be there.
         */
        RELEASED
    }

    /** @return the scenario's name, for the log line and the assertion messages */
    String name();

    /**
     * The operation under test.
     *
     * @throws io.iommulab.api.error.IommuException when it fails; an operation that reports a
     *         failure another way (a probe leaves the IOMMU or a master failed) throws it here,
     *         with its errno
     */
    void run();

    /** Undoes a successful run (or releases what a partly failed {@link Judgement#RELEASED} run did). */
    void undo();

    /**
     * @return the state the sweep compares, key by key: what must not change when the run fails
     *         (see {@link StateSnapshot})
     */
    SortedMap<String, String> state();

    /** @return how a failed run is judged; {@link Judgement#UNCHANGED} unless overridden */
    default Judgement judgement() {
        return Judgement.UNCHANGED;
    }

    /** @return the errnos a run failed at {@code point} may return; the point's own by default */
    default Set<Errno> errnos(String point) {
        return Set.of(FailNthSweep.errnoOf(point));
    }

    /**
     * A run may succeed although a point failed on its path, when the code there treats that
     * failure as upstream does (logs it and goes on: a DART TLB flush that timed out after a map, an
     * SMMU TLB sync, arm-smmu's context interrupt). The state must then equal a clean run's, except
     * the keys named here.
     *
     * @param point the point that failed
     * @return prefixes of the state keys that may differ from a clean run's (none by default)
     */
    default Set<String> degraded(String point) {
        return Set.of();
    }

    /**
     * Keys an {@link Judgement#UNCHANGED} run that failed may leave changed because what changed
     * belongs to an object the undo frees, and is judged once undone instead: the page tables a
     * failed map installed before the failure stay with the domain, as Linux's io-pgtable keeps
     * them (the next map uses them; the domain's free returns them), so a table the failure
     * orphaned still shows, as pages left over after the domain is freed.
     *
     * @param point the point that failed
     * @return prefixes of such keys (none by default)
     */
    default Set<String> keptUntilUndo(String point) {
        return Set.of();
    }

    /** @return the points this scenario counts; every point by default */
    default Set<String> points() {
        return Set.copyOf(FailNth.POINTS);
    }
}
