package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.ProbeState;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Masters joining and leaving translation (of_iommu_configure, iommu_probe_device,
 * iommu_release_device): a master's specifiers resolved to IOMMU instances, deferral while one has
 * no driver, of_xlate, probe_device, device_group, the group's default domain and the attach; on
 * release the group left and dissolved with its last member. The engine calls it under its lock
 * and decides when (a driver came or went, hardware changed, a live update finished).
 */
final class MasterProbe {

    /** the core's log category, as before this part left IommuCoreEngine (users filter on it) */
    private static final Logger LOG = LoggerFactory.getLogger(IommuCoreEngine.class);

    private final IommuCoreEngine engine;
    private final Machine machine;
    private final Map<String, IommuInstance> instances;
    private final Masters masters;
    private final Map<Integer, GroupImpl> groups;
    private final Domains domains;
    private final TraceRing trace;
    private final AtomicInteger nextGroupId = new AtomicInteger();
    private final GroupFactory groupFactory = new Groups();

    MasterProbe(IommuCoreEngine engine, Machine machine, Map<String, IommuInstance> instances, Masters masters,
            Map<Integer, GroupImpl> groups, Domains domains, TraceRing trace) {
        this.engine = engine;
        this.machine = machine;
        this.instances = instances;
        this.masters = masters;
        this.groups = groups;
        this.domains = domains;
        this.trace = trace;
    }

    /** Evaluates every master that is not probed (all of them at the start). */
    void probeAll() {
        for (MasterImpl m : masters.all()) {
            if (m.state != ProbeState.PROBED) {
                evaluate(m);
            }
        }
    }

    /**
     * of_iommu_configure + iommu_probe_device for one master that is not probed: resolve its
     * specifiers; defer while an IOMMU has no driver; else of_xlate, probe_device, device_group,
     * default domain and attach.
     */
    private void evaluate(MasterImpl m) {
        if (m.permanentFailure) {
            return;
        }
        List<StreamRef> refs = m.dma.streams();
        List<IommuInstance> insts = new ArrayList<>(refs.size());
        for (StreamRef ref : refs) {
            IommuInstance inst = instances.get(ref.iommu());
            if (inst == null) {
                failPermanently(m, "iommus references " + ref.iommu() + ", which is not an IOMMU node (no #iommu-cells)");
                return;
            }
            if (!inst.available) {
                // of_iommu_xlate: -ENODEV, the device works without translation
                failPermanently(m, "iommus references disabled " + inst.path);
                return;
            }
            insts.add(inst);
        }
        if (insts.isEmpty()) {
            failPermanently(m, "no IOMMU specifiers");
            return;
        }
        for (IommuInstance inst : insts) {
            if (inst.driver == null) {
                m.state = ProbeState.DEFERRED;
                m.reason = waitingFor(inst);
                m.failedWith = null;
                return;
            }
        }
        Set<IommuDriver> ds = new LinkedHashSet<>();
        for (IommuInstance inst : insts) {
            ds.add(inst.driver);
        }
        for (IommuDriver d : ds) {
            LiveUpdate.CodeAway away = engine.codeAwayNow(d);
            if (away != null) {
                // its default domain needs the page-table code: probe when the new version came
                m.state = ProbeState.DEFERRED;
                m.reason = "waiting for the next version of " + away.what() + " (live update)";
                m.failedWith = null;
                return;
            }
        }
        if (m.state == ProbeState.FAILED && ds.equals(m.failedWith)) {
            return; // same drivers that refused it before; nothing changed
        }
        if (ds.size() > 1) {
            StringBuilder sb = new StringBuilder("EINVAL: specifiers name IOMMUs bound to different drivers:");
            Set<String> seen = new HashSet<>();
            for (IommuInstance inst : insts) {
                if (seen.add(inst.path)) {
                    sb.append(' ').append(inst.path).append(" (").append(inst.driver.name()).append(')');
                }
            }
            fail(m, sb.toString(), ds);
            LOG.warn("{}: {}", m.name(), m.reason);
            return;
        }
        probeDevice(m, ds.iterator().next(), refs, insts, ds);
    }

    /**
     * Why a master waits for an IOMMU no driver runs: its probe failed; its hardware is missing or
     * refused to start (a driver is there for it: the user must fix the board or plug the model in,
     * not look for a driver); or no driver for it has come.
     */
    private String waitingFor(IommuInstance inst) {
        if (inst.state == ProbeState.FAILED) {
            return "waiting for " + inst.path + " (probe failed: " + inst.reason + ")";
        }
        if (!inst.modelled && engine.hasDriverFor(inst)) {
            return "waiting for the hardware of " + inst.path + " (" + inst.reason + ")";
        }
        return "waiting for driver for " + inst.path + " (" + inst.firstCompatible() + ")";
    }

    private void failPermanently(MasterImpl m, String reason) {
        m.state = ProbeState.FAILED;
        m.reason = reason;
        m.permanentFailure = true;
        LOG.info("{}: no IOMMU translation: {}", m.name(), reason);
    }

    private static void fail(MasterImpl m, String reason, Set<IommuDriver> with) {
        m.state = ProbeState.FAILED;
        m.reason = reason;
        m.failedWith = with;
    }

    private void probeDevice(MasterImpl m, IommuDriver driver, List<StreamRef> refs, List<IommuInstance> insts,
            Set<IommuDriver> ds) {
        try {
            machine.pmDomainAttach(m.node());
        } catch (IommuException e) {
            if (e.errno() != Errno.EPROBE_DEFER) {
                throw e;
            }
            m.state = ProbeState.DEFERRED;
            m.reason = IommuCoreEngine.message(e);
            return;
        }
        List<FwspecEntry> fw = new ArrayList<>(refs.size());
        for (int i = 0; i < refs.size(); i++) {
            fw.add(new FwspecEntry(insts.get(i).device, refs.get(i).args().clone()));
        }
        m.setFwspec(fw);
        m.setPriv(null);
        boolean attached = false;
        boolean probed = false;
        GroupImpl group = null;
        DomainImpl newDefault = null;
        try {
            for (FwspecEntry e : fw) {
                driver.ofXlate(m, e.iommu(), e.args());
            }
            driver.probeDevice(m);
            probed = true;
            IommuGroup g = driver.deviceGroup(m, groupFactory);
            if (!(g instanceof GroupImpl gi) || gi.engine != engine) {
                throw new IommuException(Errno.EINVAL, "device_group of " + driver.name()
                        + " returned a group the core did not make");
            }
            group = gi;
            if (!group.members.isEmpty() && group.driver != driver) {
                throw new IommuException(Errno.EINVAL, "device_group of " + driver.name() + " returned group "
                        + group.id() + " of driver " + group.driver.name());
            }
            if (group.members.isEmpty()) {
                group.driver = driver;
                groups.put(group.id(), group);
            }
            group.members.add(m);
            m.group = group;
            trace.addDeviceToGroup(group.id(), m.name());
            // Linux's dev_info; DEBUG here: the launcher's summary counts the groups, iommu:groups lists them
            LOG.debug("{}: Adding to iommu group {}", m.name(), group.id());
            attached = true; // from here its streams may be programmed
            if (group.defaultDomain == null) {
                newDefault = domains.setupDefault(group.id(), m, driver, engine.config());
                group.defaultDomain = newDefault;
                group.domain = newDefault;
            } else {
                DomainType want = Domains.defDomainType(driver, m);
                if (want != null && group.defaultDomain.type() != want) {
                    LOG.warn("{}: wants a {} domain but group {} already has a {} default domain", m.name(),
                            IommuCoreEngine.typeName(want), group.id(), group.defaultDomain.typeName());
                }
                group.domain.attachDev(m);
            }
            trace.attachDeviceToDomain(m.name());
            m.driver = driver;
            m.state = ProbeState.PROBED;
            m.reason = null;
            m.failedWith = null;
        } catch (RuntimeException e) {
            if (attached && group.members.equals(List.of(m))) {
                blockBeforeRelease(driver, m); // before its group's domains are freed
            }
            if (group != null && group.members.remove(m)) {
                trace.removeDeviceFromGroup(group.id(), m.name());
                if (group.members.isEmpty()) {
                    dissolve(group, "probe of " + m.name() + " failed");
                }
            }
            m.group = null;
            if (probed) {
                try {
                    driver.releaseDevice(m);
                } catch (RuntimeException r) {
                    LOG.warn("{}: release_device after a failed probe: {}", m.name(), IommuCoreEngine.message(r), r);
                }
            }
            m.setFwspec(List.of());
            m.setPriv(null);
            machine.pmDomainDetach(m.node());
            fail(m, driver.name() + ": " + IommuCoreEngine.message(e), ds);
            LOG.warn("{}: IOMMU probe failed: {}", m.name(), m.reason);
        }
    }

    /** iommu_release_device: detach, leave the group (freeing its domains with the last member), release_device. */
    void release(MasterImpl m) {
        GroupImpl g = m.group;
        IommuDriver driver = m.driver;
        if (g != null) {
            trace.detachDeviceFromDomain(m.name());
            g.members.remove(m);
            trace.removeDeviceFromGroup(g.id(), m.name());
        }
        if (g == null || g.members.isEmpty()) {
            blockBeforeRelease(driver, m); // the group's domains are freed next
        }
        try {
            driver.releaseDevice(m);
        } catch (RuntimeException e) {
            LOG.warn("{}: release_device of {} failed: {}", m.name(), driver.name(), IommuCoreEngine.message(e), e);
        }
        if (g != null && g.members.isEmpty()) {
            dissolve(g, "group " + g.id() + " lost its last device");
        }
        LOG.debug("{}: Removing from iommu group {}", m.name(), g != null ? g.id() : -1);
        m.group = null;
        m.driver = null;
        m.setFwspec(List.of());
        m.setPriv(null);
        machine.pmDomainDetach(m.node());
        m.state = ProbeState.DEFERRED;
        m.reason = "released";
    }

    /**
     * iommu_deinit_device's release_domain, for the last device of a group: before release_device
     * it is put on its driver's blocked domain, so that it does not go on translating through the
     * group's domains, which are freed next (found by fail-nth: a test IOMMU master whose default
     * domain's attach timed out kept its stream on that domain's freed table). Not while other
     * devices stay in the group: they may share the device's stream entries (arm-smmu), and its
     * domain lives on with them. Best effort: a driver without a blocked domain, old code that
     * cannot run any more, or hardware that went away leave the device as release_device leaves it.
     */
    private static void blockBeforeRelease(IommuDriver driver, MasterImpl m) {
        try {
            DomainOps blocked = driver.blockedDomain();
            if (blocked != null) {
                blocked.attachDev(m);
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("{}: could not block it before release_device: {}", m.name(), IommuCoreEngine.message(e));
        }
    }

    /** The last member left: free the domain it was attached to and its default domain. */
    private void dissolve(GroupImpl g, String why) {
        DomainImpl cur = g.domain;
        DomainImpl def = g.defaultDomain;
        g.domain = null;
        g.defaultDomain = null;
        groups.remove(g.id());
        if (cur != null && cur != def) {
            domains.destroy(cur, why);
        }
        if (def != null) {
            domains.destroy(def, why);
        }
        try {
            g.release();
        } catch (RuntimeException e) {
            LOG.warn("group {}: release of the driver's group data failed: {}", g.id(), IommuCoreEngine.message(e), e);
        }
    }

    /** iommu_group_alloc for device_group: generic_device_group, pci_device_group. */
    private final class Groups implements GroupFactory {
        @Override
        public IommuGroup generic(IommuMaster dev) {
            return new GroupImpl(engine, nextGroupId.getAndIncrement());
        }

        @Override
        public IommuGroup pci(IommuMaster dev) {
            int rid = dev.requesterId();
            if (rid >= 0) {
                String bridge = dev.node().parent().map(DtNode::path).orElse("");
                for (MasterImpl other : masters.all()) {
                    GroupImpl g = other.group;
                    if (other != dev && g != null && other.requesterId() >= 0
                            && (other.requesterId() >> 3) == (rid >> 3)
                            && bridge.equals(other.node().parent().map(DtNode::path).orElse(""))) {
                        return g;
                    }
                }
            }
            return generic(dev);
        }
    }
}
