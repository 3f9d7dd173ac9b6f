package io.iommulab.klib;

import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The page-table formats one driver makes its domains with, and the live update of that code under
 * its live domains (docs/live-update.md, "The page-table bundle"). The bound format services,
 * newest first, each with the bundle it comes from, and outside OSGi a lookup handed in. When the
 * service of the format the driver's domains run on is replaced (the pgtable bundle updated: the
 * old service unregistered, a new one registered under the same name), new tables come from the
 * newest, and every live table is re-opened by it ({@link PgtableDomain#reopen(PageTableFormat)})
 * while the old code still serves it, then switched to it ({@link PgtableDomain#switchTo}) inside
 * {@link PlatformDevice#quiesceDomains}, so that only the switch is in the blackout. Between the old service leaving and the new one
 * arriving the live domains keep running on the old code (still loaded) and the core is told
 * ({@link PlatformDevice#codeLeft}): it holds back the driver's calls that need a format until the
 * new one has taken the live tables over.
 *
 * <p>Fields: {@code who} the driver in messages ({@code apple-dart t8103}); {@code format} the name
 * of the format its domains run on; {@code fallback} the lookup for formats no service provides;
 * {@code driver} its devices and live tables; {@code log} the driver's logger; {@code bound} the
 * services, newest first; {@code origins} the bundle of each ("io.iommulab.pgtable 0.2.0");
 * {@code away} what left with nothing in its place, told to the core (null when nothing is awaited).
 */
public final class PgtableFormats {

    /** What the formats need of the driver (each driver implements it: a new method would break them). */
    @ConsumerType
    public interface Driver {
        /**
         * @return a platform device of the driver, null when it drives none (the core quiesces
         *         every domain of the driver, whichever device it is asked through)
         */
        PlatformDevice anyDevice();

        /** @return the tables of the driver's domains not freed (those not installed yet are skipped) */
        Iterable<PgtableDomain> liveTables();
    }

    private final String who;
    private final String format;
    private final Function<String, PageTableFormat> fallback;
    private final Driver driver;
    private final Logger log;
    private final List<PageTableFormat> bound = new CopyOnWriteArrayList<>();
    private final Map<PageTableFormat, String> origins = new ConcurrentHashMap<>();
    private String away;

    /**
     * @param who      the driver in messages ({@code apple-dart t8103}, {@code arm-smmu})
     * @param format   the name of the format the driver's domains run on: a new service of it moves them
     * @param fallback finds a format no bound service provides (tests, tools); returns null if none
     * @param driver   the driver's devices and live tables
     * @param log      the driver's logger
     */
    public PgtableFormats(String who, String format, Function<String, PageTableFormat> fallback, Driver driver, Logger log) {
        this.who = who;
        this.format = format;
        this.fallback = fallback;
        this.driver = driver;
        this.log = log;
    }

    /** @return the newest bound format called {@code name}, else the fallback's, else null */
    public PageTableFormat find(String name) {
        PageTableFormat f = IoPgtable.find(bound, name);
        return f != null ? f : fallback.apply(name);
    }

    /**
     * @return the format called {@code name} (the newest bound service)
     * @throws io.iommulab.api.error.IommuException ENODEV if no such format is available
     */
    public PageTableFormat require(String name) {
        return IoPgtable.require(this::find, name, who);
    }

    /**
     * A format service arrived, from the bundle {@code origin} (null if unknown). A new version of
     * the driver's format takes every live table over, with the domains quiesced.
     */
    public void bind(PageTableFormat f, String origin) {
        bound.add(0, f);
        if (origin != null) {
            origins.put(f, origin);
        }
        if (f.name().equals(format)) {
            move(f);
        }
    }

    /**
     * A format service left. If another bound service of the same format takes its place, the live
     * tables move to it now; if none does, they keep running on its code (still loaded) and the
     * core is told that the driver's format is away.
     */
    public void unbind(PageTableFormat f) {
        String what = describe(f);
        bound.remove(f);
        origins.remove(f);
        if (!f.name().equals(format)) {
            return;
        }
        PageTableFormat next = IoPgtable.find(bound, f.name());
        if (next != null) {
            move(next);
            return;
        }
        PlatformDevice any = driver.anyDevice();
        if (any != null) {
            synchronized (this) {
                away = what;
            }
            any.codeLeft(what);
        }
    }

    /** @return "pgtable apple-dart: io.iommulab.pgtable 0.2.0", what a move of the live tables is reported as */
    public String describe(PageTableFormat f) {
        String origin = origins.get(f);
        return "pgtable " + f.name() + ": " + (origin != null ? origin : f.getClass().getName());
    }

    /**
     * Moves every live table not on {@code next} to it in two steps: each is re-opened by
     * {@code next} while the old code still serves it ({@link PgtableDomain#reopen}: the new code
     * runs cold here, not in the blackout), then all are switched over while the core holds the
     * driver's domains still ({@link PgtableDomain#switchTo}). A table that went live on another
     * format between the two steps is moved in one step inside the quiesce. When the format was
     * away, the core learns it is back even with no table to move. A table the new format refuses
     * moves none: every table stays on the previous code (when the format was away, the quiesce
     * still runs, to report the refusal and let the waiting calls go on).
     */
    private void move(PageTableFormat next) {
        String awaited;
        synchronized (this) {
            awaited = away;
            away = null;
        }
        PlatformDevice any = driver.anyDevice();
        if (any == null) {
            return;
        }
        String what = describe(next);
        Map<PgtableDomain, PageTableOps> reopened = new IdentityHashMap<>();
        RuntimeException refusal = null;
        try {
            for (PgtableDomain t : stale(next)) {
                PageTableOps ops = t.reopen(next);
                if (ops != null) {
                    reopened.put(t, ops);
                }
            }
        } catch (RuntimeException e) {
            refusal = e;
        }
        if (awaited == null && (refusal != null || reopened.isEmpty() && stale(next).isEmpty())) {
            if (refusal != null) {
                failed(what, refusal);
            }
            return;
        }
        RuntimeException refused = refusal;
        try {
            // the core pauses every domain of this driver, whichever device: one call covers them all
            any.quiesceDomains(what, () -> {
                if (refused != null) {
                    throw refused;
                }
                for (PgtableDomain t : stale(next)) {
                    PageTableOps ops = reopened.get(t);
                    if (ops != null) {
                        t.switchTo(ops);
                    } else {
                        t.reattach(next);
                    }
                }
            });
        } catch (RuntimeException e) {
            failed(what, e);
        }
    }

    private void failed(String what, RuntimeException e) {
        log.error("{}: moving the live domains to {} failed: {}; those not moved keep running on the previous code", who, what,
                e.getMessage());
    }

    private List<PgtableDomain> stale(PageTableFormat next) {
        List<PgtableDomain> out = new ArrayList<>();
        for (PgtableDomain t : driver.liveTables()) {
            PageTableFormat f = t.format();
            if (f != null && f != next && f.name().equals(next.name())) {
                out.add(t);
            }
        }
        return out;
    }
}
