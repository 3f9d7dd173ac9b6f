package io.iommulab.core.impl;

import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fault-injection points of one IOMMU ({@code iommu:inject}), as Linux's fault_attr, and behind
 * them the machine's fail-nth countdown: what its driver's {@link PlatformDevice#shouldFail} answers.
 * {@code skip-invalidate} (an injected driver bug, not an error path) is only ever set here; the
 * driver's error points ({@code kzalloc}, {@code cb-alloc}) may be set here for this IOMMU, and are
 * asked of fail-nth too, as Linux's should_fail() checks {@code fail_nth} before the attribute.
 * Nothing set costs one volatile read for {@code skip-invalidate} (asked per invalidation), one more
 * for the error points.
 *
 * <p>Fields: {@code failNth} the machine's countdown; {@code where} the IOMMU's path, for its record.
 */
final class FaultInjection {

    /** the points drivers consult */
    static final List<String> POINTS = List.of(PlatformDevice.SKIP_INVALIDATE, FailNth.KZALLOC, FailNth.CB_ALLOC);

    private final FailNth failNth;
    private final String where;

    FaultInjection(FailNth failNth, String where) {
        this.failNth = failNth;
        this.where = where;
    }

    /** {@code remaining}: occurrences still to fail, -1 for all; {@code failed}: failed since set */
    private record Point(AtomicLong remaining, AtomicLong failed) {
    }

    private final Map<String, Point> points = new ConcurrentHashMap<>();
    private volatile boolean any;

    /** should_fail(): true for the next {@code remaining} occurrences of the point set here, else what fail-nth says */
    boolean shouldFail(String point) {
        if (any && countdown(point)) {
            return true;
        }
        return !PlatformDevice.SKIP_INVALIDATE.equals(point) && failNth.shouldFail(point, where);
    }

    private boolean countdown(String point) {
        Point p = points.get(point);
        if (p == null) {
            return false;
        }
        for (;;) {
            long r = p.remaining().get();
            if (r == 0) {
                return false;
            }
            if (r < 0 || p.remaining().compareAndSet(r, r - 1)) {
                p.failed().incrementAndGet();
                return true;
            }
        }
    }

    /**
     * Sets a point: fail the next {@code count} occurrences (-1: all of them; 0: none, off).
     *
     * @throws IommuException EINVAL for an unknown point or a count below -1
     */
    InjectionDTO set(String iommu, String point, long count) {
        if (!POINTS.contains(point)) {
            throw new IommuException(Errno.EINVAL, "injection point '" + point + "' is not one of " + String.join(", ", POINTS));
        }
        if (count < -1) {
            throw new IommuException(Errno.EINVAL, "injection count " + count + " for " + point
                    + " is below -1 (-1 fails every occurrence, 0 none)");
        }
        Point p = new Point(new AtomicLong(count), new AtomicLong());
        points.put(point, p);
        any = points.values().stream().anyMatch(x -> x.remaining().get() != 0);
        return new InjectionDTO(iommu, point, count, 0);
    }

    /** Clears every point. */
    void off() {
        points.clear();
        any = false;
    }

    List<InjectionDTO> list(String iommu) {
        List<InjectionDTO> out = new ArrayList<>();
        for (String name : POINTS) {
            Point p = points.get(name);
            if (p != null) {
                out.add(new InjectionDTO(iommu, name, p.remaining().get(), p.failed().get()));
            }
        }
        return out;
    }

    /** @return "iommu:inject skip-invalidate made the driver skip 2 invalidations" when something was failed, else null */
    String note() {
        StringBuilder sb = new StringBuilder();
        for (String name : POINTS) {
            Point p = points.get(name);
            if (p != null && p.failed().get() > 0) {
                sb.append(sb.length() == 0 ? "" : "; ").append("iommu:inject ").append(name).append(" on this IOMMU: ")
                        .append(p.failed().get()).append(" occurrence(s) failed");
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
