package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.Memparse;
import io.iommulab.lib.config.Values;
import java.util.Map;
import java.util.function.Function;

/**
 * The core's options, read from framework properties (as Linux's iommu.passthrough /
 * iommu.strict command line). Those of them that are settings of the PID {@value CoreSettings#PID}
 * ({@link CoreSettings}: default domain, strict, trace, trace events) can also come from the
 * core's configuration, and change while it runs.
 *
 * @param defaultDomain default domain type for groups whose driver does not ask for one
 * @param strict        true: unmap invalidates before returning (iommu.strict=1); false: DMA
 *                      domains become DMA_FQ where the driver can defer flushes
 * @param cpuPageSize   PAGE_SIZE handed to drivers ({@code 16K}, {@code 0x4000}: read as {@link Memparse})
 * @param trace         true if trace events are recorded
 * @param liveUpdateMs  how long a driver's next version has to take over after the old one left
 *                      in a bundle update; calls on its domains wait that long at most, and after
 *                      it the state is released as on an unload
 * @param sanitize      true if the DMA sanitizer watches the bus from the start (it can be turned
 *                      on and off later: {@code iommu:sanitize on|off})
 * @param traceEvents   how many trace events the ring keeps (a power of two)
 */
public record CoreConfig(DomainType defaultDomain, boolean strict, long cpuPageSize, boolean trace, long liveUpdateMs,
        boolean sanitize, int traceEvents) {

    public static final String DEFAULT_DOMAIN = "iommulab.iommu.default-domain";
    public static final String STRICT = "iommulab.iommu.strict";
    public static final String CPU_PAGE_SIZE = "iommulab.cpu-page-size";
    public static final String TRACE = "iommulab.iommu.trace";
    public static final String TRACE_EVENTS = "iommulab.iommu.trace-events";
    public static final String LIVE_UPDATE_TIMEOUT = "iommulab.iommu.live-update-timeout-ms";
    public static final String SANITIZE = "iommulab.iommu.sanitize";
    static final long DEFAULT_LIVE_UPDATE_MS = 10_000;
    static final int DEFAULT_TRACE_EVENTS = 8192;

    public CoreConfig {
        if (cpuPageSize <= 0 || Long.bitCount(cpuPageSize) != 1) {
            throw new IommuException(Errno.EINVAL, CPU_PAGE_SIZE + " " + cpuPageSize + " is not a power of two");
        }
        if (liveUpdateMs <= 0) {
            throw new IommuException(Errno.EINVAL, LIVE_UPDATE_TIMEOUT + " " + liveUpdateMs + " is not a positive number of ms");
        }
        if (traceEvents <= 0 || Integer.bitCount(traceEvents) != 1) {
            throw new IommuException(Errno.EINVAL, TRACE_EVENTS + " " + traceEvents + " is not a power of two");
        }
    }

    /** The old four options, the live-update timeout at its default, no sanitizer. */
    public CoreConfig(DomainType defaultDomain, boolean strict, long cpuPageSize, boolean trace) {
        this(defaultDomain, strict, cpuPageSize, trace, DEFAULT_LIVE_UPDATE_MS);
    }

    /** The old five options, no sanitizer. */
    public CoreConfig(DomainType defaultDomain, boolean strict, long cpuPageSize, boolean trace, long liveUpdateMs) {
        this(defaultDomain, strict, cpuPageSize, trace, liveUpdateMs, false);
    }

    /** The old six options, the trace ring at its default size. */
    public CoreConfig(DomainType defaultDomain, boolean strict, long cpuPageSize, boolean trace, long liveUpdateMs,
            boolean sanitize) {
        this(defaultDomain, strict, cpuPageSize, trace, liveUpdateMs, sanitize, DEFAULT_TRACE_EVENTS);
    }

    /** @return {@link #liveUpdateMs} in ns */
    public long liveUpdateTimeoutNs() {
        return liveUpdateMs * 1_000_000L;
    }

    /** Linux defaults: DMA domains, strict invalidation, 16 KiB pages (Asahi), tracing on, no sanitizer. */
    public static CoreConfig defaults() {
        return new CoreConfig(DomainType.DMA, true, 16384, true);
    }

    /** Reads the options through {@code props} (e.g. BundleContext::getProperty); absent keys keep defaults. */
    public static CoreConfig from(Function<String, String> props) {
        return from(props, CoreSettings.SETTINGS.read(Map.of(), props));
    }

    /**
     * The options {@code props} give, with the settings of the PID as {@code settings} has them (the
     * configuration's values over the same properties).
     */
    static CoreConfig from(Function<String, String> props, Values settings) {
        CoreConfig d = defaults();
        String page = props.apply(CPU_PAGE_SIZE);
        String live = props.apply(LIVE_UPDATE_TIMEOUT);
        String sanitize = props.apply(SANITIZE);
        long pageSize = page == null || page.isBlank() ? d.cpuPageSize() : Memparse.parse(CPU_PAGE_SIZE, page).value();
        return new CoreConfig(d.defaultDomain(), d.strict(), pageSize, d.trace(),
                live == null || live.isBlank() ? d.liveUpdateMs() : Memparse.parse(LIVE_UPDATE_TIMEOUT, live).within(1, 3_600_000L),
                sanitize == null || sanitize.isBlank() ? d.sanitize() : parseBool(SANITIZE, sanitize), d.traceEvents())
                .withSettings(settings);
    }

    /** @return these options with the settings of the PID {@value CoreSettings#PID} taken from {@code v} */
    CoreConfig withSettings(Values v) {
        return new CoreConfig(v.get(CoreSettings.DEFAULT_DOMAIN), v.get(CoreSettings.STRICT), cpuPageSize,
                v.get(CoreSettings.TRACE), liveUpdateMs, sanitize, Math.toIntExact(v.get(CoreSettings.TRACE_EVENTS)));
    }

    private static boolean parseBool(String key, String v) {
        switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "1": case "true": case "yes": case "on": return true;
            case "0": case "false": case "no": case "off": return false;
            default: throw new IommuException(Errno.EINVAL, key + " '" + v + "' is not a boolean");
        }
    }

    public CoreConfig withDefaultDomain(DomainType t) {
        return new CoreConfig(t, strict, cpuPageSize, trace, liveUpdateMs, sanitize, traceEvents);
    }

    public CoreConfig withStrict(boolean s) {
        return new CoreConfig(defaultDomain, s, cpuPageSize, trace, liveUpdateMs, sanitize, traceEvents);
    }

    public CoreConfig withTrace(boolean on) {
        return new CoreConfig(defaultDomain, strict, cpuPageSize, on, liveUpdateMs, sanitize, traceEvents);
    }

    public CoreConfig withTraceEvents(int events) {
        return new CoreConfig(defaultDomain, strict, cpuPageSize, trace, liveUpdateMs, sanitize, events);
    }

    public CoreConfig withLiveUpdateMs(long ms) {
        return new CoreConfig(defaultDomain, strict, cpuPageSize, trace, ms, sanitize, traceEvents);
    }

    public CoreConfig withSanitize(boolean on) {
        return new CoreConfig(defaultDomain, strict, cpuPageSize, trace, liveUpdateMs, on, traceEvents);
    }
}
