package io.iommulab.compare.run;

import io.iommulab.api.dma.DmaDevice;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.api.dma.SgEntry;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.FaultResult;
import io.iommulab.compare.report.PatternResult;
import io.iommulab.compare.workload.Workload;
import io.iommulab.compare.workload.Workload.Direction;
import io.iommulab.compare.workload.Workload.Pattern;
import io.iommulab.compare.workload.WorkloadParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one workload on one lab (one backend's twin of the board) and measures it.
 *
 * <p>Buffers live in the lower half of the first RAM region, which the machine leaves to workloads
 * (the page allocator hands software the upper half), filled once with a known pattern that the
 * runner mirrors, so every DMA transfer's data can be checked. Costs come from the hardware
 * counters of every IOMMU of the lab (the MMIO counts from the detached machine's counting bus),
 * taken before and after each pattern: the DMA transfers add IOTLB hits, misses and walks but no
 * register accesses, so MMIO and invalidation figures are those of the DMA API map and unmap.
 */
public final class BackendRunner {
    private static final Logger LOG = LoggerFactory.getLogger(BackendRunner.class);
    /** Where the buffer window starts above the RAM base (clear of anything a board puts low). */
    static final long BUFFER_OFFSET = 0x100_0000L;
    /** The buffer window: the largest op plus a page of slack for unaligned random buffers. */
    static final int WINDOW = (int) (WorkloadParser.MAX_BUFFER + 0x4000);
    /** How far below a live mapping a "near" fault hits: four 16 KiB pages, inside the same leaf table. */
    static final long NEAR_DISTANCE = 0x10000;

    private final Lab lab;
    private final String backend;
    private final Workload workload;
    private long bufferBase;
    private byte[] mirror;

    public BackendRunner(Lab lab, String backend, Workload workload) {
        this.lab = lab;
        this.backend = backend;
        this.workload = workload;
    }

    /** Runs everything; a failure stops the run and is recorded in {@link BackendRun#error()}. */
    public BackendRun run() {
        List<IommuNodeDTO> iommus = lab.iommu().iommus();
        List<DeviceDTO> devices = lab.iommu().devices();
        List<DomainDTO> domains = lab.iommu().domains();
        Map<String, String> defaultTypes = new LinkedHashMap<>();
        for (DeviceDTO d : devices) {
            defaultTypes.put(d.node(), d.domainType() == null ? "none (" + d.state() + ")" : d.domainType());
        }
        Set<String> drivers = new TreeSet<>();
        iommus.forEach(i -> {
            if (i.driver() != null) {
                drivers.add(i.driver());
            }
        });
        long tablesAfterAttach = tableBytes();
        Map<String, String> caps = capabilities(domains);
        List<PatternResult> patterns = new ArrayList<>();
        List<FaultResult> faults = new ArrayList<>();
        String error = null;
        long[] peak = {tablesAfterAttach};
        try {
            List<String> run = runDevices(devices);
            prepareBuffers();
            // Warm-up: every pattern once at a quarter of its count, unmeasured, so that the first
            // backend does not pay for the JIT compiling the code paths all backends share.
            for (Pattern p : workload.patterns()) {
                pattern(p, run, Math.max(1, p.count() / 4), new long[1]);
            }
            for (Pattern p : workload.patterns()) {
                PatternResult r = pattern(p, run, p.count(), peak);
                Progress.LOG.info("compare: {}: {}: {} ops on {} device(s), {} MMIO writes/op, {} invalidations/op, {} data errors",
                        backend, p.name(), r.ops(), run.size(), String.format("%.2f", r.mmioWritesPerOp()),
                        String.format("%.2f", r.invalidationsPerOp()), r.dataErrors());
                patterns.add(r);
            }
            for (Workload.Fault f : workload.faults()) {
                faults.add(fault(f, run));
            }
        } catch (IommuException e) {
            error = e.getMessage();
            LOG.warn("compare: {}: run stopped: {}", backend, error);
        }
        SanitizerDTO sanitizer = lab.iommu().sanitizer();
        return new BackendRun(backend, List.copyOf(drivers), error, iommus, devices, lab.iommu().groups(), domains,
                defaultTypes, caps, patterns, faults, tablesAfterAttach, peak[0], sanitizer.enabled() ? sanitizer : null);
    }

    /** The facts of the default domains a reader compares first: page sizes, aperture, types. */
    private static Map<String, String> capabilities(List<DomainDTO> domains) {
        Set<String> bitmaps = new LinkedHashSet<>();
        Set<String> apertures = new LinkedHashSet<>();
        Set<String> types = new LinkedHashSet<>();
        for (DomainDTO d : domains) {
            types.add(d.type());
            if (d.pgsizeBitmap() != 0) {
                bitmaps.add(String.format("0x%x", d.pgsizeBitmap()));
                apertures.add(String.format("0x%x-0x%x", d.apertureStart(), d.apertureEnd()));
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("domain types", String.join(" ", types));
        out.put("page sizes", bitmaps.isEmpty() ? "-" : String.join(" ", bitmaps));
        out.put("aperture", apertures.isEmpty() ? "-" : String.join(" ", apertures));
        return out;
    }

    /** The workload's devices, or every master that probed with a domain and issues DMA. */
    private List<String> runDevices(List<DeviceDTO> devices) {
        List<String> out = new ArrayList<>();
        if (workload.devices().isEmpty()) {
            for (DeviceDTO d : devices) {
                if (d.domain() != null && lab.machine().master(d.node()).isPresent()) {
                    out.add(d.node());
                }
            }
        } else {
            for (String name : workload.devices()) {
                DmaDevice dd = lab.dma().device(name);
                out.add(dd.name());
            }
        }
        if (out.isEmpty()) {
            throw new IommuException(Errno.ENODEV, "no master probed with a domain on this board: nothing to run");
        }
        return out;
    }

    private void prepareBuffers() {
        RamRegion r = lab.machine().ram().get(0);
        long lowerHalf = (r.size() / 2) & -PageAllocator.PAGE_SIZE;
        if (lowerHalf < BUFFER_OFFSET + WINDOW) {
            throw new IommuException(Errno.ENOMEM, String.format(
                    "RAM 0x%x+0x%x leaves no 0x%x-byte buffer window for the workload", r.base(), r.size(), WINDOW));
        }
        bufferBase = r.base() + BUFFER_OFFSET;
        mirror = new byte[WINDOW];
        new SplittableRandom(0x10_33_1AB).nextBytes(mirror);
        lab.machine().memory().write(bufferBase, mirror, 0, WINDOW);
    }

    // ---- patterns ----

    /** Runs {@code count} ops of a pattern on every device and measures them. */
    private PatternResult pattern(Pattern p, List<String> devices, int count, long[] peakAll) {
        Map<String, Long> before = counters();
        SplittableRandom rnd = new SplittableRandom(p.seed());
        long ops = 0;
        long bytes = 0;
        long verified = 0;
        long errors = 0;
        long peak = tableBytes();
        DmaDirection dir = switch (p.dir()) {
            case TO_DEVICE -> DmaDirection.TO_DEVICE;
            case FROM_DEVICE -> DmaDirection.FROM_DEVICE;
            case BIDIRECTIONAL -> DmaDirection.BIDIRECTIONAL;
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            for (String dev : devices) {
                DmaDevice dd = lab.dma().device(dev);
                DmaMaster master = lab.machine().master(dev).orElseThrow();
                List<SgEntry> entries = entries(p, rnd);
                long len = entries.stream().mapToLong(SgEntry::length).sum();
                List<DmaSegment> segs;
                if (p.kind().equals("sg")) {
                    segs = dd.mapSg(entries, dir);
                } else {
                    SgEntry e = entries.get(0);
                    segs = List.of(new DmaSegment(dd.mapPage(e.paddr(), e.length(), dir), e.length()));
                }
                peak = Math.max(peak, tableBytes());
                try {
                    long v = transfer(master, entries, segs, p.dir());
                    if (v < 0) {
                        errors++;
                    } else {
                        verified += v;
                    }
                } finally {
                    if (p.kind().equals("sg")) {
                        dd.unmapSg(segs, dir);
                    } else {
                        dd.unmapPage(segs.get(0).dmaAddress(), segs.get(0).length(), dir);
                    }
                }
                ops++;
                bytes += len;
            }
        }
        // Lazy (flush-queue) domains invalidate later: count that work as part of the pattern.
        for (String dev : devices) {
            lab.dma().device(dev).flush();
        }
        long ns = Math.max(1, System.nanoTime() - t0);
        Map<String, Long> after = counters();
        peakAll[0] = Math.max(peakAll[0], peak);
        long hits = delta(before, after, "iotlb.hits");
        long misses = delta(before, after, "iotlb.misses");
        return new PatternResult(p.name(), p.kind(), devices, ops, bytes,
                per(delta(before, after, "mmio.reads"), ops), per(delta(before, after, "mmio.writes"), ops),
                per(delta(before, after, "invalidations"), ops), per(delta(before, after, "walks"), ops),
                hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses),
                ops * 1e9 / ns, bytes * 1e9 / ns / (1 << 20), verified, errors, peak);
    }

    /** The buffers of one op, inside the window (random ones at an unaligned offset, as drivers' buffers often are). */
    private List<SgEntry> entries(Pattern p, SplittableRandom rnd) {
        long[] sizes = p.sizes();
        List<SgEntry> out = new ArrayList<>();
        switch (p.kind()) {
            case "random" -> {
                long len = sizes[0] + rnd.nextLong(sizes[1] - sizes[0] + 1);
                long off = rnd.nextLong(0x4000) & ~0x3fL;
                out.add(new SgEntry(bufferBase + off, len));
            }
            case "sg" -> {
                long at = 0;
                for (long s : sizes) {
                    // Entries sit on their own pages, as a driver's list of separate buffers would.
                    at = (at + 0x3fff) & ~0x3fffL;
                    out.add(new SgEntry(bufferBase + at, s));
                    at += s;
                }
            }
            default -> out.add(new SgEntry(bufferBase, sizes[0]));
        }
        return out;
    }

    /**
     * The device moves the data: reads the buffers through their DMA addresses (to-device,
     * bidirectional) and checks them against the mirror, or writes new data and checks memory.
     *
     * @return bytes verified, or -1 if a transfer faulted or moved wrong data
     */
    private long transfer(DmaMaster master, List<SgEntry> entries, List<DmaSegment> segs, Direction dir) {
        byte[] expected = new byte[(int) entries.stream().mapToLong(SgEntry::length).sum()];
        int pos = 0;
        for (SgEntry e : entries) {
            System.arraycopy(mirror, (int) (e.paddr() - bufferBase), expected, pos, (int) e.length());
            pos += (int) e.length();
        }
        if (dir == Direction.FROM_DEVICE) {
            byte[] data = expected.clone();
            for (int i = 0; i < data.length; i++) {
                data[i] ^= 0x5a;
            }
            boolean ok = transactions(segs, (at, n, off) -> {
                DmaResult r = master.write(0, at, Arrays.copyOfRange(data, off, off + n));
                if (!r.ok()) {
                    LOG.warn("compare: {}: {} DMA write at 0x{} faulted: {}", backend, master.name(), Long.toHexString(at), r.fault());
                }
                return r.ok();
            });
            if (!ok) {
                restore(entries);
                return -1;
            }
            boolean same = true;
            int o = 0;
            for (SgEntry e : entries) {
                byte[] mem = new byte[(int) e.length()];
                lab.machine().memory().read(e.paddr(), mem, 0, mem.length);
                same &= Arrays.equals(mem, 0, mem.length, data, o, o + mem.length);
                o += mem.length;
            }
            restore(entries);
            return same ? data.length : -1;
        }
        boolean ok = transactions(segs, (at, n, off) -> {
            DmaResult r = master.read(0, at, n);
            boolean good = r.ok() && Arrays.equals(r.data(), 0, n, expected, off, off + n);
            if (!good) {
                LOG.warn("compare: {}: {} DMA read at 0x{}: {}", backend, master.name(), Long.toHexString(at),
                        r.ok() ? "wrong data" : "fault " + r.fault());
            }
            return good;
        });
        if (!ok) {
            return -1;
        }
        return expected.length;
    }

    /** One device transaction: {@code len} bytes at {@code iova}, {@code off} bytes into the transfer. */
    private interface Transaction {
        boolean run(long iova, int len, int off);
    }

    /**
     * Splits a transfer into device transactions of at most one burst, never across a burst
     * boundary, as a DMA engine issues them; stops at the first that fails.
     */
    private boolean transactions(List<DmaSegment> segs, Transaction t) {
        int burst = workload.burst();
        int off = 0;
        for (DmaSegment s : segs) {
            for (long done = 0; done < s.length(); ) {
                long at = s.dmaAddress() + done;
                int n = (int) Math.min(s.length() - done, burst - (at & (burst - 1)));
                if (!t.run(at, n, off)) {
                    return false;
                }
                done += n;
                off += n;
            }
        }
        return true;
    }

    /** Puts the mirror's bytes back after a device wrote (the CPU side; no IOMMU involved). */
    private void restore(List<SgEntry> entries) {
        for (SgEntry e : entries) {
            lab.machine().memory().write(e.paddr(), mirror, (int) (e.paddr() - bufferBase), (int) e.length());
        }
    }

    // ---- faults ----

    private FaultResult fault(Workload.Fault f, List<String> devices) {
        String dev = f.device().isEmpty() ? devices.get(0) : lab.dma().device(f.device()).name();
        DeviceDTO d = lab.iommu().devices().stream().filter(x -> x.node().equals(dev)).findFirst()
                .orElseThrow(() -> new IommuException(Errno.ENODEV, "fault: no device " + dev));
        long iova = f.iova();
        DmaDevice dd = lab.dma().device(dev);
        long live = -1;
        if (iova < 0) {
            // Next to a live mapping: the tables down to the leaf exist, so both designs report a
            // missing leaf entry at the same IOVA (below: the DMA API allocates top-down).
            live = dd.mapPage(bufferBase, 0x1000, DmaDirection.TO_DEVICE);
            iova = (live & ~0xffffL) - NEAR_DISTANCE;
        }
        int seen = lab.iommu().faults().size();
        DmaMaster master = lab.machine().master(dev).orElseThrow();
        DmaResult r = f.write() ? master.write(0, iova, new byte[8]) : master.read(0, iova, 8);
        if (live >= 0) {
            dd.unmapPage(live, 0x1000, DmaDirection.TO_DEVICE);
        }
        List<FaultDTO> all = lab.iommu().faults();
        List<FaultDTO> fresh = all.subList(Math.min(seen, all.size()), all.size());
        FaultDTO first = fresh.isEmpty() ? null : fresh.get(0);
        String modelFault = r.ok() ? "none: the transaction completed (" + d.domainType() + " domain)" : r.fault();
        Progress.LOG.info("compare: {}: fault at 0x{} from {}: hardware {}, driver {}", backend, Long.toHexString(iova), dev, modelFault,
                first == null ? "reported nothing" : first.reason());
        return new FaultResult(dev, iova, f.write(), modelFault, fresh.size(), first == null ? null : first.reason(),
                first == null ? 0 : first.status(), first == null ? null : first.iommu(), first == null ? -1 : first.sid());
    }

    // ---- counters ----

    private Map<String, Long> counters() {
        Map<String, Long> sum = new LinkedHashMap<>();
        for (IommuNodeDTO i : lab.iommu().iommus()) {
            lab.machine().hardwareCounters(i.node()).forEach((k, v) -> sum.merge(k, v, Long::sum));
        }
        return sum;
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
    }

    private static double per(long n, long ops) {
        return ops == 0 ? Double.NaN : (double) n / ops;
    }

    private long tableBytes() {
        return lab.machine().pages().pagesInUse() * PageAllocator.PAGE_SIZE;
    }
}
