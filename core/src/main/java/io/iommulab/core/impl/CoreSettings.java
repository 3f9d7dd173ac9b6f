package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.config.Setting;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.RateLimit;
import io.iommulab.lib.cmdline.Memparse;
import io.iommulab.lib.config.Settings;
import io.iommulab.lib.config.Values;
import java.util.List;
import java.util.Locale;

/**
 * The core's policy as settings of the PID {@value #PID}: each from the core's configuration (a
 * {@code iommulab.iommu.cfg} in the deploy folder, {@code iommu:config}), else the framework
 * property {@code iommulab.iommu.KEY}, else its default; {@link IommuCore.Config} describes the same
 * keys as metatype. What a change affects ({@link Setting#applies}):
 *
 * <ul>
 * <li>{@code default-domain}, {@code strict}: default domains made after the change (a group formed
 *     by a master probed later); a domain keeps the type it was made with, as Linux reads
 *     iommu.passthrough and iommu.strict when it sets a group's default domain up. An
 *     {@code iommu:attach DEV dma} names its type and is not affected.</li>
 * <li>{@code trace}, {@code trace-events}: live; a resized ring keeps the newest events that fit.</li>
 * <li>{@code ratelimit-interval-ms}, {@code ratelimit-burst}: live, for every rate-limited message
 *     of every driver and of the DMA sanitizer ({@link RateLimit#setLimits}), from each call site's
 *     next message.</li>
 * </ul>
 */
final class CoreSettings {

    /** The configuration PID, also the prefix of the framework properties ({@code iommulab.iommu.strict}) */
    static final String PID = "iommulab.iommu";
    static final String NEW_DEFAULT_DOMAINS = "new default domains";
    static final int TRACE_EVENTS_MIN = 16;
    static final int TRACE_EVENTS_MAX = 1 << 20;

    static final Setting<DomainType> DEFAULT_DOMAIN = new Setting<>("default-domain", DomainType.DMA,
            CoreSettings::domainType, CoreSettings::typeText, NEW_DEFAULT_DOMAINS);
    static final Setting<Boolean> STRICT = Settings.bool("strict", true, NEW_DEFAULT_DOMAINS);
    static final Setting<Boolean> TRACE = Settings.bool("trace", true, Setting.LIVE);
    static final Setting<Long> TRACE_EVENTS = new Setting<>("trace-events", (long) CoreConfig.DEFAULT_TRACE_EVENTS,
            CoreSettings::traceEvents, String::valueOf, Setting.LIVE);
    static final Setting<Long> RATELIMIT_INTERVAL_MS = Settings.number("ratelimit-interval-ms",
            RateLimit.INTERVAL_NANOS / 1_000_000, 0, 3_600_000, Setting.LIVE);
    static final Setting<Long> RATELIMIT_BURST = Settings.number("ratelimit-burst", RateLimit.BURST, 0, 1_000_000,
            Setting.LIVE);

    static final Settings SETTINGS = new Settings(PID, List.of(DEFAULT_DOMAIN, STRICT, TRACE, TRACE_EVENTS,
            RATELIMIT_INTERVAL_MS, RATELIMIT_BURST));

    private CoreSettings() {
    }

    /** @return the limits every rate-limited message follows, as {@code v} has them */
    static RateLimit.Limits limits(Values v) {
        return new RateLimit.Limits(v.get(RATELIMIT_INTERVAL_MS) * 1_000_000L, Math.toIntExact(v.get(RATELIMIT_BURST)));
    }

    /** @return the type {@code text} names, as {@code iommu:attach} reads it */
    private static DomainType domainType(String name, String text) {
        try {
            return DomainType.parse(text);
        } catch (IommuException e) {
            throw new IommuException(Errno.EINVAL, name + " '" + text + "' is not a domain type (dma, dma-fq, identity, "
                    + "blocked, unmanaged)", e);
        }
    }

    /** @return {@code dma-fq} for DMA_FQ: the name {@link DomainType#parse} reads back */
    static String typeText(DomainType t) {
        return t.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A number of events the ring can be made to hold: a power of two (the ring indexes by mask) in range. */
    private static Long traceEvents(String name, String text) {
        long n = Memparse.parse(name, text).within(TRACE_EVENTS_MIN, TRACE_EVENTS_MAX);
        if (Long.bitCount(n) != 1) {
            throw new IommuException(Errno.EINVAL, name + " '" + text + "' is not a power of two (" + TRACE_EVENTS_MIN
                    + ", 32, ... " + TRACE_EVENTS_MAX + ")");
        }
        return n;
    }
}
