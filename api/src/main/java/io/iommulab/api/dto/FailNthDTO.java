package io.iommulab.api.dto;

import java.util.List;

/**
 * The machine's fail-nth countdown ({@code machine:fail-nth}), as {@code /proc/self/fail-nth} reads.
 *
 * @param nth    the hit that fails (as last armed; 0 if never armed)
 * @param armed  true while the countdown runs (armed, and the N-th hit has not come)
 * @param points the points that count (all of them when armed with none)
 * @param hits   hits counted since it was armed (the failing one included)
 * @param point  the point whose hit failed, null if none did
 * @param where  what asked at that hit (device path, page owner, node), null if none failed
 * @param stack  the code that asked, innermost first (at most a few frames), empty if none failed
 */
public record FailNthDTO(long nth, boolean armed, List<String> points, long hits, String point, String where,
        List<String> stack) {

    /** @return true if the N-th hit came and failed */
    public boolean failed() {
        return point != null;
    }
}
