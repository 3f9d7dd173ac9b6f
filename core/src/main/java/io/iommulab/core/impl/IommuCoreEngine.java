package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.core.impl.dma.DmaDebug;
import io.iommulab.core.impl.sanitize.IommuPages;
import io.iommulab.core.impl.sanitize.Sanitizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IOMMU core without OSGi (iommu.c + of_iommu.c): binds IOMMU nodes to drivers, probes and
 * defers masters, builds groups and default domains, attaches and detaches, and records trace
 * events. Lifecycle operations run under one lock; map/unmap, the DMA API's lookups and fault
 * reports do not take it.
 *
 * <p>It decides when things happen; the parts live beside it: {@link MasterProbe} probes and
 * releases masters (of_iommu_configure, iommu_probe_device, iommu_release_device, groups),
 * {@link Domains} allocates and frees domains, {@link LiveUpdate} hands a driver's state to its
 * next version ({@link UpdateDeadlines} times it), {@link Masters} finds a master by the name a
 * user gives, {@link CoreViews} turns the engine's state into the DTOs the shell shows,
 * {@link FaultReporter} is report_iommu_fault with the fault log, {@link Injections} is
 * {@code iommu:inject}, and {@link CoreSanitizerHost} is what the DMA sanitizer reads of it.
 */
public final class IommuCoreEngine implements IommuService {

    private static final Logger LOG = LoggerFactory.getLogger(IommuCoreEngine.class);
    static final int FAULT_HISTORY = 1024;
    /** attempts at a takeover that fails for want of memory or time before the state is unloaded */
    static final int ADOPT_ATTEMPTS = 3;

    private final Machine machine;
    /** the options; the settings of the PID change while the core runs ({@link #reconfigure}) */
    private volatile CoreConfig config;
    private final long startNs = System.nanoTime();
    private final TraceRing trace;
    private final FaultReporter faults;
    /** the blocks drivers hold from the page allocator (their tables), for the DMA sanitizer */
    private final IommuPages iommuPages;
    private final Sanitizer sanitizer;
    private final DmaDebug dmaDebug = new DmaDebug();

    private final Map<String, IommuInstance> instances = new LinkedHashMap<>();
    private final Masters masters;
    private final List<IommuDriver> drivers = new ArrayList<>();
    private final Domains domains;
    private final TreeMap<Integer, GroupImpl> groups = new TreeMap<>();
    private final MasterProbe probe;
    private final CoreViews views;
    private final LiveUpdate live = new LiveUpdate(this);
    /** the bundle each driver's code comes from, for listings and live-update reports */
    private final Map<IommuDriver, String> origins = new java.util.IdentityHashMap<>();
    /**
     * true while some bundle is being updated (stopped only for a while), when page-table code that
     * leaves is awaited ({@link #codeLeft}); outside OSGi nothing else takes code away
     */
    private java.util.function.BooleanSupplier updateInProgress = () -> true;
    /** the deadlines of the drivers waiting for their next version; no thread while none waits */
    private final UpdateDeadlines deadlines = new UpdateDeadlines();
    private final Injections injections;
    private boolean shutDown;

    public IommuCoreEngine(Machine machine, CoreConfig config) {
        this.machine = machine;
        this.config = config;
        this.trace = new TraceRing(config.traceEvents(), startNs, config.trace());
        this.faults = new FaultReporter(FAULT_HISTORY, startNs, trace);
        this.masters = new Masters(machine.masters());
        for (IommuHardware hw : machine.iommuHardware()) {
            instances.put(hw.node().path(), IommuInstance.of(hw, masters.all(), machine.failNth()));
        }
        this.injections = new Injections(instances);
        this.iommuPages = new IommuPages(machine.pages());
        this.sanitizer = new Sanitizer(machine, new CoreSanitizerHost(masters, instances, injections), trace, startNs, iommuPages);
        this.domains = new Domains(this, machine.failNth(), iommuPages, sanitizer, dmaDebug);
        this.views = new CoreViews(instances, masters, groups, domains.table(), this::originOf, live::isRetiring);
        if (config.sanitize()) {
            sanitizer.setEnabled(true, List.of());
        }
        this.probe = new MasterProbe(this, machine, instances, masters, groups, domains, trace);
        probe.probeAll();
    }

    /** @return the machine the core runs on (the DMA API allocates coherent buffers from its page allocator) */
    public Machine machine() {
        return machine;
    }

    /** @return what the DMA API has mapped and not undone (dma-debug), kept as long as the core */
    public DmaDebug dmaDebug() {
        return dmaDebug;
    }

    public CoreConfig config() {
        return config;
    }

    /**
     * Takes new settings while the core runs (its configuration changed), tearing nothing down:
     * the default domain type and strict mode are read when a group's default domain is set up,
     * so they apply to default domains made from now on; tracing and the ring's size change at
     * once. The options that are not settings (page size, live-update timeout, the sanitizer at
     * the start) must be those the core runs with.
     */
    public void reconfigure(CoreConfig next) {
        CoreConfig now = config;
        if (next.cpuPageSize() != now.cpuPageSize() || next.liveUpdateMs() != now.liveUpdateMs()
                || next.sanitize() != now.sanitize()) {
            throw new IllegalArgumentException("only the settings of " + CoreSettings.PID + " change at run time: " + next
                    + " vs " + now);
        }
        trace.resize(next.traceEvents());
        trace.setEnabled(next.trace());
        config = next;
    }

    public TraceRing traceRing() {
        return trace;
    }

    /** @return the DMA sanitizer (domains and the DMA API tell it what they map, unmap and flush) */
    public Sanitizer dmaSanitizer() {
        return sanitizer;
    }

    /** @return the record of what drivers hold from the page allocator, which hands them their allocators */
    IommuPages pageRecord() {
        return iommuPages;
    }

    // ---------------------------------------------------------------- drivers

    /** A driver service appeared (bus_set_iommu / platform_driver_register): bind what it matches, probe masters. */
    public void addDriver(IommuDriver driver) {
        addDriver(driver, null);
    }

    /**
     * A driver service appeared. If it is the next version of a driver whose bundle is being
     * updated, it takes over what the old one runs ({@link LiveUpdate}); then it binds what else it
     * matches and masters are probed.
     *
     * @param origin the bundle its code comes from (for listings), or null
     */
    public synchronized void addDriver(IommuDriver driver, String origin) {
        if (shutDown || drivers.contains(driver)) {
            return;
        }
        drivers.add(driver);
        if (origin != null) {
            origins.put(driver, origin);
        }
        LOG.debug("IOMMU driver {} registered (compatibles {})", driver.name(), driver.compatibles());
        IommuDriver old;
        while ((old = live.predecessorOf(driver, List.copyOf(instances.values()))) != null) {
            deadlines.cancel(old);
            LiveUpdate.Adoption a = takeOver(old, driver, origin);
            if (a.failure() != null) {
                LOG.warn("live update of {}: the new code could not take over the running state ({}); releasing it "
                        + "as on an unload and probing again", driver.name(), a.failure());
                teardown(old);
            }
            live.codeBack(old);
            origins.remove(old);
        }
        notifyAll();
        for (IommuInstance inst : instances.values()) {
            if (inst.available && inst.driver == null && inst.matchIndex(driver) >= 0
                    && !inst.failedDrivers.contains(driver)) {
                bind(inst, driver);
            }
        }
        probeMasters();
    }

    /**
     * The new driver takes over what the old one ran, in at most {@value #ADOPT_ATTEMPTS} attempts:
     * an attempt that failed for want of memory, a free slot or time (ENOMEM, ENOSPC, ETIMEDOUT)
     * changed nothing (the old code still runs the state, the new one let go of what it restored),
     * so another may succeed where an unload would lose every mapping; one that found the state
     * untrustworthy is final.
     */
    private LiveUpdate.Adoption takeOver(IommuDriver old, IommuDriver driver, String origin) {
        LiveUpdate.Adoption a = null;
        for (int attempt = 1; attempt <= ADOPT_ATTEMPTS; attempt++) {
            if (a != null) {
                LOG.warn("live update of {}: the new code could not take over the running state ({}), which the old code"
                        + " still runs; trying again (attempt {} of {})", driver.name(), a.failure(), attempt, ADOPT_ATTEMPTS);
                live.retireAgain(a.retiring());
            }
            a = live.adopt(old, driver, origin, List.copyOf(instances.values()), masters.all(), domains.all(),
                    a == null ? null : a.records());
            if (!a.transientFailure()) {
                break;
            }
        }
        return a;
    }

    /** A driver service goes away for good: {@link #removeDriver(IommuDriver, boolean)} without a live update. */
    public void removeDriver(IommuDriver driver) {
        removeDriver(driver, false);
    }

    /**
     * A driver service goes away. In a live update (its bundle is being updated) everything it runs
     * stays, served by the old code, until its next version takes over or the timeout passes;
     * otherwise every master it translates is released (their groups and domains go with them),
     * its IOMMU instances are removed, and the nodes are offered to the remaining drivers.
     */
    public synchronized void removeDriver(IommuDriver driver, boolean liveUpdate) {
        if (!drivers.remove(driver)) {
            return;
        }
        if (liveUpdate && !shutDown && drivesSomething(driver)) {
            live.retire(driver, origins.get(driver), faults.seq());
            LOG.info("IOMMU driver {} going away in a live update: its IOMMUs keep running on the old code until "
                    + "the next version takes over (at most {} ms)", driver.name(), config.liveUpdateMs());
            deadlines.schedule(driver, config.liveUpdateMs(), () -> expire(driver));
            return;
        }
        origins.remove(driver);
        LOG.debug("IOMMU driver {} going away", driver.name());
        teardown(driver);
    }

    private boolean drivesSomething(IommuDriver driver) {
        for (IommuInstance inst : instances.values()) {
            if (inst.driver == driver) {
                return true;
            }
        }
        return false;
    }

    /** The next version did not come in time: release what the old one ran, as on an unload. */
    private synchronized void expire(IommuDriver driver) {
        deadlines.cancel(driver);
        LiveUpdate.Retiring r = live.forget(driver);
        if (r == null) {
            return;
        }
        LOG.warn("live update of {}: no new version took over within {} ms; releasing its masters and resetting its "
                + "IOMMUs as on an unload", driver.name(), config.liveUpdateMs());
        live.expired(r, "no new version of " + driver.name() + " took over within " + config.liveUpdateMs() + " ms",
                List.copyOf(instances.values()), domains.all());
        origins.remove(driver);
        teardown(driver);
        notifyAll();
    }

    /** The unload: masters released, domains freed, instances removed (reset), nodes offered to other drivers. */
    private void teardown(IommuDriver driver) {
        live.codeBack(driver);
        for (int i = masters.all().size() - 1; i >= 0; i--) {
            MasterImpl m = masters.all().get(i);
            if (m.state == ProbeState.PROBED && m.driver == driver) {
                probe.release(m);
            }
        }
        for (DomainImpl d : domains.of(driver)) {
            domains.destroy(d, "driver " + driver.name() + " was removed");
        }
        for (IommuInstance inst : instances.values()) {
            inst.failedDrivers.remove(driver);
            if (inst.driver == driver) {
                platformRemove(inst);
            }
            if (inst.available && inst.driver == null && inst.failedDrivers.isEmpty()) {
                inst.state = ProbeState.DEFERRED;
                inst.reason = "no driver for " + inst.compatibleText();
            }
        }
        // other drivers that match now take the unbound nodes (best compatible first)
        bindUnbound();
        probeMasters();
    }

    /**
     * Waits while {@code driver} is being replaced in a live update, or while the page-table code
     * its domains need is away in one (control-path calls run on the new code; under the lock,
     * which the wait releases). The waiting call is counted for the live update's report.
     *
     * @throws IommuException ETIMEDOUT if the update did not finish within the timeout: the driver's
     *         from when the call began waiting, the page-table code's from when it left (it is then
     *         no longer awaited)
     */
    private void awaitLiveUpdate(IommuDriver driver) {
        if (!awaitsNewCode(driver)) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + config.liveUpdateTimeoutNs();
        live.waits.begin(driver, start);
        try {
            while (awaitsNewCode(driver)) {
                LiveUpdate.CodeAway away = live.retiringOf(driver) == null ? live.codeAway(driver) : null;
                long until = away == null ? deadline : away.sinceNs() + config.liveUpdateTimeoutNs();
                long left = until - System.nanoTime();
                if (left <= 0) {
                    throw away == null ? new IommuException(Errno.ETIMEDOUT, "waited " + config.liveUpdateMs()
                            + " ms for the live update of " + driver.name() + " to finish") : codeTimedOut(driver, away);
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IommuException(Errno.ETIMEDOUT, "interrupted while waiting for the live update of " + driver.name());
        } finally {
            live.waits.end(driver);
        }
    }

    private boolean awaitsNewCode(IommuDriver driver) {
        return live.isRetiring(driver) || live.codeAway(driver) != null;
    }

    /** No new version of the page-table code came in time: it is awaited no more, and the call fails. */
    private IommuException codeTimedOut(IommuDriver driver, LiveUpdate.CodeAway away) {
        if (expireCode(driver, away)) {
            probeMasters(); // those deferred for it fail now as the driver makes them
        }
        return new IommuException(Errno.ETIMEDOUT, driver.name() + ": no new version of " + away.what() + " came within "
                + config.liveUpdateMs() + " ms of it leaving in a bundle update");
    }

    /**
     * The page-table code is awaited no more (its timeout passed), with a WARN.
     *
     * @return false if it was not awaited any more already
     */
    private boolean expireCode(IommuDriver driver, LiveUpdate.CodeAway away) {
        if (live.codeBack(driver) == null) {
            return false;
        }
        LOG.warn("live update of {}: no new version of {} came within {} ms; calls that need it fail", driver.name(),
                away.what(), config.liveUpdateMs());
        return true;
    }

    /**
     * @return the page-table code of {@code driver} awaited now, null if none (or its timeout passed:
     *         then it expires; for a master being evaluated, which then probes)
     */
    LiveUpdate.CodeAway codeAwayNow(IommuDriver driver) {
        LiveUpdate.CodeAway away = live.codeAway(driver);
        if (away != null && System.nanoTime() - away.sinceNs() >= config.liveUpdateTimeoutNs()) {
            expireCode(driver, away);
            return null;
        }
        return away;
    }

    /** @return the master, after any live update of its driver (or of its page-table code) finished */
    private MasterImpl settled(String device) {
        MasterImpl m = masters.probed(device);
        while (awaitsNewCode(m.driver)) {
            awaitLiveUpdate(m.driver);
            m = masters.probed(device);
        }
        return m;
    }

    @Override
    public synchronized int waitingCalls() {
        return live.waits.waitingNow();
    }

    /**
     * Outside OSGi any page-table code that leaves is awaited; in OSGi only when it leaves in a
     * bundle update ({@code probe}: some bundle is stopped only for a while).
     */
    public synchronized void setUpdateInProgress(java.util.function.BooleanSupplier probe) {
        this.updateInProgress = java.util.Objects.requireNonNull(probe, "probe");
    }

    long faultSeq() {
        return faults.seq();
    }

    long startNs() {
        return startNs;
    }

    /** @return the bundle a driver's code comes from, or null */
    synchronized String originOf(IommuDriver driver) {
        return origins.get(driver);
    }

    @Override
    public synchronized List<io.iommulab.api.dto.LiveUpdateDTO> liveUpdates() {
        return live.history();
    }

    /** @return a mark for {@link #liveUpdatesSince}: how many live updates were recorded so far */
    public synchronized long liveUpdateMark() {
        return live.recorded();
    }

    /** @return the live updates recorded after {@code mark}, oldest first */
    public synchronized List<io.iommulab.api.dto.LiveUpdateDTO> liveUpdatesSince(long mark) {
        return live.since(mark);
    }

    /**
     * Waits until no driver waits for its next version: each one that left in a live update was
     * taken over, fell back, or was released when the live-update timeout passed.
     *
     * @return false if some still wait after {@code timeoutNs}
     */
    public synchronized boolean awaitLiveUpdates(long timeoutNs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNs;
        while (!live.retiring().isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /**
     * @return where the blackout of the last takeover (or driver swap under quiesced domains) went,
     *         phase by phase (for profiling; not in the service)
     */
    public synchronized LiveUpdatePhases liveUpdatePhases() {
        return live.lastPhases();
    }

    /**
     * PlatformDevice.codeLeft: the page-table code the instance's driver needs left; in a bundle
     * update its calls that need it wait for the new code (its next quiesce), at most the live-update
     * timeout from now.
     */
    synchronized void codeLeft(IommuInstance inst, String what) {
        IommuDriver driver = inst.driver;
        // a driver leaving in its own update drops its references too: its calls already wait
        if (driver == null || shutDown || live.isRetiring(driver) || !updateInProgress.getAsBoolean()) {
            return;
        }
        if (live.codeAway(driver) == null) {
            LOG.info("live update of {}: {} left; calls that need it wait for its next version (at most {} ms)",
                    driver.name(), what, config.liveUpdateMs());
        }
        live.codeLeft(driver, what, System.nanoTime());
    }

    /**
     * PlatformDevice.quiesceDomains: {@code swap} runs with every domain of the instance's driver
     * paused. It also brings the page-table code the driver's calls waited for: they go on, and
     * masters deferred meanwhile probe.
     */
    synchronized void quiesce(IommuInstance inst, String what, Runnable swap) {
        IommuDriver driver = inst.driver;
        List<DomainImpl> ds = domains.of(driver);
        List<IommuInstance> insts = new ArrayList<>();
        for (IommuInstance i : instances.values()) {
            if (i.driver == driver) {
                insts.add(i);
            }
        }
        try {
            live.quiesce(driver, what, insts, ds, swap);
        } finally {
            if (live.codeBack(driver) != null) {
                notifyAll();
                probeMasters();
            }
        }
    }

    /**
     * The machine's hardware changed: a model factory came or went (hardware plugged in or out).
     * An instance whose model went away is unbound as on driver removal (its masters released,
     * the driver's remove called); a node that gained a model is offered to the drivers.
     */
    public synchronized void hardwareChanged() {
        if (shutDown) {
            return;
        }
        Map<String, IommuHardware> now = new HashMap<>();
        for (IommuHardware hw : machine.iommuHardware()) {
            now.put(hw.node().path(), hw);
        }
        for (IommuInstance inst : instances.values()) {
            IommuHardware hw = now.get(inst.path);
            boolean modelled = hw != null && hw.model() != null;
            if (modelled == inst.modelled) {
                continue;
            }
            inst.modelled = modelled;
            // new hardware: earlier probe failures were against other (or no) hardware
            inst.failedDrivers.clear();
            if (!modelled && inst.driver != null) {
                LOG.info("{}: hardware model went away; unbinding {}", inst.path, inst.driver.name());
                unbind(inst);
            }
            if (inst.available && inst.driver == null) {
                inst.state = ProbeState.DEFERRED;
                inst.reason = modelled ? "no driver for " + inst.compatibleText()
                        : "no hardware model" + (hw != null && hw.reason() != null ? ": " + hw.reason() : "");
            }
        }
        bindUnbound();
        probeMasters();
    }

    /** Releases the masters translated by one instance, then lets its driver remove it. */
    private void unbind(IommuInstance inst) {
        for (int i = masters.all().size() - 1; i >= 0; i--) {
            MasterImpl m = masters.all().get(i);
            if (m.state == ProbeState.PROBED && usesInstance(m, inst)) {
                probe.release(m);
            }
        }
        platformRemove(inst);
    }

    /** The driver's platform remove of one instance; a failing remove is logged, the instance is unbound anyway. */
    private void platformRemove(IommuInstance inst) {
        IommuDriver driver = inst.driver;
        try {
            driver.remove(inst.device);
        } catch (RuntimeException e) {
            LOG.warn("{}: remove by {} failed: {}", inst.path, driver.name(), e.getMessage(), e);
        }
        inst.driver = null;
        inst.device = null;
        inst.pdev = null;
        machine.pmDomainDetach(inst.node);
    }

    private static boolean usesInstance(MasterImpl m, IommuInstance inst) {
        for (FwspecEntry e : m.fwspec()) {
            if (e.iommu() == inst.device) {
                return true;
            }
        }
        return false;
    }

    /** Offers every available, unbound node to the best-matching driver (of_match order). */
    private void bindUnbound() {
        for (IommuInstance inst : instances.values()) {
            if (inst.available && inst.driver == null) {
                IommuDriver best = null;
                int bestIdx = Integer.MAX_VALUE;
                for (IommuDriver d : drivers) {
                    int idx = inst.matchIndex(d);
                    if (idx >= 0 && idx < bestIdx && !inst.failedDrivers.contains(d)) {
                        best = d;
                        bestIdx = idx;
                    }
                }
                if (best != null) {
                    bind(inst, best);
                }
            }
        }
    }

    /** Releases everything (the core is going away): as if every driver was removed, hardware left as the drivers leave it. */
    public synchronized void shutdown() {
        for (LiveUpdate.Retiring r : live.retiring()) {
            live.forget(r.driver());
            teardown(r.driver());
        }
        for (IommuDriver d : new ArrayList<>(drivers)) {
            removeDriver(d);
        }
        shutDown = true;
        // the machine may outlive this core (a lab's is closed next, the registered one stays booted)
        sanitizer.setEnabled(false, List.of());
        deadlines.shutdownNow();
        notifyAll();
    }

    /** @return true if a registered driver matches the instance and has not refused it (under the lock) */
    boolean hasDriverFor(IommuInstance inst) {
        for (IommuDriver d : drivers) {
            if (inst.matchIndex(d) >= 0 && !inst.failedDrivers.contains(d)) {
                return true;
            }
        }
        return false;
    }

    public synchronized List<IommuDriver> drivers() {
        return List.copyOf(drivers);
    }

    private void bind(IommuInstance inst, IommuDriver driver) {
        if (!inst.modelled) {
            // no hardware answers at this node's registers: probing would only fail; wait for it
            inst.state = ProbeState.DEFERRED;
            inst.reason = "no hardware model" + (inst.hw.reason() != null ? ": " + inst.hw.reason() : "");
            return;
        }
        PlatformDeviceImpl pdev = new PlatformDeviceImpl(this, inst);
        try {
            // really_probe: dev_pm_domain_attach before the driver's probe touches a register
            machine.pmDomainAttach(inst.node);
        } catch (IommuException e) {
            if (e.errno() != Errno.EPROBE_DEFER) {
                throw e;
            }
            inst.state = ProbeState.DEFERRED;
            inst.reason = message(e);
            LOG.info("{}: probe deferred: {}", inst.path, message(e));
            return;
        }
        try {
            IommuDevice dev = driver.probe(pdev);
            if (dev == null) {
                throw new IommuException(Errno.ENODEV, "driver " + driver.name() + " returned no instance for " + inst.path);
            }
            inst.driver = driver;
            inst.device = dev;
            inst.pdev = pdev;
            inst.state = ProbeState.PROBED;
            inst.reason = null;
            LOG.debug("{}: probed by {} ({} streams)", inst.path, driver.name(), dev.numStreams());
        } catch (RuntimeException e) {
            machine.pmDomainDetach(inst.node);
            inst.failedDrivers.add(driver);
            inst.state = ProbeState.FAILED;
            inst.reason = driver.name() + ": " + message(e);
            LOG.warn("{}: probe by {} failed: {}", inst.path, driver.name(), message(e));
        }
    }

    // ---------------------------------------------------------------- masters (MasterProbe)

    /** Offers every master that is not probed to the drivers again (something they wait for changed). */
    private void probeMasters() {
        probe.probeAll();
    }

    // ---------------------------------------------------------------- views (CoreViews), under the lock

    @Override
    public synchronized List<IommuNodeDTO> iommus() {
        return views.iommus();
    }

    @Override
    public synchronized List<DeviceDTO> devices() {
        return views.devices();
    }

    public synchronized DeviceDTO device(String name) {
        return views.device(masters.resolve(name));
    }

    @Override
    public synchronized List<GroupDTO> groups() {
        return views.groups();
    }

    @Override
    public synchronized List<DomainDTO> domains() {
        return views.domains();
    }

    // ---------------------------------------------------------------- domains of a device, attach/detach

    @Override
    public IommuDomain domainOf(String device) {
        return currentDomain(device);
    }

    /** @return the domain the probed device's group is attached to now (no lock: for the DMA API) */
    public DomainImpl currentDomain(String device) {
        MasterImpl m = masters.probed(device);
        GroupImpl g = m.group;
        DomainImpl d = g != null ? g.domain : null;
        if (d == null) {
            throw new IommuException(Errno.ENODEV, "device " + m.name() + " has no IOMMU domain");
        }
        return d;
    }

    /**
     * iommu_get_resv_regions: the regions the device's driver reserves (e.g. the PCIe MSI doorbell);
     * a failing driver callback counts as none.
     */
    public List<ReservedRegion> resvRegions(String device) {
        MasterImpl m = masters.probed(device);
        IommuDriver driver = m.driver;
        if (driver == null) {
            return List.of();
        }
        try {
            List<ReservedRegion> r = driver.getResvRegions(m);
            return r == null ? List.of() : List.copyOf(r);
        } catch (RuntimeException e) {
            LOG.warn("{}: get_resv_regions of {} failed: {}", m.name(), driver.name(), message(e));
            return List.of();
        }
    }

    /** @return the default domain of the probed device's group */
    public IommuDomain defaultDomainOf(String device) {
        MasterImpl m = masters.probed(device);
        GroupImpl g = m.group;
        DomainImpl d = g != null ? g.defaultDomain : null;
        if (d == null) {
            throw new IommuException(Errno.ENODEV, "device " + m.name() + " has no IOMMU domain");
        }
        return d;
    }

    @Override
    public synchronized IommuDomain domainAlloc(String device, DomainType type) {
        return domains.allocUser(settled(device), type);
    }

    @Override
    public synchronized void attachGroup(IommuDomain domain, String device) {
        MasterImpl m = settled(device);
        DomainImpl d = domains.own(domain);
        GroupImpl g = m.group;
        if (d.driverService() != m.driver) {
            throw new IommuException(Errno.EINVAL, "domain " + d.id() + " belongs to driver " + d.driver() + "; "
                    + m.name() + " is translated by " + m.driver.name());
        }
        if (g.domain == d) {
            return;
        }
        if (g.domain != g.defaultDomain) {
            throw new IommuException(Errno.EBUSY, "group " + g.id() + " of " + m.name() + " is attached to domain "
                    + g.domain.id() + "; detach it first");
        }
        if (d.type().isDma() && d.userAllocated()) {
            LOG.info("domain {}: {} domain attached by a user; the DMA API will manage its IOVA space", d.id(), d.typeName());
        }
        setGroupDomain(g, d);
    }

    @Override
    public synchronized void detachGroup(IommuDomain domain, String device) {
        MasterImpl m = settled(device);
        DomainImpl d = domains.own(domain);
        GroupImpl g = m.group;
        if (g.domain != d) {
            throw new IommuException(Errno.EINVAL, "group " + g.id() + " of " + m.name() + " is not attached to domain "
                    + d.id() + " (it is on domain " + g.domain.id() + ")");
        }
        if (d == g.defaultDomain) {
            return;
        }
        setGroupDomain(g, g.defaultDomain);
    }

    /**
     * __iommu_group_set_domain: every member moves, or (on failure) every member goes back, the one
     * that failed included (err_revert up to last_gdev): a driver's attach may fail after it
     * programmed part of the hardware (a stream's table pointer written, its invalidation timed
     * out), and that member must not stay on a domain its user then frees.
     */
    private void setGroupDomain(GroupImpl g, DomainImpl to) {
        DomainImpl from = g.domain;
        List<MasterImpl> done = new ArrayList<>();
        try {
            for (MasterImpl m : g.members) {
                done.add(m);
                to.attachDev(m);
            }
        } catch (RuntimeException e) {
            for (MasterImpl m : done) {
                try {
                    from.attachDev(m);
                } catch (RuntimeException r) {
                    LOG.error("{}: could not return to domain {} after a failed attach: {}", m.name(), from.id(), message(r), r);
                }
            }
            throw e;
        }
        for (MasterImpl m : g.members) {
            trace.detachDeviceFromDomain(m.name());
            trace.attachDeviceToDomain(m.name());
        }
        g.domain = to;
        LOG.info("group {}: now on domain {} ({})", g.id(), to.id(), to.typeName());
    }

    /** iommu_domain_free by its user ({@link DomainImpl#free}), once any live update of its driver finished. */
    synchronized void freeDomain(DomainImpl d) {
        awaitLiveUpdate(d.driverService());
        domains.free(d, groups.values());
    }

    // ---------------------------------------------------------------- names (Masters)

    /** @return the DT path of the master called {@code name} */
    public String canonicalName(String name) {
        return masters.resolve(name).name();
    }

    /** @return true if the master called {@code name} is a PCI function */
    public boolean isPci(String name) {
        return masters.resolve(name).isPci();
    }

    /** @return the master's DMA master (for the shell's dma command) */
    public DmaMaster dmaMaster(String name) {
        return masters.resolve(name).dma;
    }

    // ---------------------------------------------------------------- faults (FaultReporter) and trace

    /** report_iommu_fault: safe from any thread; takes no engine lock. */
    boolean reportFault(IommuInstance inst, IommuFault fault) {
        return faults.report(inst, fault);
    }

    @Override
    public List<FaultDTO> faults() {
        return faults.faults();
    }

    @Override
    public List<TraceEventDTO> trace() {
        return trace.snapshot();
    }

    @Override
    public void clearTrace() {
        trace.clear();
        faults.clear();
    }

    // ---------------------------------------------------------------- the DMA sanitizer and fault injection

    @Override
    public SanitizerDTO sanitizer() {
        return sanitizer.state();
    }

    @Override
    public synchronized SanitizerDTO setSanitizer(boolean on) {
        if (!shutDown) {
            sanitizer.setEnabled(on, domains.all());
        }
        return sanitizer.state();
    }

    @Override
    public void clearSanitizer() {
        sanitizer.clear();
    }

    @Override
    public InjectionDTO inject(String iommu, String point, long count) {
        return injections.set(iommu, point, count);
    }

    /** {@code iommu:inject IOMMU off} ({@link Injections#off}). */
    public List<InjectionDTO> injectOff(String iommu) {
        return injections.off(iommu);
    }

    @Override
    public synchronized List<io.iommulab.api.dto.IommuPageDTO> iommuPages() {
        return views.iommuPages(iommuPages.blocks());
    }

    @Override
    public List<InjectionDTO> injections() {
        return injections.list();
    }

    // ---------------------------------------------------------------- helpers

    /** Linux's names of domain types, as /sys/kernel/iommu_groups/N/type prints them. */
    public static String typeName(DomainType t) {
        switch (t) {
            case BLOCKED: return "blocked";
            case IDENTITY: return "identity";
            case UNMANAGED: return "unmanaged";
            case DMA: return "DMA";
            case DMA_FQ: return "DMA-FQ";
            default: throw new IllegalArgumentException(String.valueOf(t));
        }
    }

    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
