package io.iommulab.core.impl.shell;

import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DmaDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.FlushQueueDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.MappingDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.dto.StreamRefDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.dto.TranslationDTO;
import io.iommulab.api.dto.UnmapDTO;
import io.iommulab.core.impl.update.LiveUpdateText;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Formats the iommu: records for the interactive shell: a list of one record type as a table, a
 * single record as one line, addresses in hex. Conversion to records is not offered.
 */
@Component(service = Converter.class, property = {Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.DeviceDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.DomainDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.GroupDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.IommuNodeDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.FaultDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.TraceEventDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.MappingDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.UnmapDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.TranslationDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.DmaDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.LiveUpdateDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.SanitizerDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.SanitizerFindingDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.InjectionDTO",
    Converter.CONVERTER_CLASSES + "=io.iommulab.api.dto.FailNthDTO"})
public final class DtoConverter implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof List<?> list) {
            if (list.isEmpty() || level != INSPECT) {
                return null;
            }
            Class<?> type = list.get(0).getClass();
            for (Object o : list) {
                if (o == null || o.getClass() != type) {
                    return null;
                }
            }
            return table(list);
        }
        if (!isOurs(target)) {
            return null;
        }
        if (level == PART) {
            return part(target);
        }
        if (level == INSPECT && !(target instanceof TraceEventDTO) && !(target instanceof SanitizerDTO)
                && header(target) != null) {
            return table(List.of(target));
        }
        return line(target);
    }

    static boolean isOurs(Object o) {
        return o instanceof DeviceDTO || o instanceof DomainDTO || o instanceof GroupDTO || o instanceof IommuNodeDTO
                || o instanceof FaultDTO || o instanceof TraceEventDTO || o instanceof MappingDTO
                || o instanceof UnmapDTO || o instanceof TranslationDTO || o instanceof DmaDTO
                || o instanceof SanitizerDTO || o instanceof SanitizerFindingDTO || o instanceof InjectionDTO
                || o instanceof LiveUpdateDTO || o instanceof FailNthDTO;
    }

    /** A list of records of one type: a header and one aligned row each; null if not ours. */
    static String table(List<?> rows) {
        String[] head = header(rows.get(0));
        if (head == null) {
            if (!isOurs(rows.get(0))) {
                return null;
            }
            StringBuilder sb = new StringBuilder();
            for (Object o : rows) {
                sb.append(line(o)).append('\n');
            }
            return sb.toString();
        }
        io.iommulab.lib.cmdline.TextTable t = new io.iommulab.lib.cmdline.TextTable(head);
        for (Object o : rows) {
            t.row(row(o));
        }
        return t.toString();
    }

    private static String[] header(Object o) {
        if (o instanceof IommuNodeDTO) {
            return new String[] {"NODE", "COMPATIBLE", "DRIVER", "STATE", "STREAMS", "BUNDLE", "REASON"};
        }
        if (o instanceof DeviceDTO) {
            return new String[] {"DEVICE", "STATE", "IOMMUS", "GROUP", "DOMAIN", "REASON"};
        }
        if (o instanceof GroupDTO) {
            return new String[] {"GROUP", "DEFAULT", "DOMAIN", "TYPE", "DEVICES"};
        }
        if (o instanceof DomainDTO) {
            return new String[] {"DOMAIN", "TYPE", "DRIVER", "GROUPS", "PGSIZES", "APERTURE", "MAPPED"};
        }
        if (o instanceof FaultDTO) {
            return new String[] {"SEQ", "TIME", "IOMMU", "SID", "DEVICE", "DOMAIN", "IOVA", "ACCESS", "STATUS",
                "HANDLED", "REASON"};
        }
        if (o instanceof InjectionDTO) {
            return new String[] {"IOMMU", "POINT", "REMAINING", "FAILED"};
        }
        return null;
    }

    private static String[] row(Object o) {
        if (o instanceof IommuNodeDTO n) {
            return new String[] {n.node(), n.compatible().isEmpty() ? "-" : n.compatible().get(0), dash(n.driver()),
                n.state(), n.streams().toString(), dash(n.origin()), dash(n.reason())};
        }
        if (o instanceof DeviceDTO d) {
            return new String[] {d.node(), d.state(), streams(d.iommus()), dash(d.group()),
                d.domain() == null ? "-" : d.domain() + " (" + d.domainType() + ")", dash(d.reason())};
        }
        if (o instanceof GroupDTO g) {
            return new String[] {String.valueOf(g.id()), dash(g.defaultDomain()), dash(g.domain()), dash(g.domainType()),
                String.join(" ", g.devices())};
        }
        if (o instanceof DomainDTO d) {
            return new String[] {String.valueOf(d.id()), d.type(), d.driver(), d.groups().toString(),
                Args.hex(d.pgsizeBitmap()), d.apertureStart() == 0 && d.apertureEnd() == 0 ? "-"
                        : Args.hex(d.apertureStart()) + "-" + Args.hex(d.apertureEnd()),
                Args.hex(d.mappedBytes())};
        }
        if (o instanceof FaultDTO f) {
            return new String[] {String.valueOf(f.seq()), seconds(f.timestampNs()), f.iommu(), String.valueOf(f.sid()),
                dash(f.device()), dash(f.domain()), Args.hex(f.iova()), f.access(), Args.hex(f.status()),
                String.valueOf(f.handled()), dash(f.reason())};
        }
        if (o instanceof InjectionDTO i) {
            return new String[] {i.iommu(), i.point(), i.remaining() < 0 ? "all" : String.valueOf(i.remaining()),
                String.valueOf(i.failed())};
        }
        throw new IllegalArgumentException(o.getClass().getName());
    }

    /**
     * "fail-nth: armed: hit 3 of any point fails; 1 hit so far", or what failed: "fail-nth: hit 3
     * failed: page-alloc at OWNER, asked by CLASS.method(File:line)".
     */
    static String failNth(FailNthDTO f) {
        String which = f.points().size() == io.iommulab.api.machine.FailNth.POINTS.size() ? "any point"
                : String.join(",", f.points());
        if (f.failed()) {
            return "fail-nth: hit " + f.hits() + " failed: " + f.point() + " at " + f.where()
                    + (f.stack().isEmpty() ? "" : ", asked by " + String.join(" < ", f.stack().subList(0,
                            Math.min(3, f.stack().size()))));
        }
        if (f.armed()) {
            return "fail-nth: armed: hit " + f.nth() + " of " + which + " fails; " + f.hits() + " hit(s) so far";
        }
        return "fail-nth: off" + (f.hits() > 0 ? " (" + f.hits() + " hit(s) counted, none failed)" : "");
    }

    /** One record as one line. */
    static String line(Object o) {
        if (o instanceof TraceEventDTO t) {
            return t.line();
        }
        if (o instanceof LiveUpdateDTO u) {
            return LiveUpdateText.of(u);
        }
        if (o instanceof FailNthDTO f) {
            return failNth(f);
        }
        if (o instanceof SanitizerFindingDTO f) {
            return "#" + f.seq() + " " + seconds(f.timeNs()) + " " + f.line();
        }
        if (o instanceof SanitizerDTO s) {
            return sanitizer(s);
        }
        if (o instanceof MappingDTO m) {
            return m.device() + ": domain " + m.domain() + " mapped iova " + Args.hex(m.iova()) + "-"
                    + Args.hex(m.iova() + m.size() - 1) + " -> pa " + Args.hex(m.paddr()) + " size " + Args.hex(m.size())
                    + " " + m.prot();
        }
        if (o instanceof UnmapDTO u) {
            return u.device() + ": domain " + u.domain() + " unmapped " + Args.hex(u.unmapped()) + " of "
                    + Args.hex(u.size()) + " bytes at iova " + Args.hex(u.iova());
        }
        if (o instanceof TranslationDTO t) {
            return t.device() + ": domain " + t.domain() + " iova " + Args.hex(t.iova()) + " -> "
                    + (t.mapped() ? "pa " + Args.hex(t.paddr()) : "not mapped");
        }
        if (o instanceof DmaDTO d) {
            StringBuilder sb = new StringBuilder();
            sb.append(d.device()).append(": dma ").append(d.op()).append(" iova ").append(Args.hex(d.iova()))
                    .append(" len ").append(Args.hex(d.length())).append(d.ok() ? " ok" : " FAULT").append(", ")
                    .append(d.bytes()).append(" bytes moved");
            if (d.fault() != null) {
                sb.append(": ").append(d.fault());
            }
            if (d.data() != null && !d.data().isEmpty()) {
                sb.append('\n');
                String hex = d.data();
                long addr = d.iova();
                for (int i = 0; i < hex.length(); i += 32, addr += 16) {
                    sb.append(String.format("%016x:", addr));
                    for (int j = i; j < Math.min(hex.length(), i + 32); j += 2) {
                        sb.append(' ').append(hex, j, j + 2);
                    }
                    sb.append('\n');
                }
            }
            return sb.toString();
        }
        String[] h = header(o);
        String[] r = row(o);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < h.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(h[i].toLowerCase(java.util.Locale.ROOT)).append('=').append(r[i]);
        }
        return sb.toString();
    }

    /** Short form when the record is part of something else. */
    static String part(Object o) {
        if (o instanceof DeviceDTO d) {
            return d.node();
        }
        if (o instanceof DomainDTO d) {
            return "domain " + d.id();
        }
        if (o instanceof GroupDTO g) {
            return "group " + g.id();
        }
        if (o instanceof IommuNodeDTO n) {
            return n.node();
        }
        if (o instanceof FaultDTO f) {
            return "fault " + f.seq() + " at " + Args.hex(f.iova());
        }
        if (o instanceof TraceEventDTO t) {
            return t.event();
        }
        if (o instanceof LiveUpdateDTO u) {
            return u.driver() + (u.adopted() ? " adopted" : " fell back");
        }
        if (o instanceof SanitizerDTO s) {
            return summary(s);
        }
        if (o instanceof SanitizerFindingDTO f) {
            return "finding " + f.seq() + " " + f.kind() + " at " + Args.hex(f.iova());
        }
        return line(o);
    }

    /** The summary line, one line per flush-queue domain, then the findings kept, one per line. */
    static String sanitizer(SanitizerDTO s) {
        StringBuilder sb = new StringBuilder(summary(s)).append('\n');
        for (FlushQueueDTO q : s.flushQueues()) {
            sb.append("  flush queue of domain ").append(q.domain()).append(q.freed() ? " (freed)" : "").append(": ")
                    .append(q.windows()).append(" windows closed by ").append(q.flushes()).append(" flushes, max ")
                    .append(ms(q.maxNs())).append(", mean ").append(ms(q.meanNs()));
            sb.append(q.timeoutNs() == 0 ? ", no flush yet" : ", " + bound(q.maxNs(), q.timeoutNs(), q.lateMaxNs(), q.overdue()));
            sb.append(", ").append(q.transactions()).append(" transactions through inside, ").append(q.open())
                    .append(" open\n");
        }
        if (s.dropped() > 0) {
            sb.append("  (").append(s.dropped()).append(" older findings dropped from the history)\n");
        }
        for (SanitizerFindingDTO f : s.history()) {
            sb.append(line(f)).append('\n');
        }
        return sb.toString();
    }

    /**
     * e.g. {@code DMA sanitizer on: 1 finding (stale-translation 1), 1234 transactions checked, 1 stale
     * IOTLB hit reported; flush queues: 3 windows, max 10.2 ms (timeout 10.0 ms), 2 transactions inside}
     */
    static String summary(SanitizerDTO s) {
        StringBuilder sb = new StringBuilder("DMA sanitizer ").append(s.enabled() ? "on" : "off").append(": ");
        sb.append(s.tally()).append(", ").append(s.transactions()).append(" transactions checked, ").append(s.staleReports())
                .append(" stale IOTLB hits reported");
        if (!s.flushQueues().isEmpty()) {
            long windows = 0;
            long max = 0;
            long timeout = 0;
            long late = 0;
            long overdue = 0;
            long inside = 0;
            long open = 0;
            for (FlushQueueDTO q : s.flushQueues()) {
                windows += q.windows();
                max = Math.max(max, q.maxNs());
                timeout = Math.max(timeout, q.timeoutNs());
                late = Math.max(late, q.lateMaxNs());
                overdue += q.overdue();
                inside += q.transactions();
                open += q.open();
            }
            sb.append("; flush queues: ").append(windows).append(" windows, max ").append(ms(max));
            if (timeout > 0) {
                sb.append(" (").append(bound(max, timeout, late, overdue)).append(')');
            }
            sb.append(", ").append(inside).append(" transactions through inside, ").append(open).append(" open");
        }
        return sb.toString();
    }

    /**
     * e.g. {@code bounded by the queue timeout 10.000 ms + the timer running late (up to 2.345 ms)}: a
     * window lasts at most the timeout plus how late the host ran the queue's timer; overdue ones
     * are named
     */
    private static String bound(long maxNs, long timeoutNs, long lateMaxNs, long overdue) {
        if (overdue > 0) {
            return overdue + " LONGER than the queue timeout " + ms(timeoutNs) + " + the timer's lateness";
        }
        return "bounded by the queue timeout " + ms(timeoutNs)
                + (maxNs > timeoutNs ? " + the timer running late (up to " + ms(lateMaxNs) + ")" : "");
    }

    private static String ms(long ns) {
        return String.format("%d.%03d ms", ns / 1_000_000, (ns / 1000) % 1000);
    }

    private static String streams(List<StreamRefDTO> refs) {
        StringBuilder sb = new StringBuilder();
        for (StreamRefDTO r : refs) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(r.iommu()).append(':').append(r.sid());
        }
        return sb.toString();
    }

    private static String seconds(long ns) {
        return String.format("%d.%06d", ns / 1_000_000_000L, (ns / 1000) % 1_000_000);
    }

    private static String dash(Object o) {
        return o == null ? "-" : o.toString();
    }
}
