package io.iommulab.dart.impl;

import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.klib.IoPgtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The page-table formats one driver instance can use: the bound format services, newest first,
 * each with the bundle it comes from, and outside OSGi a lookup handed in. When a format's service
 * is replaced (the pgtable bundle updated: the old service unregistered, a new one registered under
 * the same {@code pgtable.format} name), new tables come from the newest, and the driver moves its
 * live tables to it.
 *
 * <p>Fields: {@code bound} the services, newest first; {@code origins} the bundle of each
 * ("io.iommulab.pgtable 0.2.0"); {@code fallback} the lookup for formats no service provides.
 */
final class PgtableFormats {

    private final List<PageTableFormat> bound = new CopyOnWriteArrayList<>();
    private final Map<PageTableFormat, String> origins = new ConcurrentHashMap<>();
    private final Function<String, PageTableFormat> fallback;

    /** @param fallback finds a format no bound service provides (tests, tools); returns null if none */
    PgtableFormats(Function<String, PageTableFormat> fallback) {
        this.fallback = fallback;
    }

    /** @return the newest bound format called {@code name}, else the fallback's, else null */
    PageTableFormat find(String name) {
        PageTableFormat f = IoPgtable.find(bound, name);
        return f != null ? f : fallback.apply(name);
    }

    /** A format service arrived, from the bundle {@code origin} (null if unknown). */
    void bind(PageTableFormat format, String origin) {
        bound.add(0, format);
        if (origin != null) {
            origins.put(format, origin);
        }
    }

    /**
     * A format service left.
     *
     * @return the bound format of the same name that takes its place, or null (none is bound now)
     */
    PageTableFormat unbind(PageTableFormat format) {
        bound.remove(format);
        origins.remove(format);
        return IoPgtable.find(bound, format.name());
    }

    /** @return "pgtable apple-dart: io.iommulab.pgtable 0.2.0", what a move of the live tables is reported as */
    String describe(PageTableFormat format) {
        String origin = origins.get(format);
        return "pgtable " + format.name() + ": " + (origin != null ? origin : format.getClass().getName());
    }
}
