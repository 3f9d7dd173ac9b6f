package io.iommulab.smmu.model;

import static io.iommulab.smmu.model.SmmuRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.IotlbEntry;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.MmioWindow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ASID-tagged TLB through the registers: hits, stale entries, every invalidation, FIFO, syncs. */
class SmmuTlbTest {
    static final int ON = M | TRE | AFE | CFRE | CFIE;

    /** One machine and the software-side handles the tests use on it. */
    static final class Fixture {
        final SmmuRig rig;
        final MmioWindow w;
        final DmaMaster m;

        Fixture(SmmuRig rig) {
            this.rig = rig;
            this.w = rig.regs(SMMU0);
            this.m = rig.master(DMA0);
        }

        /** @return a 4 KiB data page filled with {@code fill} */
        long data(int fill) {
            long pa = rig.alloc(0x1000);
            rig.fill(pa, 0x1000, fill);
            return pa;
        }

        /** Bank {@code n} with fresh 4 KiB tables and {@code asid}, reached by SMR/S2CR {@code idx} for {@code sid}. */
        SmmuRig.Tables bank(int n, int asid, int idx, int sid) {
            SmmuRig.Tables t = rig.new Tables(12, 48);
            context(w, 8, n, t, asid, ON);
            stream(w, idx, sid, S2CR_TRANS | n);
            enable(w);
            return t;
        }

        long count(String name) {
            return rig.counter(SMMU0, name);
        }
    }

    private final Fixture f = new Fixture(new SmmuRig());
    private final SmmuRig rig = f.rig;
    private final MmioWindow w = f.w;
    private final DmaMaster m = f.m;

    private long data(int fill) {
        return f.data(fill);
    }

    private SmmuRig.Tables bank(int n, int asid, int idx, int sid) {
        return f.bank(n, asid, idx, sid);
    }

    private long count(String name) {
        return f.count(name);
    }

    /** What a tool sees through the machine's debug port: one TLB, each entry with its bank, ASID and leaf size. */
    @Test
    void iotlbEntriesShowBankAsidAndLeafSizeOldestFirst() {
        SmmuRig.Tables t = bank(0, 1, 0, 0x10);
        long page = data(0x0a);
        t.page(0x1000, page, false);
        t.block(0x20_0000, 2, RAM + 0x1000_0000L);
        assertEquals(List.of(), rig.machine.iotlbEntries(SMMU0));
        assertEquals(0x0a, dmaPeek(m, 0, 0x1008));
        dmaPeek(m, 0, 0x30_0000);
        assertEquals(List.of(new IotlbEntry(-1, 0, 1, 0x1000, page, 0x1000, Prot.READ),
                new IotlbEntry(-1, 0, 1, 0x20_0000, RAM + 0x1000_0000L, 0x20_0000, Prot.READ | Prot.WRITE)),
                rig.machine.iotlbEntries(SMMU0));
        w.writel(cb(8, 0, TLBIASID), 1);
        assertEquals(List.of(), rig.machine.iotlbEntries(SMMU0), "TLBIASID dropped ASID 1");
    }

    @Test
    void hitAfterWalkAndBlocksCoverTheirPages() {
        SmmuRig.Tables t = bank(0, 1, 0, 0x10);
        t.page(0x1000, data(0x0a));
        rig.fill(RAM + 0x1000_0000L, 0x20_0000, 0x0b);
        t.block(0x20_0000, 2, RAM + 0x1000_0000L);
        assertEquals(0x0a, dmaPeek(m, 0, 0x1000));
        assertEquals(Map.of("iotlb.hits", 0L, "iotlb.misses", 1L, "walks", 1L),
                Map.of("iotlb.hits", count("iotlb.hits"), "iotlb.misses", count("iotlb.misses"), "walks", count("walks")));
        assertEquals(0x0a, dmaPeek(m, 0, 0x1ff8));
        assertEquals(1L, count("iotlb.hits"));
        assertEquals(1L, count("walks"), "a hit does not walk");
        assertEquals(0x0b, dmaPeek(m, 0, 0x20_1000));
        assertEquals(0x0b, dmaPeek(m, 0, 0x3f_f000));
        assertEquals(0x0b, dmaPeek(m, 0, 0x30_0000));
        assertEquals(2L, count("walks"), "one entry covers the 2 MiB block");
        assertEquals(3L, count("iotlb.hits"));
        assertEquals(2L, count("iotlb.misses"));
    }

    @Test
    void staleEntrySurvivesUntilTlbivaLowWord() {
        SmmuRig.Tables t = bank(0, 0x21, 0, 0x10);
        long a = data(0xa1);
        long b = data(0xb1);
        t.page(0x5000, a);
        assertEquals(0xa1, dmaPeek(m, 0, 0x5000));
        t.page(0x5000, b);
        assertEquals(0xa1, dmaPeek(m, 0, 0x5000), "stale until invalidated");
        w.writel(cb(8, 0, TLBIVA + 4), 0x21 << 16);
        assertEquals(0xa1, dmaPeek(m, 0, 0x5000), "the high word alone does nothing");
        w.writel(cb(8, 0, TLBIVA), 0x5);
        assertEquals(0xb1, dmaPeek(m, 0, 0x5000), "the low word invalidates");
        assertEquals(1L, count("invalidations.va"));
        assertEquals(1L, count("invalidations"));

        t.page(0x5000, a);
        writeq(w, cb(8, 0, TLBIVAL), 0x21L << 48 | 0x5);
        assertEquals(0xa1, dmaPeek(m, 0, 0x5000), "TLBIVAL");
        t.page(0x5000, b);
        writeq(w, cb(8, 0, TLBIVA), 0x21L << 48 | 0x6);
        assertEquals(0xa1, dmaPeek(m, 0, 0x5000), "TLBIVA of another page");
        writeq(w, cb(8, 0, TLBIVAA), 0x7L << 48 | 0x5);
        assertEquals(0xb1, dmaPeek(m, 0, 0x5000), "TLBIVAA: any ASID");
        assertEquals(4L, count("invalidations.va"));
    }

    @Test
    void invalidationsByAsidAndVaLeaveOtherAsidsAlone() {
        SmmuRig.Tables t1 = bank(0, 1, 0, 0x10);
        SmmuRig.Tables t2 = bank(1, 2, 1, 0x11);
        long a1 = data(0xa1);
        long a2 = data(0xa2);
        long b1 = data(0xb1);
        long b2 = data(0xb2);
        t1.page(0x7000, a1);
        t2.page(0x7000, a2);
        assertEquals(0xa1, dmaPeek(m, 0, 0x7000));
        assertEquals(0xa2, dmaPeek(m, 1, 0x7000));
        t1.page(0x7000, b1);
        t2.page(0x7000, b2);
        writeq(w, cb(8, 0, TLBIVA), 1L << 48 | 0x7);
        assertEquals(0xb1, dmaPeek(m, 0, 0x7000));
        assertEquals(0xa2, dmaPeek(m, 1, 0x7000), "ASID 2 untouched by TLBIVA of ASID 1");
        w.writel(cb(8, 1, TLBIASID), 1);
        assertEquals(0xa2, dmaPeek(m, 1, 0x7000), "ASID 2 untouched by TLBIASID 1");
        w.writel(cb(8, 1, TLBIASID), 2);
        assertEquals(0xb2, dmaPeek(m, 1, 0x7000), "TLBIASID 2");
        assertEquals(2L, count("invalidations.asid"));
        assertEquals(1L, count("invalidations.va"));
        assertEquals(3L, count("invalidations"));
    }

    @Test
    void everyInvalidateAllCommand() {
        SmmuRig.Tables t = bank(2, 3, 0, 0x10);
        long a = data(0x1a);
        long b = data(0x1b);
        int[] commands = {cb(8, 2, TLBIALL), TLBIALLNSNH, TLBIALLH, TLBIVMID};
        for (int i = 0; i < commands.length; i++) {
            long from = i % 2 == 0 ? a : b;
            long to = i % 2 == 0 ? b : a;
            t.page(0x9000, from);
            w.writel(cb(8, 2, TLBIASID), 3);
            assertEquals(rig.peek(from), dmaPeek(m, 0, 0x9000));
            t.page(0x9000, to);
            assertEquals(rig.peek(from), dmaPeek(m, 0, 0x9000), "stale before command " + i);
            w.writel(commands[i], 0);
            assertEquals(rig.peek(to), dmaPeek(m, 0, 0x9000), "after command at 0x" + Integer.toHexString(commands[i]));
        }
        assertEquals(4L, count("invalidations.all"));
    }

    @Test
    void asidWidthFollowsTcr2As() {
        SmmuRig.Tables t = bank(3, 0x1ff, 0, 0x10);
        long a = data(0x3a);
        long b = data(0x3b);
        t.page(0x2000, a);
        assertEquals(0x3a, dmaPeek(m, 0, 0x2000));
        t.page(0x2000, b);
        w.writel(cb(8, 3, TLBIASID), 0xff);
        assertEquals(0x3b, dmaPeek(m, 0, 0x2000), "8-bit ASIDs: 0x1ff is 0xff");

        w.writel(cb(8, 3, TCR2), 1 << 4);
        t.page(0x2000, a);
        w.writel(cb(8, 3, TLBIASID), 0x1ff);
        assertEquals(0x3a, dmaPeek(m, 0, 0x2000));
        t.page(0x2000, b);
        w.writel(cb(8, 3, TLBIASID), 0xff);
        assertEquals(0x3a, dmaPeek(m, 0, 0x2000), "16-bit ASIDs: 0xff is another ASID");
        w.writel(cb(8, 3, TLBIASID), 0x1ff);
        assertEquals(0x3b, dmaPeek(m, 0, 0x2000));
    }

    @Test
    void ttbrIsNotPartOfTheTag() {
        SmmuRig.Tables t = bank(4, 5, 0, 0x10);
        SmmuRig.Tables other = rig.new Tables(12, 48);
        t.page(0x3000, data(0x4a));
        other.page(0x3000, data(0x4b));
        assertEquals(0x4a, dmaPeek(m, 0, 0x3000));
        writeq(w, cb(8, 4, TTBR0), 5L << 48 | other.root);
        assertEquals(0x4a, dmaPeek(m, 0, 0x3000), "same ASID, new tables: stale until invalidated");
        w.writel(cb(8, 4, TLBIASID), 5);
        assertEquals(0x4b, dmaPeek(m, 0, 0x3000));
    }

    @Test
    void fifoReplacementAtCapacity() {
        Fixture small = new Fixture(new SmmuRig(options(SMMU0, "tlb-entries", "4")));
        SmmuRig.Tables t = small.bank(0, 1, 0, 0x10);
        long[] a = new long[5];
        for (int i = 0; i < 5; i++) {
            a[i] = small.data(0x50 + i);
            t.page(0x1_0000 + 0x1000L * i, a[i]);
        }
        long z = small.data(0x5f);
        for (int i = 0; i < 5; i++) {
            assertEquals(0x50 + i, dmaPeek(small.m, 0, 0x1_0000 + 0x1000L * i));
        }
        t.page(0x1_0000, z);
        t.page(0x1_4000, z);
        assertEquals(0x5f, dmaPeek(small.m, 0, 0x1_0000), "page 0 was evicted by page 4: walked again");
        assertEquals(0x54, dmaPeek(small.m, 0, 0x1_4000), "page 4 is still cached");
        assertEquals(0x52, dmaPeek(small.m, 0, 0x1_2000));
        assertEquals(0x53, dmaPeek(small.m, 0, 0x1_3000));
        assertEquals(6L, small.count("walks"));
        assertEquals(3L, small.count("iotlb.hits"));
        t.page(0x1_2000, z);
        assertEquals(0x51, dmaPeek(small.m, 0, 0x1_1000), "page 1 was evicted by page 0: walked again");
        assertEquals(0x5f, dmaPeek(small.m, 0, 0x1_2000), "... which evicted page 2");
    }

    @Test
    void noTlbWalksEveryTime() {
        Fixture none = new Fixture(new SmmuRig(options(SMMU0, "tlb-entries", "0")));
        SmmuRig.Tables t = none.bank(0, 1, 0, 0x10);
        t.page(0x1000, none.data(0x61));
        for (int i = 0; i < 3; i++) {
            assertEquals(0x61, dmaPeek(none.m, 0, 0x1000));
        }
        t.page(0x1000, none.data(0x62));
        assertEquals(0x62, dmaPeek(none.m, 0, 0x1000), "nothing cached, nothing stale");
        assertEquals(4L, none.count("walks"));
        assertEquals(0L, none.count("iotlb.hits"));
    }

    @Test
    void syncsComplete() {
        w.writel(cb(8, 1, TLBSYNC), 0);
        assertEquals(0, w.readl(cb(8, 1, TLBSTATUS)));
        w.writel(STLBGSYNC, 0);
        assertEquals(0, w.readl(STLBGSTATUS));
        assertEquals(2L, count("syncs"));
    }

    @Test
    void stuckSyncsKeepSactiveButInvalidationsStillHappen() {
        Fixture stuck = new Fixture(new SmmuRig(options(SMMU0, "sync-stuck", "true")));
        MmioWindow s = stuck.w;
        assertEquals(0, s.readl(cb(8, 2, TLBSTATUS)), "no sync issued yet");
        assertEquals(0, s.readl(STLBGSTATUS));
        s.writel(cb(8, 2, TLBSYNC), 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, s.readl(cb(8, 2, TLBSTATUS)), "SACTIVE never clears");
        }
        assertEquals(0, s.readl(cb(8, 3, TLBSTATUS)), "other banks did not sync");
        assertEquals(0, s.readl(STLBGSTATUS));
        s.writel(STLBGSYNC, 0);
        assertEquals(1, s.readl(STLBGSTATUS));

        SmmuRig.Tables t = stuck.bank(0, 1, 0, 0x10);
        t.page(0x1000, stuck.data(0x71));
        assertEquals(0x71, dmaPeek(stuck.m, 0, 0x1000));
        t.page(0x1000, stuck.data(0x72));
        w.writel(cb(8, 0, TLBIASID), 1);
        assertEquals(0x71, dmaPeek(stuck.m, 0, 0x1000), "a TLBI on another SMMU changes nothing here");
        s.writel(cb(8, 0, TLBIASID), 1);
        assertEquals(0x72, dmaPeek(stuck.m, 0, 0x1000), "the TLBI itself is done; only the sync hangs");
    }

    @Test
    void failNthLosesOneSyncsCompletionUntilTheNextSync() {
        io.iommulab.api.machine.FailNth fn = rig.machine.failNth();
        fn.arm(1, java.util.List.of(io.iommulab.api.machine.FailNth.SYNC_STUCK));
        w.writel(cb(8, 2, TLBSYNC), 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, w.readl(cb(8, 2, TLBSTATUS)), "SACTIVE stays set");
        }
        assertEquals(SMMU0, fn.state().where());
        assertEquals(0, w.readl(cb(8, 3, TLBSTATUS)), "other banks did not sync");
        w.writel(cb(8, 2, TLBSYNC), 0);
        assertEquals(0, w.readl(cb(8, 2, TLBSTATUS)), "the next sync of the bank completes");

        fn.arm(1, java.util.List.of());
        w.writel(STLBGSYNC, 0);
        assertEquals(1, w.readl(STLBGSTATUS), "a global sync is lost the same way");
        w.writel(STLBGSYNC, 0);
        assertEquals(0, w.readl(STLBGSTATUS));
    }
}
