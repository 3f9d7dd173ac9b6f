package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableState;
import java.util.Arrays;

/**
 * A paging domain of the test-iommu (= apple_dart_domain): its page table and the streams it is
 * attached to, whose IOTLBs every sync invalidates.
 *
 * <p>Fields: {@code name} for messages; {@code table} the page table; {@code attached} the streams,
 * as parallel arrays replaced wholesale under this object's lock (copy-on-write) so that syncs read
 * them without locking or allocating; {@code freed} set once {@link #free()} ran.
 */
final class TestDomain implements DomainOps {

    static final long PGSIZE_BITMAP = PAGE_SIZE | BLOCK_SIZE;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TestDomain.class);
    private static final DomainGeometry GEOMETRY = new DomainGeometry(0, APERTURE_END, true);

    /** Attached streams: {@code inst[i]} stream {@code sid[i]}. */
    private static final class Streams {
        static final Streams NONE = new Streams(new TestIommuInstance[0], new int[0]);
        final TestIommuInstance[] inst;
        final int[] sid;

        Streams(TestIommuInstance[] inst, int[] sid) {
            this.inst = inst;
            this.sid = sid;
        }
    }

    private final String name;
    private final TestPageTable table;
    private volatile Streams attached = Streams.NONE;
    private volatile boolean freed;

    TestDomain(String name, TestPageTable table) {
        this.name = name;
        this.table = table;
    }

    /** Attach: for every stream, point TTBR at the table, enable translation, then flush stale entries. */
    @Override
    public void attachDev(IommuMaster dev) {
        checkLive();
        MasterCfg cfg = TestIommuDriver.masterCfg(dev);
        for (int i = 0; i < cfg.instanceCount(); i++) {
            TestIommuInstance inst = cfg.instance(i);
            cfg.forEachStream(i, sid -> {
                inst.hw.setTtbr(sid, table.l1());
                inst.hw.setCtrl(sid, CTRL_TRANSLATE);
                inst.hw.invalidate(sid);
                DomainOps prev = inst.swapDomain(sid, this);
                if (prev != this) {
                    if (prev instanceof TestDomain) {
                        ((TestDomain) prev).dropStream(inst, sid);
                    }
                    addStream(inst, sid);
                }
            });
        }
    }

    private synchronized void addStream(TestIommuInstance inst, int sid) {
        Streams s = attached;
        int n = s.sid.length;
        TestIommuInstance[] insts = Arrays.copyOf(s.inst, n + 1);
        int[] sids = Arrays.copyOf(s.sid, n + 1);
        insts[n] = inst;
        sids[n] = sid;
        attached = new Streams(insts, sids);
    }

    /** Forgets a stream that moved to another domain. */
    synchronized void dropStream(TestIommuInstance inst, int sid) {
        Streams s = attached;
        for (int i = 0; i < s.sid.length; i++) {
            if (s.inst[i] == inst && s.sid[i] == sid) {
                int n = s.sid.length - 1;
                TestIommuInstance[] insts = Arrays.copyOf(s.inst, n);
                int[] sids = Arrays.copyOf(s.sid, n);
                if (i < n) {
                    insts[i] = s.inst[n];
                    sids[i] = s.sid[n];
                }
                attached = new Streams(insts, sids);
                return;
            }
        }
    }

    /** @return attached streams as "node:sid" pairs, for messages and tests */
    String attachedStreams() {
        Streams s = attached;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.sid.length; i++) {
            sb.append(i == 0 ? "" : " ").append(s.inst[i].name()).append(':').append(s.sid[i]);
        }
        return sb.toString();
    }

    /** @return the table as a live-update record keeps it (format "test-iommu": two levels, one root) */
    @Override
    public PageTableState pgtableState() {
        return new PageTableState(TestIommuDriver.SCHEMA, PageTableConfig.of(PGSIZE_BITMAP, IAS, OAS),
                new long[] {table.l1()}, 2, java.util.Map.of());
    }

    long l1() {
        return table.l1();
    }

    @Override
    public long pgsizeBitmap() {
        return PGSIZE_BITMAP;
    }

    @Override
    public DomainGeometry geometry() {
        return GEOMETRY;
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        checkLive();
        checkRange(iova, pgsize, pgcount);
        if ((paddr & (pgsize - 1)) != 0) {
            throw new IommuException(Errno.EINVAL, name + ": physical address 0x" + Long.toHexString(paddr)
                    + " is not aligned to the page size 0x" + Long.toHexString(pgsize));
        }
        if (paddr < 0 || ((paddr + pgsize * pgcount - 1) >>> OAS) != 0) {
            throw new IommuException(Errno.ERANGE, name + ": physical range 0x" + Long.toHexString(paddr)
                    + " + 0x" + Long.toHexString(pgsize * pgcount) + " exceeds the " + OAS + "-bit output size");
        }
        return table.map(iova, paddr, pgsize, pgcount, prot);
    }

    /**
     * unmap_pages. iommu_unmap() checks no aperture, and nothing is mapped outside it: an unmap
     * there unmaps nothing (0), one running past its end stops at the end, as io-pgtable's do.
     */
    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        checkLive();
        long inside = Long.compareUnsigned(iova, APERTURE_END) > 0 ? 0
                : Math.min(pgcount, Long.divideUnsigned(APERTURE_END - iova, Math.max(1, pgsize)) + 1);
        if (inside <= 0) {
            return 0;
        }
        checkRange(iova, pgsize, inside);
        long done = table.unmap(iova, pgsize, inside);
        if (done > 0 && gather != null) {
            gather.add(iova, done);
        }
        return done;
    }

    private void checkRange(long iova, long pgsize, long pgcount) {
        if (pgsize != PAGE_SIZE && pgsize != BLOCK_SIZE) {
            throw new IommuException(Errno.EINVAL, name + ": page size 0x" + Long.toHexString(pgsize)
                    + " is not in the bitmap 0x" + Long.toHexString(PGSIZE_BITMAP));
        }
        if ((iova & (pgsize - 1)) != 0) {
            throw new IommuException(Errno.EINVAL, name + ": IOVA 0x" + Long.toHexString(iova)
                    + " is not aligned to the page size 0x" + Long.toHexString(pgsize));
        }
        if (pgcount <= 0 || pgcount > (1L << IAS) / pgsize || !GEOMETRY.contains(iova, pgsize * pgcount)) {
            throw new IommuException(Errno.ERANGE, name + ": IOVA 0x" + Long.toHexString(iova) + " + " + pgcount
                    + " pages of 0x" + Long.toHexString(pgsize) + " is outside the aperture 0x0-0x"
                    + Long.toHexString(APERTURE_END));
        }
    }

    @Override
    public long iovaToPhys(long iova) {
        return freed ? 0 : table.iovaToPhys(iova);
    }

    /** flush_iotlb_all and iotlb_sync return nothing in Linux: an invalidation that timed out is logged, as upstream drivers do. */
    @Override
    public void flushIotlbAll() {
        invalidateLogged();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        if (gather != null && Long.compareUnsigned(gather.start(), gather.end()) > 0) {
            return;
        }
        invalidateLogged();
    }

    private void invalidateLogged() {
        try {
            invalidateAttached();
        } catch (IommuException e) {
            LOG.error("{}: {}", name, e.getMessage());
        }
    }

    @Override
    public void iotlbSyncMap(long iova, long size) {
        invalidateAttached();
    }

    /** The hardware invalidates whole streams: flush every stream this domain is attached to. */
    private void invalidateAttached() {
        Streams s = attached;
        for (int i = 0; i < s.sid.length; i++) {
            s.inst[i].hw.invalidate(s.sid[i]);
        }
    }

    @Override
    public void free() {
        if (freed) {
            return;
        }
        freed = true;
        table.free();
    }

    private void checkLive() {
        if (freed) {
            throw new IommuException(Errno.EINVAL, name + ": domain was freed");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
