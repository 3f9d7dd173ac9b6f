package io.iommulab.dart.impl;

import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.dart.spi.DartHw;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A running DART read for a takeover without a reset (a live update of the driver; what a kdump
 * kernel, or Asahi's adoption of a DART the bootloader left translating, does): per stream the TCR
 * mode and the TTBRs, judged for trust and held against the previous driver's record. Reads only;
 * every refusal is EIO naming the DART, the stream and the register values, so the core's fallback
 * (remove and probe again) says why.
 */
final class DartTakeover {

    /** What a stream's TCR makes of its transactions. */
    enum Mode {
        BLOCKED, BYPASS, TRANSLATE, UNKNOWN
    }

    /** How many streams of a DART do what, for the one line the takeover logs. */
    record Summary(int translating, int bypass, int blocked) {
    }

    private DartTakeover() {
    }

    /** @return the mode of a TCR value on this DART (bypass only where PARAMS say the DART can) */
    static Mode mode(DartInstance dart, int tcr) {
        DartHw.Tcr t = dart.variant.tcr();
        if (tcr == t.disabled()) {
            return Mode.BLOCKED;
        }
        if ((tcr & ~t.fourLevel()) == t.enabled()) {
            return Mode.TRANSLATE;
        }
        if (tcr == t.bypass() && dart.params.supportsBypass()) {
            return Mode.BYPASS;
        }
        return Mode.UNKNOWN;
    }

    /**
     * Every stream of the DART judged, and held against {@code rec} when there is one: a stream of
     * a paging domain must translate through exactly the record's table (TCR, every TTBR as the
     * attach writes them), one of an identity domain must bypass, one of a blocked domain be
     * blocked, and a stream the record does not name must be blocked or bypass. Without a record,
     * every stream must be in a mode this driver writes, and a translating one must point into RAM.
     *
     * @throws IommuException EIO naming the stream and the values; EINVAL when the record names a
     *         stream the DART does not have, or one stream twice
     */
    static Summary check(DartInstance dart, PreservedIommu rec) {
        int n = dart.numStreams();
        PreservedDomain[] bySid = new PreservedDomain[n];
        if (rec != null) {
            for (PreservedDomain pd : rec.domains()) {
                for (int sid : pd.streams()) {
                    if (sid < 0 || sid >= n) {
                        throw new IommuException(Errno.EINVAL, String.format("%s: the record puts stream %d in domain %d;"
                                + " the DART has %d streams", dart.node(), sid, pd.domain(), n));
                    }
                    if (bySid[sid] != null) {
                        throw new IommuException(Errno.EINVAL, String.format("%s: the record puts stream %d in two domains",
                                dart.node(), sid));
                    }
                    bySid[sid] = pd;
                }
            }
        }
        int translating = 0;
        int bypass = 0;
        int blocked = 0;
        for (int sid = 0; sid < n; sid++) {
            int tcr = dart.hw.readTcr(sid);
            Mode m = mode(dart, tcr);
            if (m == Mode.UNKNOWN) {
                throw eio(dart, sid, String.format("TCR 0x%x is none of blocked 0x%x, bypass 0x%x (supported: %b), translate 0x%x",
                        tcr, dart.variant.tcr().disabled(), dart.variant.tcr().bypass(), dart.params.supportsBypass(),
                        dart.variant.tcr().enabled()));
            }
            if (m == Mode.TRANSLATE) {
                String bad = untrusted(dart, sid, tcr);
                if (bad != null) {
                    throw eio(dart, sid, bad);
                }
            }
            if (rec != null) {
                String bad = disagreement(dart, sid, tcr, m, bySid[sid]);
                if (bad != null) {
                    throw eio(dart, sid, bad);
                }
            }
            switch (m) {
                case TRANSLATE -> translating++;
                case BYPASS -> bypass++;
                default -> blocked++;
            }
        }
        return new Summary(translating, bypass, blocked);
    }

    /** @return how stream {@code sid} differs from what the record says it runs, or null */
    private static String disagreement(DartInstance dart, int sid, int tcr, Mode m, PreservedDomain pd) {
        if (pd == null) {
            return m == Mode.TRANSLATE ? String.format("translates (TCR 0x%x, TTBR[0] 0x%08x) but the record has no domain on it",
                    tcr, dart.hw.readTtbr(sid, 0)) : null;
        }
        switch (pd.type()) {
            case IDENTITY:
                return m == Mode.BYPASS ? null : String.format("the record has it in an identity domain (TCR 0x%x); the hardware"
                        + " holds TCR 0x%x", dart.variant.tcr().bypass(), tcr);
            case BLOCKED:
                return m == Mode.BLOCKED ? null : String.format("the record has it blocked (TCR 0x%x); the hardware holds TCR 0x%x",
                        dart.variant.tcr().disabled(), tcr);
            default:
                if (pd.table() == null) {
                    return "the record has it in paging domain " + pd.domain() + " without a table";
                }
                String bad = runs(dart, sid, pd.table());
                return bad == null ? null : "domain " + pd.domain() + " of the record: " + bad;
        }
    }

    /**
     * @return how stream {@code sid} differs from running {@code table} the way an attach programs
     *         it (TCR translate, FOUR_LEVEL for four levels; TTBR i = the i-th root, the rest 0), or null
     */
    static String runs(DartInstance dart, int sid, PageTableState table) {
        DartHw hw = dart.variant;
        int tcr = dart.hw.readTcr(sid);
        int wantTcr = hw.tcr().enabled() | (table.levels() == 4 ? hw.tcr().fourLevel() : 0);
        if (tcr != wantTcr) {
            return String.format("TCR 0x%x; a %d-level table needs 0x%x", tcr, table.levels(), wantTcr);
        }
        long[] roots = table.ttbrs();
        if (roots.length > hw.ttbr().count()) {
            return String.format("the table has %d TTBRs; the DART has %d per stream", roots.length, hw.ttbr().count());
        }
        for (int idx = 0; idx < hw.ttbr().count(); idx++) {
            int want = idx < roots.length ? hw.ttbr().value(roots[idx]) : 0;
            int got = dart.hw.readTtbr(sid, idx);
            if (got != want) {
                return String.format("TTBR[%d] 0x%08x; the table's is 0x%08x", idx, got, want);
            }
        }
        return null;
    }

    /**
     * @return why a translating stream's registers cannot be trusted (four levels on a DART that
     *         walks three, no valid TTBR[0], a valid TTBR pointing outside RAM or off a table), or null
     */
    private static String untrusted(DartInstance dart, int sid, int tcr) {
        DartHw hw = dart.variant;
        if ((tcr & hw.tcr().fourLevel()) != 0 && !dart.params.fourLevel()) {
            return String.format("TCR 0x%x asks for four levels; this DART walks three", tcr);
        }
        int ttbr0 = dart.hw.readTtbr(sid, 0);
        if ((ttbr0 & hw.ttbr().valid()) == 0) {
            return String.format("translates (TCR 0x%x) with no valid TTBR[0] (0x%08x)", tcr, ttbr0);
        }
        PhysicalMemory memory = dart.pdev.memory();
        long size = dart.pgsize();
        for (int idx = 0; idx < hw.ttbr().count(); idx++) {
            int v = dart.hw.readTtbr(sid, idx);
            if ((v & hw.ttbr().valid()) == 0) {
                continue;
            }
            long pa = hw.ttbr().address(v);
            if ((pa & (size - 1)) != 0) {
                return String.format("TTBR[%d] 0x%08x points at 0x%x, not a 0x%x-byte table", idx, v, pa, size);
            }
            if (!memory.isRam(pa) || !memory.isRam(pa + size - 1)) {
                return String.format("TTBR[%d] 0x%08x points at 0x%x, outside RAM", idx, v, pa);
            }
        }
        return null;
    }

    /**
     * The table stream {@code sid} translates through, as the hardware holds it: the valid TTBRs
     * from index 0 as roots, levels from TCR FOUR_LEVEL, the format of the variant, the
     * configuration probe and finalisation choose for this DART.
     *
     * @throws IommuException EIO when the stream does not translate, or its registers cannot be trusted
     */
    static PageTableState tableOf(DartInstance dart, int sid) {
        DartHw hw = dart.variant;
        int tcr = dart.hw.readTcr(sid);
        if (mode(dart, tcr) != Mode.TRANSLATE) {
            throw eio(dart, sid, String.format("does not translate (TCR 0x%x): the domain's table cannot be read from it", tcr));
        }
        String bad = untrusted(dart, sid, tcr);
        if (bad != null) {
            throw eio(dart, sid, bad);
        }
        List<Long> roots = new ArrayList<>();
        for (int idx = 0; idx < hw.ttbr().count(); idx++) {
            int v = dart.hw.readTtbr(sid, idx);
            if ((v & hw.ttbr().valid()) == 0) {
                break;
            }
            roots.add(hw.ttbr().address(v));
        }
        long[] ttbrs = new long[roots.size()];
        for (int i = 0; i < ttbrs.length; i++) {
            ttbrs[i] = roots.get(i);
        }
        int levels = hw.tcr().fourLevel() != 0 && (tcr & hw.tcr().fourLevel()) != 0 ? 4 : 3;
        return new PageTableState(hw.identity().pgtableFormat(), DartDomain.tableConfig(dart), ttbrs, levels, Map.of());
    }

    private static IommuException eio(DartInstance dart, int sid, String what) {
        return new IommuException(Errno.EIO, dart.node() + ": stream " + sid + ": " + what);
    }
}
