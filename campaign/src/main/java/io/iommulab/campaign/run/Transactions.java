package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.campaign.oracle.DomainModel;
import io.iommulab.campaign.op.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The third check: a DMA transaction of a master must move exactly the bytes the oracle says (all,
 * or up to the first page it may not reach, then fault), its data read back from memory (written
 * there first for a read), and a fault on a paging domain must reach the domain's fault handler.
 */
final class Transactions {
    private final Lab lab;
    private final Facts facts;
    private final World world;
    private final Counters counters;
    /** faults the driver reported, per domain (its fault handler counts them) */
    private final Map<IommuDomain, long[]> reported = new IdentityHashMap<>();

    Transactions(Lab lab, Facts facts, World world, Counters counters) {
        this.lab = lab;
        this.facts = facts;
        this.world = world;
        this.counters = counters;
    }

    /** Counts the faults reported to {@code d} (its fault handler; handled, so the drivers that log unhandled ones do not). */
    void watch(IommuDomain d) {
        long[] n = new long[1];
        reported.put(d, n);
        d.setFaultHandler((dom, f) -> {
            n[0]++;
            return true;
        });
    }

    /** {@code d} was freed. */
    void forget(IommuDomain d) {
        reported.remove(d);
    }

    private boolean inWindow(long off, long len) {
        return off >= 0 && len >= 0 && off + len <= facts.windowSize() && off + len >= off;
    }

    /** One piece of a transaction: {@code len} bytes at {@code pa}. */
    private record Piece(long pa, int len) {
    }

    Mismatch dma(Step step, Op.Dma op, SplittableRandom rnd) {
        Facts.Master m = facts.master(op.dev());
        if (m == null || op.stream() >= m.streams().size()) {
            return step.skip();
        }
        World.Current cur = world.current(m.group());
        Long at = resolve(m, cur, op.at());
        if (at == null) {
            return step.skip();
        }
        long iova = at;
        int len = op.len();
        if (cur.type() == DomainType.IDENTITY && !inWindow(iova - facts.windowBase(), len)) {
            return step.skip(); // an identity domain reaches all memory: keep to the window
        }
        step.ran(op.write() ? "dma-write" : "dma-read");
        // what the oracle says the transaction reaches, up to where it must fault
        List<Piece> pieces = new ArrayList<>();
        boolean ambiguous = false;
        int need = op.write() ? Prot.WRITE : Prot.READ;
        long a = iova;
        long end = iova + len;
        if (cur.type() == DomainType.IDENTITY) {
            pieces.add(new Piece(iova, len));
            a = end;
        } else if (cur.type().isPaging()) {
            while (a < end) {
                DomainModel.Run r = cur.model().lookup(a);
                if (r == null || (facts.perms(cur.signature(), r.prot()) & need) == 0) {
                    ambiguous = cur.model().pending(a);
                    break;
                }
                long to = Math.min(end, r.end());
                pieces.add(new Piece(r.pa() + (a - r.iova()), (int) (to - a)));
                a = to;
            }
        }
        int expectBytes = (int) (a - iova);
        DmaMaster master = lab.machine().master(m.path()).orElseThrow();
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        long faultsBefore = reported(cur.domain());
        DmaResult r;
        if (op.write()) {
            r = master.write(op.stream(), iova, data);
        } else {
            for (Piece p : pieces) {
                byte[] fill = new byte[p.len()];
                rnd.nextBytes(fill);
                lab.machine().memory().write(p.pa(), fill, 0, fill.length);
            }
            r = master.read(op.stream(), iova, len);
        }
        if (ambiguous) {
            counters.exposures++;
            return null;
        }
        Supplier<String> where = () -> String.format("%s stream %d (%s sid %d) %s of %d at 0x%x, domain %d (%s)",
                m.path(), op.stream(), m.streams().get(op.stream()).iommu(), m.streams().get(op.stream()).sid(),
                op.write() ? "write" : "read", len, iova, cur.domain().id(), cur.type());
        if (r.ok() != (expectBytes == len) || r.bytes() != expectBytes) {
            return step.fail("dma", String.format("%s: expected %s, got %s", where.get(),
                    expectBytes == len ? "all " + len + " bytes moved" : expectBytes + " bytes then a fault",
                    r.ok() ? "all moved" : r.bytes() + " bytes then fault " + r.fault()));
        }
        counters.dmaBytes += expectBytes;
        Mismatch bad = op.write() ? checkWritten(step, where, pieces, data) : checkRead(step, where, pieces, r.data());
        if (bad != null) {
            return bad;
        }
        if (expectBytes < len) {
            counters.faults++;
            if (cur.type().isPaging()) {
                if (reported(cur.domain()) != faultsBefore) {
                    counters.faultsReported++;
                } else if (reportedWithoutMaster(m.streams().get(op.stream()).iommu(), iova + expectBytes)) {
                    counters.faultsUnattributed++;
                } else {
                    return step.fail("fault-report", where.get() + ": the fault at 0x" + Long.toHexString(iova + expectBytes)
                            + " was not reported to the core");
                }
            }
        }
        return null;
    }

    /**
     * @return true if the core's last fault is this one, reported by the IOMMU without a master it
     *         could name (the T8020 DART's ERROR register has 4 stream bits: a usb4 stream of 16 or
     *         more is reported as another, dart-facts §1.7), so it reached no domain
     */
    private boolean reportedWithoutMaster(String iommu, long iova) {
        List<FaultDTO> all = lab.iommu().faults();
        if (all.isEmpty()) {
            return false;
        }
        FaultDTO f = all.get(all.size() - 1);
        return f.iommu().equals(iommu) && f.iova() == iova && f.domain() == null;
    }

    private long reported(IommuDomain d) {
        long[] n = reported.get(d);
        return n == null ? 0 : n[0];
    }

    /** @return the IOVA a target names now, or null when it names nothing (skipped) */
    private Long resolve(Facts.Master m, World.Current cur, Op.Target t) {
        switch (t.kind()) {
            case IOVA:
                return t.offset();
            case HANDLE: {
                World.Handle h = t.index() < World.HANDLES ? world.handles(m.path())[(int) t.index()] : null;
                if (h == null) {
                    return null;
                }
                return h.iova + Long.remainderUnsigned(t.offset(), Math.max(1, h.len));
            }
            default: {
                if (cur.type() == DomainType.IDENTITY) {
                    return facts.windowBase() + Long.remainderUnsigned(t.offset(), facts.windowSize());
                }
                if (cur.model() == null) {
                    return t.offset();
                }
                DomainModel.Run r = cur.model().pick(t.index());
                return r == null ? null : r.iova() + Long.remainderUnsigned(t.offset(), r.len());
            }
        }
    }

    /** A write moved {@code data}: memory at each piece must hold it (a later piece wins where two alias). */
    private Mismatch checkWritten(Step step, Supplier<String> where, List<Piece> pieces, byte[] data) {
        int off = 0;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            byte[] mem = new byte[p.len()];
            lab.machine().memory().read(p.pa(), mem, 0, mem.length);
            for (int j = 0; j < mem.length; j++) {
                if (mem[j] != data[off + j] && !overwritten(pieces, i, p.pa() + j)) {
                    return step.fail("data", String.format("%s: memory at 0x%x holds 0x%02x, the device wrote 0x%02x", where.get(),
                            p.pa() + j, mem[j] & 0xff, data[off + j] & 0xff));
                }
            }
            off += p.len();
        }
        return null;
    }

    private static boolean overwritten(List<Piece> pieces, int i, long pa) {
        for (int k = i + 1; k < pieces.size(); k++) {
            Piece q = pieces.get(k);
            if (pa >= q.pa() && pa < q.pa() + q.len()) {
                return true;
            }
        }
        return false;
    }

    /** A read moved what memory held at each piece. */
    private Mismatch checkRead(Step step, Supplier<String> where, List<Piece> pieces, byte[] got) {
        int off = 0;
        for (Piece p : pieces) {
            byte[] mem = new byte[p.len()];
            lab.machine().memory().read(p.pa(), mem, 0, mem.length);
            if (!Arrays.equals(mem, 0, mem.length, got, off, off + mem.length)) {
                return step.fail("data", String.format("%s: the device read other bytes than memory holds at 0x%x", where.get(),
                        p.pa()));
            }
            off += p.len();
        }
        return null;
    }
}
