package io.iommulab.core.impl;

/**
 * Where the time of one takeover went, in ns: first the preparation, while the old code still
 * serves map and unmap, then the blackout, from pausing the domains to resuming them. For
 * profiling the live update (the bench prints them), not part of the service's API.
 *
 * @param preserveNs the old code's records ({@code IommuDriver.preserve}, every instance)
 * @param restoreNs  the new code taking the instances over ({@code IommuDriver.restore})
 * @param mastersNs  every master through of_xlate, probe_device and device_group on the new code
 * @param domainsNs  every domain re-opened ({@code restoreDomain}, or the static identity/blocked ones)
 * @param pauseNs    holding map/unmap back and waiting for the calls inside to leave (gate drain)
 * @param attachNs   the domains rebound to the new ops and every group attached again (for a
 *                   driver's swap under {@code PlatformDevice.quiesceDomains}: the swap; the
 *                   preparation phases are then 0, the driver prepared before it asked)
 * @param resumeNs   letting the held-back calls in again
 * @param pausedAtNs {@link System#nanoTime} when the blackout began (to tell what else the JVM did then)
 */
public record LiveUpdatePhases(long preserveNs, long restoreNs, long mastersNs, long domainsNs, long pauseNs, long attachNs,
        long resumeNs, long pausedAtNs) {

    /** No takeover yet. */
    static final LiveUpdatePhases NONE = new LiveUpdatePhases(0, 0, 0, 0, 0, 0, 0, 0);

    /** @return the preparation, before the domains are paused */
    public long prepareNs() {
        return preserveNs + restoreNs + mastersNs + domainsNs;
    }

    /** @return pause, attach and resume: the blackout */
    public long blackoutNs() {
        return pauseNs + attachNs + resumeNs;
    }

    /**
     * @param marks nanoTime at: start, preserved, restored, masters done, domains done (= pausing),
     *              paused, attached, resumed (a phase the takeover did not reach ends where the
     *              previous did)
     */
    static LiveUpdatePhases of(long[] marks) {
        long[] m = marks.clone();
        for (int i = 1; i < m.length - 1; i++) {
            if (m[i] == 0) {
                m[i] = m[i - 1];
            }
        }
        return new LiveUpdatePhases(m[1] - m[0], m[2] - m[1], m[3] - m[2], m[4] - m[3], m[5] - m[4], m[6] - m[5],
                m[7] - m[6], m[4]);
    }
}
