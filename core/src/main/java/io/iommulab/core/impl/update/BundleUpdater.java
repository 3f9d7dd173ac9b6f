package io.iommulab.core.impl.update;

import io.iommulab.api.IommuService;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.IommuCore;
import io.iommulab.core.impl.IommuCoreEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Updates a bundle while the machine runs, the way the deploy folder does it, and reports the live
 * updates it caused. The bundle is stopped for a moment only (so the core keeps what its drivers
 * run, see {@code docs/live-update.md}), its content replaced, the bundles wired to its old
 * exports refreshed, and started again: its drivers go away once and come back once. Then it waits
 * until every driver that left was taken over (or fell back) and returns those entries of
 * {@link IommuService#liveUpdates()}.
 *
 * <p>Does not need a booted machine: without the IOMMU core the bundle is updated and nothing is
 * reported.
 */
@Component(service = BundleUpdater.class)
public final class BundleUpdater {

    private static final Logger LOG = LoggerFactory.getLogger(BundleUpdater.class);
    /** how long the framework may take to refresh the bundles wired to the old exports */
    static final long REFRESH_TIMEOUT_MS = 60_000;
    /** beyond the core's live-update timeout, after which every driver that left has been taken over or released */
    private static final long SETTLE_MARGIN_MS = 10_000;

    /**
     * One bundle update.
     *
     * @param bundle      {@code io.iommulab.dart [9]}
     * @param from        its version before
     * @param to          its version after
     * @param source      where the new content came from (the file, or its own location)
     * @param refreshed   the other bundles refreshed because they were wired to its old exports
     * @param liveUpdates what the core recorded: one entry per driver replaced (or page-table swap)
     */
    public record Result(String bundle, String from, String to, String source, List<String> refreshed,
            List<LiveUpdateDTO> liveUpdates) {

        /** @return one line: what was updated, from and to, and what was refreshed with it */
        public String summary() {
            return bundle + ": " + from + " -> " + to + " from " + source
                    + (refreshed.isEmpty() ? "" : "; refreshed " + String.join(", ", refreshed))
                    + (liveUpdates.isEmpty() ? "; no IOMMU driver was replaced" : "");
        }
    }

    private final BundleContext context;
    private volatile IommuCoreEngine engine;
    /** guards {@link #finished} and {@link #last}; not the monitor the updates hold */
    private final Object doneLock = new Object();
    private long finished;
    private Result last;

    @Activate
    public BundleUpdater(BundleContext context) {
        this.context = context;
    }

    @Reference(service = IommuService.class, target = "(component.name=io.iommulab.core.impl.IommuCore)",
            cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindCore")
    void bindCore(IommuService core) {
        engine = ((IommuCore) core).engine();
    }

    void unbindCore(IommuService core) {
        if (engine == ((IommuCore) core).engine()) {
            engine = null;
        }
    }

    /**
     * {@code iommu:liveupdate BUNDLE [FILE]}.
     *
     * @param bundleArg an id or a Bundle-SymbolicName
     * @param fileArg   the new jar, or null to read the bundle's own location again
     */
    public Result update(String bundleArg, String fileArg) {
        Bundle b = BundleArgs.bundle(context, bundleArg);
        return update(b, fileArg == null ? null : BundleArgs.jarFor(fileArg, b));
    }

    /** @return the live updates recorded so far (empty without a booted machine) */
    public List<LiveUpdateDTO> liveUpdates() {
        IommuCoreEngine e = engine;
        return e == null ? List.of() : e.liveUpdates();
    }

    /**
     * Updates {@code b} from {@code file} (null: from its own location) and waits for the live
     * updates this causes. One update at a time.
     */
    public synchronized Result update(Bundle b, Path file) {
        if (b.getBundleId() == context.getBundle().getBundleId()) {
            // stopping it would end this very call: its context, its engine
            throw new IommuException(Errno.EINVAL, "argument BUNDLE: " + b.getSymbolicName() + " [" + b.getBundleId()
                    + "] is the bundle that updates; update it with: update " + b.getBundleId() + " [URL]");
        }
        IommuCoreEngine e = engine;
        long mark = e == null ? 0 : e.liveUpdateMark();
        String name = b.getSymbolicName() + " [" + b.getBundleId() + "]";
        String from = b.getVersion().toString();
        String source = file != null ? file.toString() : b.getLocation();
        boolean restart = !isFragment(b) && (b.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0;
        List<String> refreshed;
        try {
            if (restart) {
                // transient: it stays persistently started, which tells the core its drivers come back
                b.stop(Bundle.STOP_TRANSIENT);
            }
            try {
                replace(b, file);
            } catch (BundleException | IOException ex) {
                String again = restart && start(b) ? "; it runs its previous code again" : "";
                throw new IommuException(Errno.EIO, name + ": update from " + source + " failed: " + message(ex) + again);
            }
            refreshed = refresh(b);
            if (restart && b.getState() != Bundle.ACTIVE) {
                b.start(Bundle.START_TRANSIENT);
            }
        } catch (BundleException ex) {
            throw new IommuException(Errno.EIO, name + " was updated from " + source + " but does not start: " + message(ex));
        }
        List<LiveUpdateDTO> entries = e == null ? List.of() : settle(e, mark, name);
        Result r = new Result(name, from, b.getVersion().toString(), source, refreshed, entries);
        LOG.info("{}", r.summary());
        for (LiveUpdateDTO u : entries) {
            LOG.info("{}", LiveUpdateText.of(u));
        }
        synchronized (doneLock) {
            finished++;
            last = r;
            doneLock.notifyAll();
        }
        return r;
    }

    /**
     * Waits until {@code count} updates made here (by the shell or the deploy folder) have
     * finished since the start.
     *
     * @return the last one
     * @throws IommuException ETIMEDOUT if they do not within {@code timeoutMs}
     */
    public Result awaitUpdates(long count, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (doneLock) {
            try {
                while (finished < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IommuException(Errno.ETIMEDOUT, finished + " of " + count + " bundle updates finished within "
                                + timeoutMs + " ms");
                    }
                    TimeUnit.NANOSECONDS.timedWait(doneLock, left);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IommuException(Errno.ETIMEDOUT, "interrupted while waiting for " + count + " bundle updates");
            }
            return last;
        }
    }

    private static void replace(Bundle b, Path file) throws BundleException, IOException {
        if (file == null) {
            b.update();
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            b.update(in);
        }
    }

    /** @return true if it runs again */
    private static boolean start(Bundle b) {
        try {
            b.start(Bundle.START_TRANSIENT);
            return true;
        } catch (BundleException | IllegalStateException ex) {
            LOG.warn("{} [{}] does not start again after a failed update: {}", b.getSymbolicName(), b.getBundleId(),
                    message(ex));
            return false;
        }
    }

    /**
     * When other bundles are wired to the packages the old content exported, they are refreshed
     * (FrameworkWiring.refreshBundles, as {@code refresh} does), so that they and the new content
     * share one copy of those packages; this waits for it to finish.
     *
     * @return the bundles refreshed besides {@code b}
     */
    private List<String> refresh(Bundle b) throws BundleException {
        FrameworkWiring fw = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        if (!fw.getRemovalPendingBundles().contains(b)) {
            return List.of();
        }
        List<String> others = new ArrayList<>();
        for (Bundle d : fw.getDependencyClosure(List.of(b))) {
            if (d != b) {
                others.add(d.getSymbolicName() + " [" + d.getBundleId() + "]");
            }
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<FrameworkEvent> event = new AtomicReference<>();
        fw.refreshBundles(List.of(b), ev -> {
            event.set(ev);
            done.countDown();
        });
        try {
            if (!done.await(REFRESH_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IommuException(Errno.ETIMEDOUT, "the refresh of " + b.getSymbolicName() + " and " + others
                        + " did not finish within " + REFRESH_TIMEOUT_MS + " ms");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IommuException(Errno.ETIMEDOUT, "interrupted while refreshing " + b.getSymbolicName());
        }
        FrameworkEvent ev = event.get();
        if (ev.getType() == FrameworkEvent.ERROR) {
            throw new BundleException("refreshing " + others + " failed: "
                    + (ev.getThrowable() != null ? message(ev.getThrowable()) : "framework error"));
        }
        return others;
    }

    /** Every driver that left in this update has been taken over, or fell back: its entries. */
    private static List<LiveUpdateDTO> settle(IommuCoreEngine e, long mark, String name) {
        long timeoutMs = e.config().liveUpdateMs() + SETTLE_MARGIN_MS;
        try {
            if (!e.awaitLiveUpdates(TimeUnit.MILLISECONDS.toNanos(timeoutMs))) {
                throw new IommuException(Errno.ETIMEDOUT, name + " was updated, but its drivers' live updates did not end within "
                        + timeoutMs + " ms");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IommuException(Errno.ETIMEDOUT, "interrupted while waiting for the live updates of " + name);
        }
        return e.liveUpdatesSince(mark);
    }

    private static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    private static String message(Throwable t) {
        Throwable e = t;
        while (e.getCause() != null && (e.getMessage() == null || e instanceof BundleException)) {
            e = e.getCause();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
