package io.iommulab.bench;

import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.bench.LiveUpdateRig.Board;
import io.iommulab.bench.LiveUpdateRig.Takeover;
import io.iommulab.core.impl.LiveUpdatePhases;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The live update's blackout (issue 12: "the longest such wait is the blackout"): a plain main,
 * not JMH, because the figure is a distribution over single events, each of which changes the
 * state the next one starts from.
 *
 * <p>Per case it boots {@link LiveUpdateRig}, maps {@code --mappings} live DMA-API pages over the
 * masters ({@link LiveUpdateLoad}), starts the DMA and map/unmap threads, performs one update on
 * its own (the first after boot: classes of the core's takeover path load too), {@code --warmup}
 * updates, then {@code --updates} with the record handed over and as many without one (the new
 * code reads the hardware), the two interleaved so that drift of the machine hits both alike. A
 * pgtable case swaps the format under the DART drivers instead (no record is involved). Each update
 * is what a bundle update does ({@link LiveUpdateRig#updateDriver}); its blackout is the longest
 * of its takeovers' (the core's {@link LiveUpdateDTO#blackoutNs}: the domains paused to resumed),
 * and {@link LiveUpdatePhases} says where that takeover's time went, before and inside the pause.
 * {@code --code fresh} gives every update new classes, as Felix gives an updated bundle;
 * {@code same} reuses the compiled ones (the floor). {@link JvmPauses} tells which blackouts the JVM
 * stopped every thread in (GC, class unloading, deoptimisation).
 *
 * <p>Every takeover must be adopted with no mismatch and no fault, every transaction of the DMA
 * threads must land on its page and every call of the mappers succeed; else the bench exits 1.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.iommulab.bench.LiveUpdateBench [--cases dart-default,...]
 *      [--code fresh|same|fresh,same] [--updates 100] [--warmup 20] [--mappings N]
 *      [--dma-threads 1] [--mappers 1] [--pace-us 20] [--gap-ms 2]
 * </pre>
 * Cases: {@code dart-default}, {@code dart-usb4}, {@code smmu-default}, {@code smmu-usb4},
 * {@code pgtable-default}, {@code pgtable-usb4} (the backend, then the board). {@code --mappings}
 * defaults to 1,000 on the default board and 10,000 on the usb4 board.
 */
public final class LiveUpdateBench {

    static final List<String> CASES = List.of("dart-default", "dart-usb4", "smmu-default", "smmu-usb4", "pgtable-default",
            "pgtable-usb4");

    private final Map<String, String> opts = new LinkedHashMap<>();
    private final List<String> summary = new ArrayList<>();
    private JvmPauses jvm;

    private LiveUpdateBench(String[] args) {
        opts.put("cases", String.join(",", CASES));
        opts.put("code", "fresh,same");
        opts.put("updates", "100");
        opts.put("warmup", "20");
        opts.put("mappings", "");
        opts.put("dma-threads", "1");
        opts.put("mappers", "1");
        opts.put("pace-us", "20");
        opts.put("gap-ms", "2");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !opts.containsKey(a.substring(2)) || i + 1 == args.length) {
                throw new IllegalArgumentException("unknown option or missing value: " + a + " (options: " + opts.keySet() + ")");
            }
            opts.put(a.substring(2), args[++i]);
        }
        for (String c : list("cases")) {
            if (!CASES.contains(c)) {
                throw new IllegalArgumentException("--cases: expected some of " + CASES + ", found " + c);
            }
        }
        for (String c : list("code")) {
            if (!c.equals("fresh") && !c.equals("same")) {
                throw new IllegalArgumentException("--code: expected fresh or same, found " + c);
            }
        }
        for (String k : List.of("updates", "warmup", "dma-threads", "mappers", "pace-us", "gap-ms")) {
            num(k);
        }
        if (!opts.get("mappings").isEmpty()) {
            num("mappings");
        }
    }

    private List<String> list(String key) {
        List<String> out = new ArrayList<>();
        for (String s : opts.get(key).split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private int num(String key) {
        try {
            int v = Integer.parseInt(opts.get(key));
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": expected a number ≥ 0, found " + opts.get(key));
        }
    }

    private static final Map<String, ToLongFunction<LiveUpdatePhases>> PHASES = new LinkedHashMap<>();

    static {
        PHASES.put("preserve (old code)", LiveUpdatePhases::preserveNs);
        PHASES.put("restore (instances)", LiveUpdatePhases::restoreNs);
        PHASES.put("masters (xlate/probe/group)", LiveUpdatePhases::mastersNs);
        PHASES.put("restoreDomain (domains)", LiveUpdatePhases::domainsNs);
        PHASES.put("= prepared, old code running", LiveUpdatePhases::prepareNs);
        PHASES.put("pause (gate drain)", LiveUpdatePhases::pauseNs);
        PHASES.put("rebind + attach", LiveUpdatePhases::attachNs);
        PHASES.put("resume", LiveUpdatePhases::resumeNs);
        PHASES.put("= blackout", LiveUpdatePhases::blackoutNs);
    }

    /** What one series of updates measured. */
    private static final class Series {
        final Samples blackout = new Samples();
        final Samples longestWait = new Samples();
        final Samples wall = new Samples();
        final Map<String, Samples> phases = new LinkedHashMap<>();
        /** each blackout's {start, end} (System.nanoTime), in the order of {@link #blackout} */
        final List<long[]> windows = new ArrayList<>();
        /** the blackouts during which the JVM stopped no thread; filled by {@link #classify} */
        final Samples unstopped = new Samples();

        Series() {
            for (String p : PHASES.keySet()) {
                phases.put(p, new Samples());
            }
        }

        void classify(JvmPauses jvm) {
            for (long[] w : windows) {
                if (!jvm.stoppedDuring(w[0], w[1])) {
                    unstopped.add(w[1] - w[0]);
                }
            }
        }

        /** @return how many blackouts a JVM stop (GC, class unloading, deoptimisation) fell into */
        int stopped() {
            return blackout.count() - unstopped.count();
        }
    }

    /** One update of the case's kind, checked, added to {@code s}. */
    private void once(LiveUpdateRig rig, LiveUpdateLoad load, boolean pgtable, boolean record, Series s) {
        rig.keepRecord = record;
        long t0 = System.nanoTime();
        List<Takeover> takeovers = pgtable ? rig.swapPgtable() : rig.updateDriver();
        long wall = System.nanoTime() - t0;
        if (takeovers.isEmpty()) {
            throw new IllegalStateException(rig.backend + " on the " + rig.board + " board: the update took nothing over");
        }
        Takeover longest = null;
        long longestWait = 0;
        long verified = 0;
        for (Takeover t : takeovers) {
            LiveUpdateDTO u = t.dto();
            String bad = !u.adopted() ? "not adopted: " + u.reason()
                    : u.mismatches() != 0 ? u.mismatches() + " mismatches"
                    : u.faultsDuringSwap() != 0 ? u.faultsDuringSwap() + " faults during the swap"
                    : !pgtable && u.fromRecord() != (record ? u.iommus().size() : 0) ? u.fromRecord() + " of "
                            + u.iommus().size() + " instances from a record"
                    : t.phases().blackoutNs() != u.blackoutNs() ? "phases " + t.phases()
                            + " do not sum to the blackout " + u.blackoutNs()
                    : null;
            if (bad != null) {
                throw new IllegalStateException(rig.backend + " on the " + rig.board + " board: " + bad + ": " + u);
            }
            verified += u.verified();
            longestWait = Math.max(longestWait, u.longestWaitNs());
            if (longest == null || u.blackoutNs() > longest.dto().blackoutNs()) {
                longest = t;
            }
        }
        if (!pgtable && verified < load.mappings()) {
            throw new IllegalStateException(rig.backend + " on the " + rig.board + " board: only " + verified + " of "
                    + load.mappings() + " live pages verified by the takeovers");
        }
        if (load.failures.get() != 0) {
            throw new IllegalStateException(rig.backend + " on the " + rig.board + " board: " + load.failures.get()
                    + " failed transactions or calls; the first: " + load.firstFailure.get());
        }
        long blackout = longest.dto().blackoutNs();
        s.blackout.add(blackout);
        s.longestWait.add(longestWait);
        s.wall.add(wall);
        long at = longest.phases().pausedAtNs();
        s.windows.add(new long[] {at, at + blackout});
        for (Map.Entry<String, ToLongFunction<LiveUpdatePhases>> p : PHASES.entrySet()) {
            s.phases.get(p.getKey()).add(p.getValue().applyAsLong(longest.phases()));
        }
    }

    private void sleep() throws InterruptedException {
        long gap = num("gap-ms");
        if (gap > 0) {
            Thread.sleep(gap);
        }
    }

    private void bench(String kase, boolean fresh) throws InterruptedException {
        String backend = kase.substring(0, kase.indexOf('-'));
        boolean pgtable = backend.equals("pgtable");
        Board board = kase.endsWith("-usb4") ? Board.USB4 : Board.DEFAULT;
        int mappings = opts.get("mappings").isEmpty() ? (board == Board.USB4 ? 10_000 : 1_000) : num("mappings");
        long boot0 = System.nanoTime();
        LiveUpdateRig rig = LiveUpdateRig.boot(pgtable ? LiveUpdateRig.DART : backend, board, fresh);
        String code = fresh ? "fresh" : "same";
        try (LiveUpdateLoad load = new LiveUpdateLoad(rig, mappings)) {
            System.out.printf("%n== %s, %s code: %s board, %d masters on DMA domains, %d live DMA-API pages,"
                    + " %d DMA + %d map/unmap threads (boot and map %d ms)%n", kase, code, rig.board, rig.masters.size(),
                    load.mappings(), num("dma-threads"), num("mappers"), (System.nanoTime() - boot0) / 1_000_000);
            if (load.checkEveryPage() != 0) {
                throw new IllegalStateException(kase + ": before any update: " + load.firstFailure.get());
            }
            load.start(num("dma-threads"), num("mappers"), num("pace-us") * 1000L);
            Series first = new Series();
            once(rig, load, pgtable, true, first);
            System.out.printf("first update after boot: blackout %.1f us, longest wait %.1f us%n", first.blackout.max() / 1e3,
                    first.longestWait.max() / 1e3);
            printPhases(first);
            long w0 = System.nanoTime();
            Series warm = new Series();
            for (int i = 0; i < num("warmup"); i++) {
                once(rig, load, pgtable, i % 2 == 0, warm);
                sleep();
            }
            System.out.printf("warm-up: %d updates in %d ms%n", num("warmup"), (System.nanoTime() - w0) / 1_000_000);
            long tx = load.transactions.get();
            long mu = load.mapUnmaps.get();
            long m0 = System.nanoTime();
            Series rec = new Series();
            Series hw = new Series();
            for (int i = 0; i < num("updates"); i++) {
                once(rig, load, pgtable, true, rec);
                sleep();
                if (!pgtable) {
                    once(rig, load, pgtable, false, hw);
                    sleep();
                }
            }
            long ms = (System.nanoTime() - m0) / 1_000_000;
            load.stopThreads();
            if (load.checkEveryPage() != 0 || load.failures.get() != 0) {
                throw new IllegalStateException(kase + ": after the updates: " + load.firstFailure.get());
            }
            System.out.printf("measured: %d updates in %d ms; meanwhile %d DMA transactions and %d map+unmap pairs, none"
                    + " failed; longest map+unmap pair %.1f us; every page lands on its tag after%n",
                    rec.blackout.count() + hw.blackout.count(), ms, load.transactions.get() - tx, load.mapUnmaps.get() - mu,
                    load.longestMapUnmapNs.get() / 1e3);
            System.out.printf("%-40s %8s %8s %8s %8s   (us)%n", "", "p50", "p99", "max", "mean");
            String r = pgtable ? "pgtable swap" : "record";
            print("blackout, " + r, rec.blackout);
            print("longest wait of a call, " + r, rec.longestWait);
            print("update wall time, " + r, rec.wall);
            if (!pgtable) {
                print("blackout, no record (reads the hw)", hw.blackout);
                print("longest wait of a call, no record", hw.longestWait);
                print("update wall time, no record", hw.wall);
            }
            jvm.catchUp();
            for (Series x : List.of(first, rec, hw)) {
                x.classify(jvm);
            }
            System.out.printf("blackouts the JVM stopped every thread in (GC, class unloading, deoptimisation): %d of %d%s;"
                    + " the longest of the others: %.1f us%n", rec.stopped(), rec.blackout.count(), pgtable ? "" : " (record), "
                    + hw.stopped() + " of " + hw.blackout.count() + " (no record)", rec.unstopped.max() / 1e3);
            summary.add(row(kase, code, r, first, rec));
            if (!pgtable) {
                System.out.printf("the longest without a JVM stop, no record: %.1f us%n", hw.unstopped.max() / 1e3);
                summary.add(row(kase, code, "no record", first, hw));
            }
            System.out.printf("where the time goes (%s):%n", r);
            printPhases(rec);
            if (!pgtable) {
                System.out.println("where the time goes (no record):");
                printPhases(hw);
            }
        } finally {
            rig.close();
        }
    }

    private static String row(String kase, String code, String what, Series first, Series s) {
        return String.format("| %s | %s | %s | %.0f | %.0f | %.0f | %d | %.0f | %.0f | %.0f%s |", kase, code, what,
                s.blackout.percentile(50) / 1e3, s.blackout.percentile(99) / 1e3, s.blackout.max() / 1e3, s.stopped(),
                s.unstopped.max() / 1e3, s.longestWait.max() / 1e3, first.blackout.max() / 1e3,
                first.stopped() > 0 ? " (JVM stop)" : "");
    }

    private static void printPhases(Series s) {
        for (Map.Entry<String, Samples> p : s.phases.entrySet()) {
            print("  " + p.getKey(), p.getValue());
        }
    }

    private static void print(String what, Samples s) {
        System.out.printf("%-40s %s%n", what, s.micros());
    }

    public static void main(String[] args) throws InterruptedException {
        LiveUpdateBench b;
        try {
            b = new LiveUpdateBench(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LiveUpdateBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        var rt = ManagementFactory.getRuntimeMXBean();
        List<String> gcs = new ArrayList<>();
        ManagementFactory.getGarbageCollectorMXBeans().forEach(g -> gcs.add(g.getName()));
        System.out.printf("JVM %s %s, %d CPUs, max heap %d MiB, flags %s, GC %s, load average %.2f%noptions %s%n",
                rt.getVmName(), Runtime.version(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, rt.getInputArguments(), gcs,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), b.opts);
        try (JvmPauses jvm = new JvmPauses()) {
            b.jvm = jvm;
            for (String code : b.list("code")) {
                for (String kase : b.list("cases")) {
                    b.bench(kase, code.equals("fresh"));
                }
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println("LiveUpdateBench: " + e.getMessage());
            System.exit(1);
        }
        System.out.printf("%n| case | code | handover | blackout p50 | p99 | max | JVM stops in | max without | longest wait"
                + " | first update |%n");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        b.summary.forEach(System.out::println);
        System.out.printf("(us; load average at the end %.2f)%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
