package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.Machine;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Updates one bundle back and forth between two builds while a {@link DmaLoad} runs (build A, the
 * reactor's jar, and build B, the same classes under another version: {@link BundleBuilds#rebuilt}),
 * as a user updates a bundle: {@link Bundle#update} and a refresh when its old revision is still
 * wired. After every update:
 * <ul>
 * <li>the new code drives every instance the bundle drove ({@code iommus()} origin names the new
 * version), or, for the page-table bundle, every live domain was moved to the new formats
 * ({@code LiveUpdateDTO.to} names the new version);</li>
 * <li>every live update since the previous one adopted the state: no fallback, no fault while the
 * versions changed, every DMA-API page translated as before (at least the load's, none
 * differently);</li>
 * <li>no call or transfer of the load failed, and the load goes on; every page of every long-lived
 * mapping translates as when it was mapped, by iova_to_phys and by DMA on every stream, and there
 * are no other mappings ({@link DmaLoad#verifyLiveMappings}); no fault at all was reported; groups
 * and domains keep their ids; one driver service per variant;</li>
 * <li>the table pages (by IOMMU) are as before the update, and no thread is left behind.</li>
 * </ul>
 * The first update is held open for a domain allocation, which must wait, not fail
 * ({@link #updateHeldOpen}): for the new driver, or for the new page-table format (a DART domain
 * needs it at allocation). Each live update says where the new code took each instance from: a
 * driver bundle's from the old code's record, the page-table bundle's from nowhere (the instances
 * keep their drivers). After the last one: the heap in use after a full GC is within
 * {@link #HEAP_GROWTH_BOUND} of what it was after the warm-up, and every replaced revision's class
 * loader was collected.
 */
final class UpdateLoop {

    /**
     * How much the used heap (after a full GC) may grow over the updates after the warm-up. A
     * leaked bundle revision keeps its class loader, its classes' statics, the driver objects and
     * the Felix revision (content, wiring, manifest), several hundred KiB; 100 of them are well
     * over this. Within it: the core's bounded histories filling up (trace ring, faults, 64 live
     * updates), caches of the framework and the JIT's data, a few MiB.
     */
    static final long HEAP_GROWTH_BOUND = 16L << 20;
    /** after this many updates the heap is measured: the classes of both builds loaded, the histories filling */
    private static final int WARM_UP = 2;
    static final String QUALIFIER_B = "buildb";

    /**
     * A bundle whose updates are live updates.
     *
     * @param artifactId       its reactor module
     * @param bsn              its symbolic name
     * @param pageTableFormats true for the page-table bundle: no driver is replaced, the drivers
     *                         move their live domains to the new formats
     */
    record Target(String artifactId, String bsn, boolean pageTableFormats) {
    }

    /** What the updates took: each live update's blackout and longest wait, the time, the heap. */
    record Stats(Target target, int updates, List<Long> blackoutsNs, List<Long> longestWaitsNs, long wallNs,
            long heapAfterWarmUp, long heapAtEnd, int revisionsKept) {

        String summary() {
            return String.format(Locale.ROOT, "%s: %d updates (%d live updates) in %.1f s; blackout p50 %s, p99 %s, max %s;"
                    + " longest wait max %s; heap after GC %+.1f MiB; old revisions kept %d", target.bsn(), updates,
                    blackoutsNs.size(), wallNs / 1e9, ms(percentile(blackoutsNs, 50)), ms(percentile(blackoutsNs, 99)),
                    ms(percentile(blackoutsNs, 100)), ms(percentile(longestWaitsNs, 100)),
                    (heapAtEnd - heapAfterWarmUp) / (double) (1 << 20), revisionsKept);
        }

        private static String ms(long ns) {
            return String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
        }

        /** nearest-rank percentile */
        static long percentile(List<Long> values, int p) {
            if (values.isEmpty()) {
                return 0;
            }
            List<Long> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int rank = (int) Math.ceil(p / 100.0 * sorted.size());
            return sorted.get(Math.max(0, rank - 1));
        }
    }

    private final BundleContext ctx;
    private final IommuService iommu;
    private final Machine m;
    private final DmaLoad load;
    private final Target target;
    private final Bundle bundle;
    /** what every update must keep: the instances driven, driver services, groups and domains, faults, threads */
    private final Set<String> instances;
    private final int drivers;
    private final Map<String, String> groups;
    private final long faultSeq;
    private final Map<String, Integer> threads;
    private final List<WeakReference<ClassLoader>> replaced = new ArrayList<>();
    private final List<Long> blackouts = new ArrayList<>();
    private final List<Long> waits = new ArrayList<>();

    /** Takes what the updates must keep, with the load running. */
    UpdateLoop(BundleContext ctx, IommuService iommu, Machine m, DmaLoad load, Target target) {
        this.ctx = ctx;
        this.iommu = iommu;
        this.m = m;
        this.load = load;
        this.target = target;
        this.bundle = Container.installed(ctx, target.bsn());
        this.instances = instances();
        if (instances.isEmpty()) {
            throw new AssertionError(target.bsn() + " drives nothing: " + iommu.iommus());
        }
        try {
            this.drivers = Container.services(ctx, IommuDriver.class);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        this.groups = groupsAndDomains(iommu);
        this.faultSeq = DartChecks.lastFaultSeq(iommu);
        this.threads = threadNames();
    }

    /**
     * Runs {@link #alternate} under {@code load} (closed after, which reads every mapping back), prints
     * the timings, and checks the end: every replaced revision was collected, and the heap grew by
     * less than {@link #HEAP_GROWTH_BOUND}.
     */
    static Stats alternateUnder(DmaLoad load, BundleContext ctx, IommuService iommu, Machine m, Target target, int updates,
            String master) throws Exception {
        Stats s = load.around(() -> new UpdateLoop(ctx, iommu, m, load, target).alternate(updates, master));
        System.out.println("live update timings " + s.summary());
        if (s.revisionsKept() != 0) {
            throw new AssertionError(target.bsn() + ": " + s.revisionsKept() + " of " + updates + " replaced revisions were not collected");
        }
        long growth = s.heapAtEnd() - s.heapAfterWarmUp();
        if (growth >= HEAP_GROWTH_BOUND) {
            throw new AssertionError(target.bsn() + ": the heap in use after GC grew by " + growth + " bytes over " + updates
                    + " updates (bound " + HEAP_GROWTH_BOUND + ")");
        }
        return s;
    }

    /**
     * Runs {@code updates} updates, A → B → A …, with B {@link BundleBuilds#rebuilt} from A; an even
     * number ends on build A. The first update is {@link #updateHeldOpen held open} for a domain
     * allocation.
     *
     * @param master the master the held-open update allocates a domain for
     * @return the timings and the heap
     */
    Stats alternate(int updates, String master) throws Exception {
        File jarA = Container.jar(target.artifactId());
        File jarB = BundleBuilds.rebuilt(target.artifactId(), QUALIFIER_B);
        if (!bundle.getVersion().equals(BundleBuilds.version(jarA))) {
            throw new AssertionError(target.bsn() + " runs " + bundle.getVersion() + ", not build A " + jarA);
        }
        long heapAfterWarmUp = 0;
        long t0 = System.nanoTime();
        for (int i = 1; i <= updates; i++) {
            String what = target.bsn() + " update " + i;
            File jar = i % 2 == 1 ? jarB : jarA;
            List<LiveUpdateDTO> made = i == 1 ? updateHeldOpen(what, jar, master) : update(what, jar);
            for (LiveUpdateDTO u : made) {
                // from one build to the other, each instance is handed over in a record the new code
                // knows and uses; a page-table swap takes no instance over
                int fromRecord = target.pageTableFormats() ? 0 : u.iommus().size();
                if (u.fromRecord() != fromRecord || u.fromHardware() != 0) {
                    throw new AssertionError(what + ": " + (fromRecord == 0 ? "no instance taken over" : "every instance from"
                            + " the old code's record, none from the hardware") + ": " + u);
                }
            }
            if (i == WARM_UP) {
                heapAfterWarmUp = usedHeapAfterGc();
            }
        }
        long wall = System.nanoTime() - t0;
        long heapAtEnd = usedHeapAfterGc();
        int kept = 0;
        for (WeakReference<ClassLoader> r : replaced) {
            kept += r.get() != null ? 1 : 0;
        }
        return new Stats(target, updates, List.copyOf(blackouts), List.copyOf(waits), wall, heapAfterWarmUp, heapAtEnd, kept);
    }

    /**
     * Updates the bundle to {@code jar} (and refreshes it if its old revision is still wired), then
     * checks the update.
     *
     * @return the live updates it made
     */
    List<LiveUpdateDTO> update(String what, File jar) throws Exception {
        return together(what, List.of(bundle), List.of(jar));
    }

    /**
     * Updates several bundles, the target's among them, then refreshes them together (as a user
     * updating a driver and a variant of it), then checks the update of the target.
     *
     * @return the live updates it made
     */
    List<LiveUpdateDTO> together(String what, List<Bundle> bundles, List<File> jars) throws Exception {
        Version expect = BundleBuilds.version(jars.get(bundles.indexOf(bundle)));
        return checked(what + " to " + target.bsn() + " " + expect, expect, () -> Container.updateTogether(ctx, bundles, jars));
    }

    /**
     * An update in steps, with a control-path call issued in between: the bundle is stopped
     * transiently (the old driver, or the page-table format, leaves; the core keeps the state), a
     * domain allocation for {@code master} is made ({@link WaitingCall}) and seen waiting in the core
     * ({@code IommuService.waitingCalls}), the bundle is updated to {@code jar} and refreshed if its
     * old revision is still wired (so the old code is gone from the framework before the new one
     * starts, as {@code iommu:liveupdate} does it), the call still waits, and the bundle is started
     * again. The call must complete (on the new code: the old one takes no new work) and a live update
     * must report it: one call waited, for some time.
     *
     * @return the live updates it made
     */
    List<LiveUpdateDTO> updateHeldOpen(String what, File jar, String master) throws Exception {
        Version expect = BundleBuilds.version(jar);
        String title = what + " (held open for a domain allocation) to " + target.bsn() + " " + expect;
        List<LiveUpdateDTO> made = checked(title, expect, () -> {
            bundle.stop(Bundle.STOP_TRANSIENT);
            WaitingCall call = WaitingCall.start(iommu, master);
            try {
                Container.await(() -> title + ": the " + call + " to wait in the core", call::waitingInCore);
                try (InputStream in = new FileInputStream(jar)) {
                    bundle.update(in);
                }
                Container.refreshIfPending(ctx, bundle);
                if (call.done()) {
                    throw new AssertionError(title + ": the " + call + " ended before the new code was started");
                }
            } finally {
                bundle.start(Bundle.START_TRANSIENT);
                call.join();
            }
        });
        if (made.stream().noneMatch(u -> u.callsWaited() == 1 && u.longestWaitNs() > 0)) {
            throw new AssertionError(title + ": no live update reports the wait of the domain allocation: " + made);
        }
        return made;
    }

    /** What an update does to the bundles. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code action}, which replaces the target's code by {@code expect}, and checks the update
     * (the class comment's list).
     */
    private List<LiveUpdateDTO> checked(String title, Version expect, Action action) throws Exception {
        long since = lastUpdateAt(iommu);
        Map<String, Long> pages = tablePages();
        replaced.add(new WeakReference<>(bundle.adapt(BundleWiring.class).getClassLoader()));
        action.run();
        String newCode = target.bsn() + " " + expect;
        Container.await(() -> title + ": the new code to drive " + instances + "; IOMMUs: " + iommu.iommus()
                + "; live updates: " + since(iommu, since), () -> newCodeDrives(newCode, since));
        List<LiveUpdateDTO> made = since(iommu, since);
        for (LiveUpdateDTO u : made) {
            check(title, u, load.dmaApiPages(u.iommus()));
            blackouts.add(u.blackoutNs());
            waits.add(u.longestWaitNs());
        }
        load.awaitProgress();
        load.verifyLiveMappings();
        if (DartChecks.lastFaultSeq(iommu) != faultSeq) {
            throw new AssertionError(title + ": faults reported: " + iommu.faults());
        }
        assertEquals(title + ": groups and domains keep their ids", groups, groupsAndDomains(iommu));
        assertEquals(title + ": driver services", drivers, Container.services(ctx, IommuDriver.class));
        Container.await(() -> title + ": table pages by IOMMU as before " + pages + ", now " + tablePages()
                + " (by owner " + m.pages().pagesByOwner() + ")", () -> pages.equals(tablePages()));
        Container.await(() -> title + ": no thread left behind: " + threadsAdded(),
                () -> threadsAdded().isEmpty());
        return made;
    }

    /** @return the IOMMU nodes the bundle's code drives (page-table bundle: every probed one) */
    private Set<String> instances() {
        Set<String> out = new TreeSet<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            boolean ours = target.pageTableFormats() ? n.origin() != null : n.origin() != null && n.origin().contains(target.bsn() + " ");
            if ("probed".equals(n.state()) && ours) {
                out.add(n.node());
            }
        }
        return out;
    }

    /**
     * @return true once every instance is probed and driven by {@code newCode} (the page-table bundle:
     *         the live updates since {@code since} moved every instance's domains to it)
     */
    private boolean newCodeDrives(String newCode, long since) {
        Map<String, IommuNodeDTO> nodes = new TreeMap<>();
        iommu.iommus().forEach(n -> nodes.put(n.node(), n));
        Set<String> moved = new TreeSet<>();
        for (LiveUpdateDTO u : since(iommu, since)) {
            if (u.to() != null && u.to().contains(newCode)) {
                moved.addAll(u.iommus());
            }
        }
        for (String path : instances) {
            IommuNodeDTO n = nodes.get(path);
            if (n == null || !"probed".equals(n.state())) {
                return false;
            }
            if (!target.pageTableFormats() && (n.origin() == null || !n.origin().contains(newCode))) {
                return false;
            }
            if (!moved.contains(path)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A live update adopted the state, saw no fault, and translated every DMA-API page as before:
     * none differently, and at least the {@code dmaApiPages} the load keeps behind its IOMMUs.
     */
    private static void check(String what, LiveUpdateDTO u, long dmaApiPages) {
        if (!u.adopted() || u.mismatches() != 0 || u.faultsDuringSwap() != 0 || u.verified() < Math.max(1, dmaApiPages)) {
            throw new AssertionError(what + ": every live update adopts the state, translates every DMA-API page as"
                    + " before (at least the load's " + dmaApiPages + " behind its IOMMUs, none differently) and sees no fault: " + u);
        }
    }

    /** @return when the latest live update happened ({@code LiveUpdateDTO.atNs}), or Long.MIN_VALUE */
    static long lastUpdateAt(IommuService iommu) {
        List<LiveUpdateDTO> all = iommu.liveUpdates();
        return all.isEmpty() ? Long.MIN_VALUE : all.get(all.size() - 1).atNs();
    }

    /** @return the live updates after {@code atNs} (the core keeps a bounded history, so by time, not by index) */
    static List<LiveUpdateDTO> since(IommuService iommu, long atNs) {
        List<LiveUpdateDTO> out = new ArrayList<>();
        for (LiveUpdateDTO u : iommu.liveUpdates()) {
            if (u.atNs() > atNs) {
                out.add(u);
            }
        }
        return out;
    }

    /** @return pages in use per IOMMU node (summing the owners that name it), and the other owners as they are */
    private Map<String, Long> tablePages() {
        List<String> nodes = iommu.iommus().stream().map(IommuNodeDTO::node).toList();
        Map<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, Long> e : m.pages().pagesByOwner().entrySet()) {
            String key = e.getKey();
            for (String n : nodes) {
                if (key.contains(n + ":") || key.endsWith(n)) {
                    key = n;
                    break;
                }
            }
            out.merge(key, e.getValue(), Long::sum);
        }
        out.values().removeIf(v -> v == 0);
        return out;
    }

    /** @return device → its group and domain (ids and type), which an update must not change */
    static Map<String, String> groupsAndDomains(IommuService iommu) {
        Map<String, String> out = new TreeMap<>();
        for (DeviceDTO d : iommu.devices()) {
            out.put(d.node(), "group " + d.group() + " domain " + d.domain() + " " + d.domainType());
        }
        return out;
    }

    /** @return how many live threads bear each name */
    static Map<String, Integer> threadNames() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] all = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(all, true)) == all.length) {
            all = new Thread[all.length * 2];
        }
        Map<String, Integer> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (all[i].isAlive()) {
                out.merge(all[i].getName(), 1, Integer::sum);
            }
        }
        return out;
    }

    /** @return the threads (by name, how many) there are now beyond those there were before the updates */
    private Map<String, Integer> threadsAdded() {
        Map<String, Integer> out = new TreeMap<>();
        threadNames().forEach((name, n) -> {
            int more = n - threads.getOrDefault(name, 0);
            if (more > 0) {
                out.put(name, more);
            }
        });
        return out;
    }

    /** @return bytes of heap in use after full collections (until a weakly held object is gone, twice) */
    static long usedHeapAfterGc() throws InterruptedException {
        for (int round = 0; round < 2; round++) {
            WeakReference<Object> sentinel = new WeakReference<>(new Object());
            for (int i = 0; sentinel.get() != null; i++) {
                if (i == 50) {
                    throw new AssertionError("System.gc() collects nothing (-XX:+DisableExplicitGC?)");
                }
                System.gc();
                Thread.sleep(20);
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void assertEquals(String what, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }
}
