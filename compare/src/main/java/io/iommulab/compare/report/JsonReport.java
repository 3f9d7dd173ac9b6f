package io.iommulab.compare.report;

import io.iommulab.compare.json.Json;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.dto.StreamRefDTO;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The whole {@link Comparison} as JSON, for scripts and for diffing two comparisons: every field of
 * every record, named as the record component, in declaration order, under a top-level
 * {@code "schema": "iommulab.compare/1"}. Nodes are full DT paths throughout, so the board's node
 * list ({@link Comparison#nodes()}, which only makes the other renderers' short names unique) is
 * not written.
 *
 * <p>Numbers: counts and byte totals are exact integers; addresses, status registers, page-size
 * bitmaps and apertures are 64-bit unsigned quantities, so they are written unsigned (a top-bit-set
 * aperture end is 18446744073709551615, not -1). Non-finite doubles (a NaN hit rate) are null.
 */
public final class JsonReport {
    /** Identifies this layout; a new layout gets a new name rather than changing this one. */
    public static final String SCHEMA = "iommulab.compare/1";

    private JsonReport() {
    }

    /** {@code c} as indented JSON text. */
    public static String render(Comparison c) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("board", c.board());
        root.put("workload", c.workload());
        root.put("backends", list(c.backends(), JsonReport::backend));
        root.put("differences", list(c.differences(), JsonReport::difference));
        return Json.write(root);
    }

    private static Map<String, Object> backend(BackendRun r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend());
        m.put("drivers", r.drivers());
        m.put("error", r.error());
        m.put("iommus", list(r.iommus(), JsonReport::iommu));
        m.put("devices", list(r.devices(), JsonReport::device));
        m.put("groups", list(r.groups(), JsonReport::group));
        m.put("domains", list(r.domains(), JsonReport::domain));
        m.put("defaultDomainTypes", new LinkedHashMap<>(r.defaultDomainTypes()));
        m.put("capabilities", new LinkedHashMap<>(r.capabilities()));
        m.put("patterns", list(r.patterns(), JsonReport::pattern));
        m.put("faults", list(r.faults(), JsonReport::fault));
        m.put("pageTableBytes", r.pageTableBytes());
        m.put("peakPageTableBytes", r.peakPageTableBytes());
        m.put("sanitizer", r.sanitizer() == null ? null : sanitizer(r.sanitizer()));
        return m;
    }

    private static Map<String, Object> sanitizer(SanitizerDTO s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", s.enabled());
        m.put("transactions", s.transactions());
        m.put("staleReports", s.staleReports());
        m.put("findings", new LinkedHashMap<>(s.findings()));
        m.put("dropped", s.dropped());
        m.put("flushQueues", list(s.flushQueues(), JsonReport::flushQueue));
        m.put("history", list(s.history(), JsonReport::finding));
        return m;
    }

    private static Map<String, Object> flushQueue(FlushQueueDTO q) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", q.domain());
        m.put("freed", q.freed());
        m.put("windows", q.windows());
        m.put("open", q.open());
        m.put("maxNs", q.maxNs());
        m.put("meanNs", q.meanNs());
        m.put("timeoutNs", q.timeoutNs());
        m.put("transactions", q.transactions());
        m.put("flushes", q.flushes());
        m.put("lateMaxNs", q.lateMaxNs());
        m.put("overdue", q.overdue());
        return m;
    }

    private static Map<String, Object> finding(SanitizerFindingDTO f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", f.seq());
        m.put("kind", f.kind());
        m.put("iommu", f.iommu());
        m.put("stream", f.stream());
        m.put("device", f.device());
        m.put("access", f.access());
        m.put("iova", unsigned(f.iova()));
        m.put("cached", f.cached());
        m.put("current", f.current());
        m.put("due", f.due());
        m.put("timeNs", f.timeNs());
        m.put("domain", f.domain());
        m.put("detail", f.detail());
        return m;
    }

    private static Map<String, Object> iommu(IommuNodeDTO n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", n.node());
        m.put("compatible", n.compatible());
        m.put("driver", n.driver());
        m.put("state", n.state());
        m.put("reason", n.reason());
        m.put("streams", n.streams());
        m.put("origin", n.origin());
        return m;
    }

    private static Map<String, Object> device(DeviceDTO d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", d.node());
        m.put("iommus", list(d.iommus(), JsonReport::stream));
        m.put("state", d.state());
        m.put("reason", d.reason());
        m.put("group", d.group());
        m.put("domain", d.domain());
        m.put("domainType", d.domainType());
        return m;
    }

    private static Map<String, Object> stream(StreamRefDTO s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iommu", s.iommu());
        m.put("sid", s.sid());
        return m;
    }

    private static Map<String, Object> group(GroupDTO g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", g.id());
        m.put("devices", g.devices());
        m.put("defaultDomain", g.defaultDomain());
        m.put("domain", g.domain());
        m.put("domainType", g.domainType());
        return m;
    }

    private static Map<String, Object> domain(DomainDTO d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("type", d.type());
        m.put("driver", d.driver());
        m.put("groups", d.groups());
        m.put("pgsizeBitmap", unsigned(d.pgsizeBitmap()));
        m.put("apertureStart", unsigned(d.apertureStart()));
        m.put("apertureEnd", unsigned(d.apertureEnd()));
        m.put("mappedBytes", d.mappedBytes());
        return m;
    }

    private static Map<String, Object> pattern(PatternResult p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("kind", p.kind());
        m.put("devices", p.devices());
        m.put("ops", p.ops());
        m.put("bytes", p.bytes());
        m.put("mmioReadsPerOp", p.mmioReadsPerOp());
        m.put("mmioWritesPerOp", p.mmioWritesPerOp());
        m.put("invalidationsPerOp", p.invalidationsPerOp());
        m.put("walksPerOp", p.walksPerOp());
        m.put("iotlbHitRate", p.iotlbHitRate());
        m.put("opsPerSecond", p.opsPerSecond());
        m.put("mibPerSecond", p.mibPerSecond());
        m.put("verifiedBytes", p.verifiedBytes());
        m.put("dataErrors", p.dataErrors());
        m.put("peakPageTableBytes", p.peakPageTableBytes());
        return m;
    }

    private static Map<String, Object> fault(FaultResult f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", f.device());
        m.put("iova", unsigned(f.iova()));
        m.put("write", f.write());
        m.put("modelFault", f.modelFault());
        m.put("reported", f.reported());
        m.put("reason", f.reason());
        m.put("status", unsigned(f.status()));
        m.put("iommu", f.iommu());
        m.put("sid", f.sid());
        return m;
    }

    private static Map<String, Object> difference(Difference d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", d.metric());
        m.put("subject", d.subject());
        m.put("values", new LinkedHashMap<>(d.values()));
        return m;
    }

    /** A 64-bit register or address value as its unsigned decimal digits (a raw JSON number). */
    private static Number unsigned(long v) {
        return v >= 0 ? (Number) v : new java.math.BigInteger(Long.toUnsignedString(v));
    }

    private static <T> List<Object> list(List<T> items, Function<T, Object> f) {
        if (items == null) {
            return null; // a DTO built without the list: say so rather than invent an empty one
        }
        List<Object> out = new ArrayList<>(items.size());
        for (T t : items) {
            out.add(f.apply(t));
        }
        return out;
    }
}
