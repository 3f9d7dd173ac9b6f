package io.iommulab.core.impl;

import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next version of a driver takes over running IOMMUs: nothing is reset, released or rebuilt.
 *
 * <p>When a driver service leaves because its bundle is being updated, the core keeps everything
 * the driver ran: instances, masters, groups, domains with their tables, IOVA allocators, DMA-API
 * mappings and fault handlers. The old code keeps serving map and unmap until the new version
 * registers (hardware outlives software: the registers and the tables in memory are the state).
 * Control-path calls (attach, domain allocation) wait for it. When the new driver comes:
 * <ol>
 * <li>the old code preserves each instance into a record of plain data and lets go of its
 * interrupt handler; the new code restores each instance from the record, or from the hardware
 * when there is no record it knows;</li>
 * <li>the masters are translated again by the new code (of_xlate, probe_device, device_group into
 * the groups they are in) and each paging domain is re-opened on its tables;</li>
 * <li>only then is every domain of the old driver paused (map, unmap and iova_to_phys held back,
 * those running finished): this is the blackout. The domains take the new code's ops and the
 * groups are attached again, which writes the values the hardware already holds;</li>
 * <li>the domains resume on the new code.</li>
 * </ol>
 * Steps 1 and 2 run while the old code still maps and unmaps: they read what map and unmap do not
 * change (streams, groups, table roots, registers), and a new bundle's code, which runs cold the
 * first time (its classes loaded, linked and interpreted), runs there and not in the blackout.
 *
 * If the new code cannot take over (it throws), everything goes back to the old code's objects and
 * the new code lets go of what it restored without writing the hardware ({@code abandon}); a
 * failure for want of memory, a free slot or time is tried again with the same records (the old
 * code still runs the state, a new attempt may succeed where an unload would lose every mapping);
 * otherwise the state is released as on an unload and the new driver probes from scratch, with a
 * warning that says why. If no new version comes within the timeout, the same unload happens.
 *
 * <p>The page-table code under a driver's domains may be away too (its bundle being updated): the
 * driver says so ({@code PlatformDevice.codeLeft}) and its next {@link #quiesce} brings the new
 * code. Meanwhile the calls that need it wait, as for a driver update ({@link CallWaits}).
 *
 * <p>Runs under the engine's lock.
 */
final class LiveUpdate {

    private static final Logger LOG = LoggerFactory.getLogger(LiveUpdate.class);
    static final int HISTORY = 64;

    /** A driver whose bundle is being updated; its state waits for the next version. */
    record Retiring(IommuDriver driver, String origin, long sinceNs, long faultSeq) {
    }

    /**
     * One attempt at a takeover.
     *
     * @param failure  why it failed, null if the new code adopted the state
     * @param errno    the failure's errno, null if adopted or the failure was no {@link IommuException}
     * @param records  what the old code preserved, by instance (a new attempt takes them again:
     *                 the old code preserves once)
     * @param retiring the old driver's record as it was before the attempt
     */
    record Adoption(String failure, Errno errno, Map<IommuInstance, PreservedIommu> records, Retiring retiring) {

        /** the errnos of a want of memory or time, which a new attempt may not meet */
        private static final java.util.Set<Errno> TRANSIENT = java.util.EnumSet.of(Errno.ENOMEM, Errno.ENOSPC, Errno.ETIMEDOUT);

        /** @return true if the attempt failed for want of memory, a free slot or time: worth another */
        boolean transientFailure() {
            return failure != null && errno != null && TRANSIENT.contains(errno);
        }
    }

    /** Puts a driver back in the state of waiting for its next version, as before a failed attempt to take it over. */
    void retireAgain(Retiring r) {
        if (r != null) {
            retiring.put(r.driver(), r);
        }
    }

    /** The page-table code a driver's domains need left in a bundle update, at {@code sinceNs}; its next version is awaited. */
    record CodeAway(String what, long sinceNs) {
    }

    private final IommuCoreEngine engine;
    private final Map<IommuDriver, Retiring> retiring = new LinkedHashMap<>();
    private final Map<IommuDriver, CodeAway> away = new IdentityHashMap<>();
    private final Deque<LiveUpdateDTO> history = new ArrayDeque<>();
    /** the control-path calls waiting for a driver's new code, reported with its live update */
    final CallWaits waits = new CallWaits();
    /** entries recorded since the start (the history keeps the last {@link #HISTORY}) */
    private long recorded;
    private LiveUpdatePhases lastPhases = LiveUpdatePhases.NONE;

    LiveUpdate(IommuCoreEngine engine) {
        this.engine = engine;
    }

    boolean isRetiring(IommuDriver d) {
        return d != null && retiring.containsKey(d);
    }

    Retiring retiringOf(IommuDriver d) {
        return retiring.get(d);
    }

    List<Retiring> retiring() {
        return List.copyOf(retiring.values());
    }

    void retire(IommuDriver driver, String origin, long faultSeq) {
        retiring.put(driver, new Retiring(driver, origin, System.nanoTime(), faultSeq));
    }

    Retiring forget(IommuDriver driver) {
        return retiring.remove(driver);
    }

    /** The page-table code {@code what} of {@code driver} left in a bundle update at {@code nowNs}. */
    void codeLeft(IommuDriver driver, String what, long nowNs) {
        away.putIfAbsent(driver, new CodeAway(what, nowNs));
    }

    /** @return what page-table code of {@code driver} is away, or null */
    CodeAway codeAway(IommuDriver driver) {
        return driver == null ? null : away.get(driver);
    }

    /** The driver's code is back (its next quiesce ran), it timed out or the driver left: @return what was away, or null */
    CodeAway codeBack(IommuDriver driver) {
        return away.remove(driver);
    }

    List<LiveUpdateDTO> history() {
        return List.copyOf(history);
    }

    /** @return how many entries were recorded since the start: a mark for {@link #since} */
    long recorded() {
        return recorded;
    }

    /** @return the entries recorded after {@code mark} (a {@link #recorded()} value), oldest first */
    List<LiveUpdateDTO> since(long mark) {
        List<LiveUpdateDTO> all = history();
        long n = Math.min(recorded - mark, all.size());
        return n <= 0 ? List.of() : all.subList(all.size() - (int) n, all.size());
    }

    /** @return where the blackout of the last takeover (or swap under quiesced domains) went */
    LiveUpdatePhases lastPhases() {
        return lastPhases;
    }

    private void record(LiveUpdateDTO dto) {
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(dto);
        recorded++;
    }

    /**
     * No next version came for a retired driver within the timeout: recorded as a fall-back (the
     * caller then releases what it ran, as on an unload).
     */
    void expired(Retiring r, String reason, List<IommuInstance> allInstances, Iterable<DomainImpl> allDomains) {
        List<String> paths = new ArrayList<>();
        for (IommuInstance inst : allInstances) {
            if (inst.driver == r.driver()) {
                paths.add(inst.path);
            }
        }
        int domains = 0;
        long mappings = 0;
        for (DomainImpl d : allDomains) {
            if (d.driverService() == r.driver()) {
                domains++;
                long g = d.minPageSize();
                mappings += g > 0 ? d.mappedBytes() / g : 0;
            }
        }
        CallWaits.Taken waited = waits.take(r.driver(), System.nanoTime());
        record(new LiveUpdateDTO(r.driver().name(), r.origin(), null, paths, false, reason, 0, 0, domains, mappings, 0, 0,
                0, waited.longestNs(), waited.calls(), engine.faultSeq() - r.faultSeq(), System.nanoTime() - engine.startNs()));
    }

    /**
     * @return the retiring driver the new one takes over from: same name, and it matches every
     *         instance the old one drives; null if none
     */
    IommuDriver predecessorOf(IommuDriver neu, List<IommuInstance> instances) {
        for (Retiring r : retiring.values()) {
            if (!r.driver().name().equals(neu.name())) {
                continue;
            }
            boolean all = true;
            boolean any = false;
            for (IommuInstance inst : instances) {
                if (inst.driver == r.driver()) {
                    any = true;
                    all &= inst.matchIndex(neu) >= 0;
                }
            }
            if (any && all) {
                return r.driver();
            }
        }
        return null;
    }

    /** The pieces of one handover, gathered before anything changes. */
    private static final class Plan {
        final IommuDriver old;
        final List<IommuInstance> instances = new ArrayList<>();
        final List<MasterImpl> masters = new ArrayList<>();
        final List<DomainImpl> domains = new ArrayList<>();
        final Set<GroupImpl> groups = new LinkedHashSet<>();
        final Map<IommuInstance, PreservedIommu> records = new IdentityHashMap<>();
        final Map<IommuInstance, IommuDevice> restored = new IdentityHashMap<>();
        final Map<IommuInstance, PlatformDeviceImpl> pdevs = new IdentityHashMap<>();
        /** the platform devices the old code had, set aside by the commit (what it still holds is freed after) */
        final Map<IommuInstance, PlatformDeviceImpl> oldPdevs = new IdentityHashMap<>();
        final Map<MasterImpl, List<FwspecEntry>> oldFwspec = new IdentityHashMap<>();
        final Map<MasterImpl, Object> oldPriv = new IdentityHashMap<>();
        final Map<GroupImpl, GroupImpl.IommuData> oldGroupData = new IdentityHashMap<>();
        final Map<DomainImpl, DomainOps> oldOps = new IdentityHashMap<>();
        final Map<DomainImpl, DomainOps> newOps = new IdentityHashMap<>();
        /** nanoTime at the ends of the phases ({@link LiveUpdatePhases#of}) */
        final long[] marks = new long[8];
        /** the groups attached to each domain (built once for the handovers) */
        final Map<DomainImpl, List<GroupImpl>> groupsOn = new IdentityHashMap<>();
        /** each record's domains, by their first stream and, for those naming none, by id */
        final Map<IommuInstance, RecordIndex> recordIndex = new IdentityHashMap<>();

        Plan(IommuDriver old) {
            this.old = old;
        }
    }

    /**
     * The new driver takes over what the old one ran. On failure the old objects are back in
     * place, the new code has let go of what it restored without writing the hardware, and the
     * caller may try again with the same records or unload the old objects and probe afresh.
     *
     * @param records what the old code preserved in an earlier attempt, or null: it preserves now
     * @return the attempt: adopted, or why not
     */
    Adoption adopt(IommuDriver old, IommuDriver neu, String neuOrigin, List<IommuInstance> allInstances,
            List<MasterImpl> allMasters, Iterable<DomainImpl> allDomains, Map<IommuInstance, PreservedIommu> records) {
        Retiring r = retiring.remove(old);
        Plan p = new Plan(old);
        if (records != null) {
            p.records.putAll(records);
        }
        for (IommuInstance inst : allInstances) {
            if (inst.driver == old) {
                p.instances.add(inst);
            }
        }
        for (MasterImpl m : allMasters) {
            if (m.state == ProbeState.PROBED && m.driver == old) {
                p.masters.add(m);
                p.groups.add(m.group);
            }
        }
        for (DomainImpl d : allDomains) {
            if (d.driverService() == old) {
                p.domains.add(d);
            }
        }
        p.marks[0] = System.nanoTime();
        String failure = null;
        Errno errno = null;
        try {
            prepare(old, neu, p, records != null);
        } catch (RuntimeException | LinkageError e) {
            failure = IommuCoreEngine.message(e);
            errno = e instanceof IommuException ie ? ie.errno() : null;
        }
        long t0 = System.nanoTime();
        p.marks[4] = t0;
        for (DomainImpl d : p.domains) {
            d.pause();
        }
        p.marks[5] = System.nanoTime();
        if (failure == null) {
            try {
                commit(neu, p);
            } catch (RuntimeException | LinkageError e) {
                failure = IommuCoreEngine.message(e);
                errno = e instanceof IommuException ie ? ie.errno() : null;
            }
        }
        if (failure != null) {
            undo(neu, p);
        }
        p.marks[6] = System.nanoTime();
        DomainImpl.resumeAll(p.domains);
        p.marks[7] = System.nanoTime();
        DomainImpl.wakeAll(p.domains);
        long blackout = p.marks[7] - t0;
        lastPhases = LiveUpdatePhases.of(p.marks);
        if (failure == null) {
            // after the blackout: the new code's handlers are registered since its restore
            for (IommuInstance inst : p.instances) {
                releaseLeftovers(inst, old, p.oldPdevs.get(inst));
            }
        }
        long longestWait = 0;
        for (DomainImpl d : p.domains) {
            longestWait = Math.max(longestWait, d.takeLongestWaitNs());
        }
        CallWaits.Taken waited = waits.take(old, System.nanoTime());
        long[] check = failure == null ? verify(p) : new long[] {0, 0};
        long mappings = 0;
        for (DomainImpl d : p.domains) {
            long g = d.minPageSize();
            mappings += g > 0 ? d.mappedBytes() / g : 0;
        }
        List<String> paths = new ArrayList<>();
        for (IommuInstance inst : p.instances) {
            paths.add(inst.path);
        }
        long faults = r == null ? 0 : engine.faultSeq() - r.faultSeq();
        boolean adopted = failure == null;
        LiveUpdateDTO dto = new LiveUpdateDTO(neu.name(), r == null ? null : r.origin(), neuOrigin, paths, adopted, failure,
                adopted ? count(p, TakeoverSource.RECORD) : 0, adopted ? count(p, TakeoverSource.HARDWARE) : 0,
                p.domains.size(), mappings, check[0], check[1], blackout, Math.max(longestWait, waited.longestNs()),
                waited.calls(), faults, System.nanoTime() - engine.startNs());
        record(dto);
        if (failure == null) {
            logAdopted(neu, neuOrigin, p, blackout);
        }
        return new Adoption(failure, errno, Map.copyOf(nonNull(p.records)), r);
    }

    /** Map.copyOf refuses null values: an instance the old code kept no record of maps to none. */
    private static Map<IommuInstance, PreservedIommu> nonNull(Map<IommuInstance, PreservedIommu> records) {
        Map<IommuInstance, PreservedIommu> out = new IdentityHashMap<>();
        records.forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * Runs a driver's swap of the code behind its domains with them paused, and reports it. Every
     * DMA-API page is translated before the swap and again after it, both while the domains are
     * paused (the previous code is the driver's to drop, so it cannot be asked afterwards): nothing
     * can change a table in between, so any difference is the new code's.
     */
    void quiesce(IommuDriver driver, String what, List<IommuInstance> insts, List<DomainImpl> domains, Runnable swap) {
        long[] marks = new long[8];
        long t0 = System.nanoTime();
        java.util.Arrays.fill(marks, 0, 5, t0); // the driver prepared the swap before it asked
        for (DomainImpl d : domains) {
            d.pause();
        }
        marks[5] = System.nanoTime();
        String failure = null;
        long[] check = {0, 0};
        try {
            List<Translation> before = translations(domains);
            swap.run();
            check = compare(before);
        } catch (RuntimeException | LinkageError e) {
            failure = IommuCoreEngine.message(e);
            throw e;
        } finally {
            marks[6] = System.nanoTime();
            DomainImpl.resumeAll(domains);
            marks[7] = System.nanoTime();
            DomainImpl.wakeAll(domains);
            long blackout = marks[7] - t0;
            lastPhases = LiveUpdatePhases.of(marks);
            CallWaits.Taken waited = waits.take(driver, System.nanoTime());
            long longestWait = waited.longestNs();
            long mappings = 0;
            for (DomainImpl d : domains) {
                longestWait = Math.max(longestWait, d.takeLongestWaitNs());
                long g = d.minPageSize();
                mappings += g > 0 ? d.mappedBytes() / g : 0;
            }
            List<String> paths = new ArrayList<>();
            for (IommuInstance inst : insts) {
                paths.add(inst.path);
            }
            record(new LiveUpdateDTO(driver.name(), null, what, paths, failure == null, failure, 0, 0, domains.size(),
                    mappings, check[0], check[1], blackout, longestWait, waited.calls(), 0, System.nanoTime() - engine.startNs()));
            if (failure == null) {
                LOG.info("{}: {} swapped under {} domains, {} mappings (blackout {} us)", driver.name(), what,
                        domains.size(), mappings, blackout / 1000);
            }
        }
    }

    /** A DMA-API page of a domain and the physical address its code translated it to. */
    private record Translation(DomainImpl domain, long iova, long pa) {
    }

    /** @return every DMA-API page of the paging domains, translated by the code running them now */
    private static List<Translation> translations(List<DomainImpl> domains) {
        List<Translation> out = new ArrayList<>();
        for (DomainImpl d : domains) {
            DomainImpl.Cookie cookie = d.cookie();
            long g = d.minPageSize();
            if (!d.type().isPaging() || cookie == null || g == 0) {
                continue;
            }
            DomainOps ops = d.ops();
            cookie.forEachMapping((iova, size) -> {
                for (long a = iova; Long.compareUnsigned(a, iova + size) < 0; a += g) {
                    try {
                        out.add(new Translation(d, a, ops.iovaToPhys(a)));
                    } catch (RuntimeException | LinkageError e) {
                        LOG.debug("domain {}: 0x{} cannot be translated before the swap: {}", d.id(), Long.toHexString(a),
                                IommuCoreEngine.message(e));
                    }
                }
            });
        }
        return out;
    }

    /** @return {verified, mismatches}: the pages the code running the domains now translates as before, and the others */
    private static long[] compare(List<Translation> before) {
        long[] out = {0, 0};
        for (Translation t : before) {
            long now;
            try {
                now = t.domain().ops().iovaToPhys(t.iova());
            } catch (RuntimeException | LinkageError e) {
                now = ~t.pa();
            }
            out[now == t.pa() ? 0 : 1]++;
        }
        return out;
    }

    /** @return the instances whose new code says it took the state over from {@code source} */
    private static int count(Plan p, TakeoverSource source) {
        int n = 0;
        for (PlatformDeviceImpl pdev : p.pdevs.values()) {
            n += pdev.restoredFrom() == source ? 1 : 0;
        }
        return n;
    }

    /**
     * Everything the new code needs, made while the old code still serves map, unmap and
     * iova_to_phys (the control path waits under the engine's lock, so streams, groups, domains and
     * table roots stay as they are): the old code's records, the instances taken over, the masters
     * on the new code, every domain re-opened on its tables. Nothing the running domains use
     * changes, so the cold code of a new bundle (classes loaded and linked, run for the first time
     * by the interpreter) runs outside the blackout.
     */
    private void prepare(IommuDriver old, IommuDriver neu, Plan p, boolean preserved) {
        // 1. the old code records each instance and lets go of its interrupt handler (once: an
        //    attempt after a failed one takes the records the old code made then)
        for (IommuInstance inst : preserved ? List.<IommuInstance>of() : p.instances) {
            PreservedIommu rec = null;
            try {
                rec = old.preserve(inst.device);
            } catch (RuntimeException | LinkageError e) {
                // the old code may be gone (an uninstalled bundle refreshed away): read the hardware
                LOG.warn("{}: the old {} could not preserve its state ({}); the new code reads the hardware",
                        inst.path, old.name(), IommuCoreEngine.message(e));
            }
            p.records.put(inst, rec);
        }
        p.marks[1] = System.nanoTime();
        // 2. the new code takes over each instance, without a reset
        for (IommuInstance inst : p.instances) {
            PlatformDeviceImpl pdev = new PlatformDeviceImpl(engine, inst);
            // before the restore: what a failing restore requested through it is freed with the rest
            p.pdevs.put(inst, pdev);
            IommuDevice dev = neu.restore(pdev, p.records.get(inst));
            if (dev == null) {
                throw new IommuException(Errno.EINVAL, neu.name() + " restored no instance for " + inst.path);
            }
            p.restored.put(inst, dev);
        }
        p.marks[2] = System.nanoTime();
        Map<IommuDevice, IommuDevice> devices = new IdentityHashMap<>();
        for (IommuInstance inst : p.instances) {
            devices.put(inst.device, p.restored.get(inst));
        }
        // 3. the masters again, on the new code, into the groups they are in; the groups carry the
        //    old code's data (its stream maps, of classes the new code may not even see), which the
        //    new device_group replaces with its own
        for (GroupImpl g : p.groups) {
            p.oldGroupData.put(g, g.takeIommuData());
        }
        for (MasterImpl m : p.masters) {
            p.oldFwspec.put(m, m.fwspec());
            p.oldPriv.put(m, m.priv());
            List<FwspecEntry> fw = new ArrayList<>();
            for (FwspecEntry e : m.fwspec()) {
                IommuDevice nd = devices.get(e.iommu());
                if (nd == null) {
                    throw new IommuException(Errno.EINVAL, m.name() + " is translated by an IOMMU the old "
                            + old.name() + " does not drive");
                }
                fw.add(new FwspecEntry(nd, e.args()));
            }
            m.setFwspec(fw);
            m.setPriv(null);
            for (FwspecEntry e : fw) {
                neu.ofXlate(m, e.iommu(), e.args());
            }
            neu.probeDevice(m);
            IommuGroup g = neu.deviceGroup(m, sameGroup(m.group));
            if (g != m.group) {
                throw new IommuException(Errno.EINVAL, "device_group of the new " + neu.name() + " puts " + m.name()
                        + " in another group than " + m.group);
            }
        }
        p.marks[3] = System.nanoTime();
        // 4. each domain re-opened on its tables (nothing changes until every one is ready); the
        //    groups and records indexed once, so each handover is a lookup and not a scan of all
        for (GroupImpl g : p.groups) {
            p.groupsOn.computeIfAbsent(g.domain, k -> new ArrayList<>()).add(g);
        }
        for (Map.Entry<IommuInstance, PreservedIommu> e : p.records.entrySet()) {
            if (e.getValue() != null) {
                p.recordIndex.put(e.getKey(), new RecordIndex(e.getValue()));
            }
        }
        // the instances of this core: a driver serves other cores (labs) too, over machines of the same board
        List<IommuDevice> mine = new ArrayList<>();
        for (IommuInstance inst : p.instances) {
            IommuDevice dev = p.restored.get(inst);
            if (dev != null) {
                mine.add(dev);
            }
        }
        for (DomainImpl d : p.domains) {
            DomainOps ops = switch (d.type()) {
                case IDENTITY -> neu.identityDomain();
                case BLOCKED -> neu.blockedDomain();
                default -> neu.restoreDomain(handover(d, p), List.copyOf(mine));
            };
            if (ops == null) {
                throw new IommuException(Errno.EOPNOTSUPP, "the new " + neu.name() + " has no " + d.typeName()
                        + " domain for domain " + d.id());
            }
            d.checkRebind(ops);
            p.newOps.put(d, ops);
        }
    }

    /**
     * With the domains paused: they run the new code from here, and the groups attach again (the
     * same register values). Only this is the blackout.
     */
    private void commit(IommuDriver neu, Plan p) {
        for (DomainImpl d : p.domains) {
            p.oldOps.put(d, d.ops());
            d.rebind(neu, p.newOps.get(d));
        }
        for (GroupImpl g : p.groups) {
            for (MasterImpl m : g.members) {
                g.domain.attachDev(m);
            }
        }
        for (GroupImpl g : p.groups) {
            g.driver = neu;
        }
        for (IommuInstance inst : p.instances) {
            inst.driver = neu;
            inst.device = p.restored.get(inst);
            p.oldPdevs.put(inst, inst.pdev);
            inst.pdev = p.pdevs.get(inst);
        }
        for (MasterImpl m : p.masters) {
            m.driver = neu;
        }
    }

    /**
     * The old code handed {@code inst} over: an interrupt handler it still has registered (a driver
     * that predates the live update frees nothing in preserve) is freed, as devres frees a driver's
     * on unbind; it would otherwise go on running beside the new code's and keep the old code loaded.
     */
    private static void releaseLeftovers(IommuInstance inst, IommuDriver old, PlatformDeviceImpl before) {
        List<String> freed = before != null ? before.releaseIrqs() : List.of();
        if (!freed.isEmpty()) {
            LOG.warn("{}: the old {} still had {} interrupt handler(s) registered after handing it over; freed: {}", inst.path,
                    old.name(), freed.size(), String.join(", ", freed));
        }
    }

    /**
     * Puts the old objects back after a failed takeover, the hardware as the old code runs it: the
     * new code's instances are abandoned (nothing written; what their restored domains hold in
     * software released) and what it requested through their platform devices freed.
     */
    private void undo(IommuDriver neu, Plan p) {
        for (Map.Entry<DomainImpl, DomainOps> e : p.oldOps.entrySet()) {
            e.getKey().rebind(p.old, e.getValue());
        }
        // The half-restored domains are dropped, not freed: restoreDomain re-opened the old code's
        // tables (nothing of their own), which the old ops go on running (and an unload frees);
        // freeing them here too would free those tables under the old code. The new code forgets
        // its instances without writing the hardware (abandon, not remove: remove resets, and the
        // old code still runs the streams), before its masters are released: what it then frees of
        // theirs (arm-smmu's stream map entries) is on instances it no longer drives, so it writes
        // nothing either. What it requested through their platform devices is freed, as devres
        // does when a probe fails.
        p.newOps.clear();
        for (Map.Entry<IommuInstance, IommuDevice> e : p.restored.entrySet()) {
            try {
                neu.abandon(e.getValue());
            } catch (RuntimeException | LinkageError ex) {
                LOG.debug("abandoning a half-restored instance: {}", IommuCoreEngine.message(ex));
            }
        }
        for (MasterImpl m : p.masters) {
            if (p.oldFwspec.containsKey(m)) {
                try {
                    neu.releaseDevice(m);
                } catch (RuntimeException | LinkageError e) {
                    LOG.debug("{}: release by the new {} after a failed takeover: {}", m.name(), neu.name(),
                            IommuCoreEngine.message(e));
                }
                m.setFwspec(p.oldFwspec.get(m));
                m.setPriv(p.oldPriv.get(m));
            }
        }
        for (Map.Entry<GroupImpl, GroupImpl.IommuData> e : p.oldGroupData.entrySet()) {
            e.getKey().restoreIommuData(e.getValue());
        }
        for (Map.Entry<IommuInstance, PlatformDeviceImpl> e : p.pdevs.entrySet()) {
            List<String> freed = e.getValue().releaseIrqs();
            if (!freed.isEmpty()) {
                LOG.debug("{}: freed what the new {} requested before the takeover was given up: {}", e.getKey().path,
                        neu.name(), freed);
            }
        }
    }

    /**
     * The domain with its table from the records (when they agree), and the streams attached to it
     * now. A record's domain is this domain when the streams it lists on its instance are streams of
     * this domain's devices there (the driver need not know the core's domain ids), or, for a record
     * that lists no streams, when its id is this domain's.
     */
    private static DomainHandover handover(DomainImpl d, Plan p) {
        Map<IommuInstance, Set<Integer>> mine = new IdentityHashMap<>();
        List<FwspecEntry> streams = new ArrayList<>();
        for (GroupImpl g : p.groupsOn.getOrDefault(d, List.of())) {
            for (MasterImpl m : g.members) {
                List<FwspecEntry> now = m.fwspec();
                List<FwspecEntry> before = p.oldFwspec.getOrDefault(m, now);
                streams.addAll(now);
                for (FwspecEntry e : before) {
                    for (IommuInstance inst : p.instances) {
                        if (Objects.equals(inst.device, e.iommu()) && e.args().length > 0) {
                            mine.computeIfAbsent(inst, k -> new java.util.HashSet<>()).add(e.args()[0]);
                        }
                    }
                }
            }
        }
        PageTableState table = null;
        boolean agree = true;
        for (Map.Entry<IommuInstance, RecordIndex> e : p.recordIndex.entrySet()) {
            for (PreservedDomain pd : e.getValue().domainsOf(d.id(), mine.getOrDefault(e.getKey(), Set.of()))) {
                if (pd.table() != null) {
                    if (table != null && !table.equals(pd.table())) {
                        agree = false;
                    }
                    table = pd.table();
                }
            }
        }
        if (table == null && agree) {
            // no record names it (e.g. a default domain while its group is on another): the old code says
            try {
                table = d.ops().pgtableState();
            } catch (RuntimeException | LinkageError e) {
                LOG.debug("domain {}: the old code cannot say its table: {}", d.id(), IommuCoreEngine.message(e));
            }
        }
        return new DomainHandover(d.id(), d.type(), agree ? table : null, streams);
    }

    /**
     * One instance's record, indexed: a record's domain is a domain's when the first stream it lists
     * is one of the domain's streams on that instance, or, for a record's domain listing no stream,
     * when its id is the domain's.
     */
    private static final class RecordIndex {
        private final Map<Integer, List<PreservedDomain>> byFirstStream = new java.util.HashMap<>();
        private final Map<Integer, List<PreservedDomain>> unlistedById = new java.util.HashMap<>();

        RecordIndex(PreservedIommu rec) {
            for (PreservedDomain pd : rec.domains()) {
                int[] listed = pd.streams();
                Map<Integer, List<PreservedDomain>> m = listed.length > 0 ? byFirstStream : unlistedById;
                m.computeIfAbsent(listed.length > 0 ? listed[0] : pd.domain(), k -> new ArrayList<>(1)).add(pd);
            }
        }

        /** @return the record's domains that are domain {@code id}, attached to {@code sids} of this instance */
        List<PreservedDomain> domainsOf(int id, Set<Integer> sids) {
            List<PreservedDomain> out = new ArrayList<>(unlistedById.getOrDefault(id, List.of()));
            for (int sid : sids) {
                out.addAll(byFirstStream.getOrDefault(sid, List.of()));
            }
            return out;
        }
    }

    /** A group factory that hands every device the group it is already in. */
    private static GroupFactory sameGroup(GroupImpl g) {
        return new GroupFactory() {
            @Override
            public IommuGroup generic(IommuMaster dev) {
                return g;
            }

            @Override
            public IommuGroup pci(IommuMaster dev) {
                return g;
            }
        };
    }

    /**
     * Every DMA-API page of every domain translated by the new code and by the old one, which are
     * still both loaded: {verified, mismatches}. Outside the blackout; a page that changes between
     * the two reads (another thread unmapping it) is read again.
     */
    private static long[] verify(Plan p) {
        long verified = 0;
        long mismatches = 0;
        for (DomainImpl d : p.domains) {
            DomainOps old = p.oldOps.get(d);
            DomainOps now = d.ops();
            DomainImpl.Cookie cookie = d.cookie();
            if (old == null || !d.type().isPaging() || cookie == null) {
                continue;
            }
            long g = d.minPageSize();
            long[] counts = {0, 0};
            cookie.forEachMapping((iova, size) -> {
                for (long a = iova; Long.compareUnsigned(a, iova + size) < 0; a += g) {
                    if (same(old, now, a)) {
                        counts[0]++;
                    } else {
                        counts[1]++;
                    }
                }
            });
            verified += counts[0];
            mismatches += counts[1];
        }
        return new long[] {verified, mismatches};
    }

    private static boolean same(DomainOps old, DomainOps now, long iova) {
        for (int attempt = 0; attempt < 3; attempt++) {
            long a;
            long b;
            try {
                a = old.iovaToPhys(iova);
                b = now.iovaToPhys(iova);
            } catch (RuntimeException | LinkageError e) {
                return false;
            }
            if (a == b) {
                return true;
            }
        }
        return false;
    }

    private void logAdopted(IommuDriver neu, String origin, Plan p, long blackout) {
        LOG.debug("{}: blackout {} ns, prepared in {} ns: {}", neu.name(), blackout, lastPhases.prepareNs(), lastPhases);
        for (IommuInstance inst : p.instances) {
            int domains = 0;
            long pages = 0;
            for (DomainImpl d : p.domains) {
                if (attachedTo(d, inst, p)) {
                    domains++;
                    long g = d.minPageSize();
                    pages += g > 0 ? d.mappedBytes() / g : 0;
                }
            }
            TakeoverSource source = p.pdevs.get(inst).restoredFrom();
            LOG.info("{}: {} {} adopted {} domains, {} mappings ({}; blackout {} us)", inst.path, neu.name(),
                    origin == null ? "" : "from " + origin, domains, pages, source == TakeoverSource.RECORD ? "from the record"
                            : source == TakeoverSource.HARDWARE ? "from the hardware" : "the driver did not say from what",
                    blackout / 1000);
        }
    }

    private static boolean attachedTo(DomainImpl d, IommuInstance inst, Plan p) {
        for (GroupImpl g : p.groups) {
            if (g.domain != d) {
                continue;
            }
            for (MasterImpl m : g.members) {
                for (FwspecEntry e : m.fwspec()) {
                    if (Objects.equals(e.iommu(), inst.device)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
