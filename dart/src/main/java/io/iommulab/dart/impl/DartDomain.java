package io.iommulab.dart.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.api.pgtable.TlbFlushOps;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.IoPgtable;
import io.iommulab.klib.PgtableDomain;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongBinaryOperator;

/**
 * A paging domain (struct apple_dart_domain, dart-facts §3.1–§3.3): its io-pgtable and the DARTs
 * and streams it is attached to, which every flush invalidates whole (the DART cannot invalidate
 * by address). DMA, DMA_FQ and UNMANAGED domains are all this; DMA_FQ runs strict because the
 * driver does not claim deferred flush ({@code capable} is not implemented).
 *
 * <p>Locking (dart-facts §3.4): {@code initLock} (the init mutex) makes finalisation happen once;
 * stream bitmaps are atomic and only grow (attach ORs the master's streams in, nothing removes
 * them, as upstream since detach_dev went away); map/unmap take no lock (the format installs
 * tables with compare-and-swap).
 *
 * <p>Fields: {@code driver} for the format lookup; {@code darts}/{@code sidmaps} the DART slots
 * copied from the first master (null = unused); {@code table} the io-pgtable half (map, unmap,
 * lookup; its table is installed at finalisation; freed once); {@code state} the table's roots and
 * levels; {@code pgsizeBitmap}/{@code geometry} set at finalisation (the table also knows the
 * format object it runs on and where it allocates, for a new version of the format to re-open it
 * there); {@code home} the DART the table was made for (its record names
 * the domain when it is attached to nothing); {@code id}/{@code type} the core's name for the domain
 * (iommu_domain_init, or the live update that handed it over), 0/null until told.
 */
final class DartDomain implements DomainOps {

    private final AppleDartDriver driver;
    private final Object initLock = new Object();
    private final DartInstance[] darts = new DartInstance[MasterCfg.MAX_DARTS_PER_DEVICE];
    private final AtomicLongArray[] sidmaps = new AtomicLongArray[MasterCfg.MAX_DARTS_PER_DEVICE];
    /**
     * Bitwise or, linked when the class is initialised (in a live update, while the new code
     * prepares) and not at its first attach, which a live update runs inside the blackout.
     */
    private static final LongBinaryOperator OR = (a, b) -> a | b;
    /**
     * Copies of {@code sidmaps} taken whenever streams are added: what every flush invalidates. The
     * flush runs after every map and unmap, so it reads one volatile array instead of copying the
     * atomic bitmaps each time; the arrays are never written after publication.
     */
    private volatile long[][] flushMaps = new long[0][];
    private final PgtableDomain table = new PgtableDomain(this);
    private volatile PageTableState state;
    private volatile long pgsizeBitmap;
    private volatile DomainGeometry geometry;
    private volatile DartInstance home;
    private volatile int id;
    private volatile DomainType type;

    DartDomain(AppleDartDriver driver) {
        this.driver = driver;
    }

    /** iommu_domain_init: the core's id and type of this domain, recorded when the driver preserves it. */
    @Override
    public void domainInit(int id, DomainType type) {
        this.id = id;
        this.type = type;
    }

    /**
     * apple_dart_finalize_domain: once, allocate the table with the first DART's page size, IAS and
     * OAS and take over the master's DART slots; the aperture is [0, 2^IAS − 1], forced.
     *
     * @throws IommuException EINVAL when the DART page is larger than the CPU page (bypass forced);
     *         ENODEV when the format is not available; ENOMEM when the format refuses (as upstream
     *         maps a failed alloc_io_pgtable_ops)
     */
    void finalizeDomain(MasterCfg cfg) {
        DartInstance dart = cfg.dart(0);
        if (dart.bypassForced()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: DART page size 0x%x is larger than the CPU page size 0x%x;"
                    + " only identity (bypass) can work", dart.node(), dart.pgsize(), dart.pdev.cpuPageSize()));
        }
        synchronized (initLock) {
            if (table.ops() == null) {
                PageTableFormat f = driver.format(dart.variant.identity().pgtableFormat());
                PageTableContext ctx = tableContext(dart);
                PageTableOps ops = IoPgtable.alloc(f, tableConfig(dart), ctx, dart.node());
                PageTableState st = ops.state();
                String bad = checkTable(dart, st);
                if (bad != null) {
                    ops.free();
                    throw new IommuException(Errno.EINVAL, dart.node() + ": " + bad);
                }
                takeSlots(cfg);
                publish(dart, f, ctx, st, ops);
            } else if (darts[0] == null) {
                // taken over in a live update while attached to nothing: the first master to attach
                // gives it its DARTs, which must run the table as it is
                String bad = fits(dart, state);
                if (bad != null) {
                    throw new IommuException(Errno.EINVAL, dart.node() + ": " + bad);
                }
                takeSlots(cfg);
                publishFlushMaps();
            }
        }
    }

    /**
     * Live update: this domain on the table a previous driver built, re-opened with the format
     * ({@code PageTableFormat.attach}: nothing allocated or cleared), with the same page size, IAS
     * and OAS, on the DARTs and streams it runs on ({@code slots}, possibly none: a domain attached
     * to nothing takes them at its next attach). The caller checked that those streams run this table.
     *
     * @param home the DART whose memory and page allocator the table uses (the first slot's, or the
     *             DART whose record named the domain)
     * @throws IommuException EINVAL when the table does not fit a DART, its format is not the
     *         variant's, or the format refuses the state; ENODEV when the format is not available
     */
    void restore(int id, DomainType type, DartInstance home, List<StreamMap> slots, PageTableState st) {
        for (StreamMap map : slots) {
            String bad = fits(map.dart, st);
            if (bad != null) {
                throw new IommuException(Errno.EINVAL, map.dart.node() + ": domain " + id + ": " + bad);
            }
        }
        String name = home.variant.identity().pgtableFormat();
        if (!name.equals(st.format())) {
            throw new IommuException(Errno.EINVAL, String.format("%s: domain %d: its table is of format %s; the %s variant uses %s",
                    home.node(), id, st.format(), home.variant.identity().name(), name));
        }
        PageTableFormat f = driver.format(name);
        PageTableContext ctx = tableContext(home);
        PageTableOps ops = IoPgtable.attach(f, st, ctx, home.node() + ": domain " + id);
        synchronized (initLock) {
            for (int i = 0; i < slots.size(); i++) {
                darts[i] = slots.get(i).dart;
                sidmaps[i] = new AtomicLongArray(slots.get(i).sidmap);
            }
            domainInit(id, type);
            publish(home, f, ctx, st, ops);
        }
    }

    /** Takes the master's DART slots as the domain's (apple_dart_finalize_domain's copy). Caller holds initLock. */
    private void takeSlots(MasterCfg cfg) {
        for (int i = 0; i < MasterCfg.MAX_DARTS_PER_DEVICE; i++) {
            StreamMap map = cfg.maps[i];
            darts[i] = map != null ? map.dart : null;
            sidmaps[i] = map != null ? new AtomicLongArray(map.sidmap) : null;
        }
    }

    /** The table goes live: flush maps, page sizes, aperture [0, 2^IAS − 1] forced; caller holds initLock. */
    private void publish(DartInstance dart, PageTableFormat f, PageTableContext ctx, PageTableState st, PageTableOps ops) {
        publishFlushMaps();
        home = dart;
        state = st;
        pgsizeBitmap = st.config().pgsizeBitmap();
        int ias = st.config().ias();
        geometry = new DomainGeometry(0, ias >= 64 ? -1L : (1L << ias) - 1, true);
        table.install(ops, f, ctx);
        driver.domainLive(this);
    }

    /** @return the io-pgtable configuration a DART's domains get: its page size, IAS and OAS, coherent walk */
    static PageTableConfig tableConfig(DartInstance dart) {
        return new PageTableConfig(dart.pgsize(), dart.params.ias(), dart.params.oas(), true, 0);
    }

    private PageTableContext tableContext(DartInstance dart) {
        String owner = "apple-dart:" + dart.node() + ":domain@" + Integer.toHexString(System.identityHashCode(this));
        return new PageTableContext(dart.pdev.memory(), dart.pdev.pages(), owner, TlbFlushOps.NONE);
    }

    /** @return why {@code dart} cannot run this table as it is (page size, IAS, OAS, levels, TTBRs), or null */
    private static String fits(DartInstance dart, PageTableState st) {
        PageTableConfig c = st.config();
        if (c.pgsizeBitmap() != dart.pgsize() || c.ias() != dart.params.ias() || c.oas() != dart.params.oas()) {
            return String.format("the table has page sizes 0x%x, IAS %d, OAS %d; the DART runs page 0x%x, IAS %d, OAS %d",
                    c.pgsizeBitmap(), c.ias(), c.oas(), dart.pgsize(), dart.params.ias(), dart.params.oas());
        }
        return checkTable(dart, st);
    }

    /** @return why the table cannot be programmed into this DART, or null (upstream WARNs) */
    private static String checkTable(DartInstance dart, PageTableState st) {
        int levels = st.levels();
        if (levels != 3 && levels != 4) {
            return "page table has " + levels + " levels; the DART walks 3 or 4";
        }
        if (levels == 4 && !dart.params.fourLevel()) {
            return "page table has 4 levels; this DART walks 3";
        }
        if (st.ttbrs().length > dart.variant.ttbr().count()) {
            return "page table needs " + st.ttbrs().length + " TTBRs; the DART has " + dart.variant.ttbr().count() + " per stream";
        }
        return null;
    }

    /**
     * apple_dart_attach_dev_paging: finalise, add the master's streams (its DART slots must equal
     * the domain's, slot by slot), then per DART: TTBRs, TCR translate, invalidate the master's
     * streams. An EINVAL changes nothing.
     */
    @Override
    public void attachDev(IommuMaster dev) {
        table.checkLive();
        MasterCfg cfg = AppleDartDriver.masterCfg(dev);
        finalizeDomain(cfg);
        addStreams(dev, cfg);
        for (int i = 0; i < cfg.count(); i++) {
            setupTranslation(cfg.maps[i]);
        }
    }

    /** apple_dart_domain_add_streams, with every slot checked before any bitmap changes. */
    private void addStreams(IommuMaster dev, MasterCfg cfg) {
        for (int i = 0; i < MasterCfg.MAX_DARTS_PER_DEVICE; i++) {
            if (darts[i] != cfg.dart(i)) {
                throw new IommuException(Errno.EINVAL, String.format("%s: DART slot %d is %s; the domain's is %s", dev.name(), i,
                        cfg.dart(i) != null ? cfg.dart(i).node() : "empty", darts[i] != null ? darts[i].node() : "empty"));
            }
        }
        for (int i = 0; i < cfg.count(); i++) {
            long[] src = cfg.maps[i].sidmap;
            for (int w = 0; w < src.length; w++) {
                if (src[w] != 0) {
                    sidmaps[i].getAndAccumulate(w, src[w], OR);
                }
            }
        }
        publishFlushMaps();
    }

    private void publishFlushMaps() {
        synchronized (initLock) {
            int n = 0;
            while (n < MasterCfg.MAX_DARTS_PER_DEVICE && darts[n] != null) {
                n++;
            }
            long[][] maps = new long[n][];
            for (int i = 0; i < n; i++) {
                maps[i] = snapshot(i);
            }
            flushMaps = maps;
        }
    }

    private long[] snapshot(int i) {
        long[] map = Bitmap.zalloc(DartHw.MAX_STREAMS);
        for (int w = 0; w < map.length; w++) {
            map[w] = sidmaps[i].get(w);
        }
        return map;
    }

    /**
     * apple_dart_setup_translation: TTBRs first, then TCR, so the stream never translates through
     * a half-programmed table; then drop stale IOTLB entries of these streams. The flush result is
     * ignored, as upstream (the command function already reported it).
     */
    private void setupTranslation(StreamMap map) {
        PageTableState st = state;
        long[] ttbrs = st.ttbrs();
        DartInstance dart = map.dart;
        int i = 0;
        for (; i < ttbrs.length; i++) {
            dart.hw.hwSetTtbr(map.sidmap, i, ttbrs[i]);
        }
        for (; i < dart.variant.ttbr().count(); i++) {
            dart.hw.hwClearTtbr(map.sidmap, i);
        }
        dart.hw.hwEnableTranslation(map.sidmap, st.levels());
        dart.attached(map.sidmap, this);
        invalidate(dart, map.sidmap);
    }

    private void invalidate(DartInstance dart, long[] sidmap) {
        try {
            dart.hw.hwInvalidateTlb(sidmap);
        } catch (RuntimeException e) {
            // upstream: dev_err in the command function, return value ignored by every caller but reset
            driver.log().error("{}: {}", dart.node(), e.getMessage());
        }
    }

    /** apple_dart_domain_flush_tlb: every stream of the domain on each of its DARTs. */
    private void flushTlb() {
        long[][] maps = flushMaps;
        for (int i = 0; i < maps.length; i++) {
            invalidate(darts[i], maps[i]);
        }
    }

    @Override
    public long pgsizeBitmap() {
        return pgsizeBitmap;
    }

    @Override
    public DomainGeometry geometry() {
        return geometry;
    }

    /** @throws IommuException ENODEV while the domain has no table (never attached nor finalised) */
    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        return table.mapPages(iova, paddr, pgsize, pgcount, prot);
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        return table.unmapPages(iova, pgsize, pgcount, gather);
    }

    @Override
    public long iovaToPhys(long iova) {
        return table.iovaToPhys(iova);
    }

    @Override
    public void flushIotlbAll() {
        flushTlb();
    }

    /** The gather is not looked at: the DART only invalidates whole streams. */
    @Override
    public void iotlbSync(IotlbGather gather) {
        flushTlb();
    }

    /** Upstream flushes after every map too (a cached "no entry" must not outlive the map). */
    @Override
    public void iotlbSyncMap(long iova, long size) {
        flushTlb();
    }

    /** Frees the table; the hardware is untouched (the core attached the streams elsewhere first). */
    @Override
    public void free() {
        synchronized (initLock) { // waits for a finalisation in progress, so its table is freed too
            if (!table.markFreed()) {
                return;
            }
        }
        driver.domainGone(this);
        PageTableOps ops = table.ops();
        if (ops != null) {
            ops.free();
        }
    }

    /** @return the format object the table runs on, null before finalisation */
    PageTableFormat format() {
        return table.format();
    }

    /** @return the io-pgtable half, which a new version of the format re-opens ({@code PgtableFormats}) */
    PgtableDomain table() {
        return table;
    }

    /** @return the table's ops (what map and unmap run on), null before finalisation */
    PageTableOps tableOps() {
        return table.ops();
    }

    /**
     * @param sids the streams of one DART that run this domain now (none for a domain attached to nothing)
     * @return the domain as the driver's record keeps it; null when the core never named it or it has no
     *         table (the next version then reads it from the hardware)
     */
    PreservedDomain preserve(int[] sids) {
        PageTableState st = state;
        DomainType t = type;
        if (st == null || t == null || id == 0) {
            return null;
        }
        return new PreservedDomain(id, t, st, DartRecord.FORMAT_VERSION, sids);
    }

    /** @return true if a stream of one of its DARTs runs this domain now (its bitmaps only grow, so they may name more) */
    boolean attachedNow() {
        for (int i = 0; i < MasterCfg.MAX_DARTS_PER_DEVICE && darts[i] != null; i++) {
            DartInstance dart = darts[i];
            long[] map = snapshot(i);
            int n = dart.numStreams();
            for (int sid = Bitmap.findFirstBit(map, n); sid < n; sid = Bitmap.findNextBit(map, n, sid + 1)) {
                if (dart.attachedTo(sid) == this) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return the DART the table was made for (or re-opened on), null before finalisation */
    DartInstance home() {
        return home;
    }

    /** @return the table's state (roots, levels), null before finalisation; for tests and the shell */
    PageTableState tableState() {
        return state;
    }

    /** @return the streams attached on slot {@code i} as text */
    String streams(int i) {
        if (darts[i] == null) {
            return "";
        }
        return darts[i].node() + ":" + Bitmap.toText(snapshot(i), darts[i].numStreams());
    }

    @Override
    public String toString() {
        int n = id;
        return n != 0 ? "apple-dart domain " + n : "apple-dart domain@" + Integer.toHexString(System.identityHashCode(this));
    }
}
