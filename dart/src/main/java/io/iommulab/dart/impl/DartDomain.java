package io.iommulab.dart.impl;

import io.iommulab.api.driver.DomainGeometry;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.IotlbGather;
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
import java.util.concurrent.atomic.AtomicLongArray;

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
 * levels; {@code pgsizeBitmap}/{@code geometry} set at finalisation.
 */
final class DartDomain implements DomainOps {

    private final AppleDartDriver driver;
    private final Object initLock = new Object();
    private final DartInstance[] darts = new DartInstance[MasterCfg.MAX_DARTS_PER_DEVICE];
    private final AtomicLongArray[] sidmaps = new AtomicLongArray[MasterCfg.MAX_DARTS_PER_DEVICE];
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

    DartDomain(AppleDartDriver driver) {
        this.driver = driver;
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
            if (table.ops() != null) {
                return;
            }
            PageTableOps ops = allocTable(dart);
            PageTableState st = ops.state();
            String bad = checkTable(dart, st);
            if (bad != null) {
                ops.free();
                throw new IommuException(Errno.EINVAL, dart.node() + ": " + bad);
            }
            for (int i = 0; i < MasterCfg.MAX_DARTS_PER_DEVICE; i++) {
                StreamMap map = cfg.maps[i];
                darts[i] = map != null ? map.dart : null;
                sidmaps[i] = map != null ? new AtomicLongArray(map.sidmap) : null;
            }
            publishFlushMaps();
            state = st;
            pgsizeBitmap = st.config().pgsizeBitmap();
            long end = dart.params.ias() >= 64 ? -1L : (1L << dart.params.ias()) - 1;
            geometry = new DomainGeometry(0, end, true);
            table.install(ops);
        }
    }

    private PageTableOps allocTable(DartInstance dart) {
        String name = dart.variant.identity().pgtableFormat();
        PageTableFormat format = driver.format(name);
        PageTableConfig config = new PageTableConfig(dart.pgsize(), dart.params.ias(), dart.params.oas(), true, 0);
        String owner = "apple-dart:" + dart.node() + ":domain@" + Integer.toHexString(System.identityHashCode(this));
        return IoPgtable.alloc(format, config, new PageTableContext(dart.pdev.memory(), dart.pdev.pages(), owner, TlbFlushOps.NONE),
                dart.node());
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
                    sidmaps[i].getAndAccumulate(w, src[w], (a, b) -> a | b);
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
        PageTableOps ops = table.ops();
        if (ops != null) {
            ops.free();
        }
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
        return "apple-dart domain@" + Integer.toHexString(System.identityHashCode(this));
    }
}
