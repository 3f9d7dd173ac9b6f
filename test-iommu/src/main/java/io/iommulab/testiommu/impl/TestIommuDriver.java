package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.FaultInject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver for "iommulab,test-iommu" (= platform_driver + iommu_ops). It reaches the hardware only
 * through MMIO, its interrupt and physical memory.
 *
 * <p>Fields: {@code identity}/{@code blocked} the static domains; {@code instances} the probed
 * instances and {@code groupMembers} the masters device_group placed in each group (both guarded
 * by {@code groupLock}, which also guards every instance's {@code streamGroup}); {@code clock} the
 * time source of the instances' fault message rate limits.
 */
@Component(service = IommuDriver.class, property = "device.compatible=" + TestIommuRegs.COMPATIBLE)
public final class TestIommuDriver implements IommuDriver {

    /** Driver name. */
    public static final String NAME = "test-iommu";
    /** Name of the fault interrupt handler. */
    public static final String IRQ_NAME = "test-iommu fault handler";

    private static final Logger LOG = LoggerFactory.getLogger(TestIommuDriver.class);

    private final StaticDomain identity = StaticDomain.identity();
    private final StaticDomain blocked = StaticDomain.blocked();
    private final Object groupLock = new Object();
    private final List<TestIommuInstance> instances = new ArrayList<>();
    private final Map<IommuGroup, Set<IommuMaster>> groupMembers = new HashMap<>();
    private final LongSupplier clock;

    public TestIommuDriver() {
        this(System::nanoTime);
    }

    /** A driver whose fault messages are rate-limited on {@code clock} (nanoseconds; tests pass their own). */
    TestIommuDriver(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return List.of(COMPATIBLE);
    }

    /** Probe: read ID, refuse a locked instance, reset to all-blocked, then take the fault interrupt. */
    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        String node = pdev.name();
        FaultInject.kzalloc(pdev, () -> "the test-iommu instance");
        TestIommuHw hw = new TestIommuHw(pdev, LOG);
        int id = hw.readId();
        int numStreams = id & ID_NUM_STREAMS_MASK;
        int pageShift = (id & ID_PAGE_SHIFT_MASK) >>> ID_PAGE_SHIFT_SHIFT;
        if (numStreams == 0 || pageShift != PAGE_SHIFT) {
            throw new IommuException(Errno.ENODEV, node + ": test-iommu ID 0x" + Integer.toHexString(id)
                    + " has " + numStreams + " streams and page shift " + pageShift + " (need >= 1 and " + PAGE_SHIFT + ")");
        }
        if (hw.isLocked()) {
            throw new IommuException(Errno.EINVAL, node + ": test-iommu is locked");
        }
        boolean bypass = (id & ID_BYPASS_SUPPORT) != 0;
        TestIommuInstance inst = new TestIommuInstance(pdev, hw, numStreams, bypass, clock);
        hw.reset(numStreams);
        inst.irq = pdev.irq(0).request(IRQ_NAME, inst::handleFault, true);
        synchronized (groupLock) {
            instances.add(inst);
        }
        LOG.info("{}: test-iommu: {} streams, bypass support: {} initialized", node, numStreams, bypass);
        return inst;
    }

    // ---- live update (docs/live-update.md) ----

    /** The record this driver hands its next version: {@value} version {@value #VERSION}. */
    static final String SCHEMA = "test-iommu";
    static final int VERSION = 1;

    /**
     * Live update, outgoing: for every domain the streams attached to it and its table; the
     * interrupt handler is freed and the hardware left exactly as it is.
     */
    @Override
    public PreservedIommu preserve(IommuDevice iommu) {
        TestIommuInstance inst = instance(iommu);
        Map<TestDomain, List<Integer>> byDomain = new java.util.LinkedHashMap<>();
        for (int sid = 0; sid < inst.numStreams(); sid++) {
            if (inst.domainOf(sid) instanceof TestDomain d) {
                byDomain.computeIfAbsent(d, k -> new ArrayList<>()).add(sid);
            }
        }
        List<PreservedDomain> domains = new ArrayList<>();
        byDomain.forEach((d, sids) -> domains.add(new PreservedDomain(-1, null, d.pgtableState(), 1,
                sids.stream().mapToInt(Integer::intValue).toArray())));
        if (inst.irq != null) {
            inst.irq.free();
            inst.irq = null;
        }
        synchronized (groupLock) {
            instances.remove(inst);
        }
        return new PreservedIommu(inst.name(), NAME, SCHEMA, VERSION, IAS, OAS, inst.numStreams(), domains);
    }

    /**
     * Live update, incoming: the instance without a reset. Every stream's CTRL and TTBR are read
     * and checked: a translating stream needs a valid TTBR into RAM, and a record's streams must point
     * at the record's tables. A fault latched while no handler listened is handled now.
     */
    @Override
    public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        String node = pdev.name();
        TestIommuHw hw = new TestIommuHw(pdev, LOG);
        int id = hw.readId();
        int numStreams = id & ID_NUM_STREAMS_MASK;
        TestIommuInstance inst = new TestIommuInstance(pdev, hw, numStreams, (id & ID_BYPASS_SUPPORT) != 0, clock);
        boolean known = record != null && SCHEMA.equals(record.schema()) && record.version() == VERSION;
        if (record != null && !known) {
            LOG.warn("{}: the record is {} version {}, which this driver does not know; reading the hardware", node,
                    record.schema(), record.version());
        }
        for (int sid = 0; sid < numStreams; sid++) {
            int ctrl = hw.readCtrl(sid);
            if ((ctrl & (CTRL_TRANSLATE | CTRL_BYPASS)) == CTRL_TRANSLATE) {
                l1Of(hw, node, sid); // a translating stream must have a table
            }
        }
        if (known) {
            for (PreservedDomain d : record.domains()) {
                long l1 = d.table().ttbrs()[0];
                for (int sid : d.streams()) {
                    long now = l1Of(hw, node, sid);
                    if (now != l1) {
                        throw new IommuException(Errno.EIO, String.format(
                                "%s: stream %d: the record says table 0x%x, the hardware TTBR says 0x%x", node, sid, l1, now));
                    }
                }
            }
        }
        inst.irq = pdev.irq(0).request(IRQ_NAME, inst::handleFault, true);
        inst.handleFault(-1);
        synchronized (groupLock) {
            instances.add(inst);
        }
        pdev.restoredFrom(known ? TakeoverSource.RECORD : TakeoverSource.HARDWARE);
        LOG.info("{}: test-iommu: took over {} streams running ({})", node, numStreams,
                known ? "from the record" : "from the hardware");
        return inst;
    }

    /** @return the L1 table a translating stream's TTBR points at; EIO if it is not valid or not in RAM */
    private static long l1Of(TestIommuHw hw, String node, int sid) {
        int ttbr = hw.readTtbr(sid);
        if ((ttbr & TTBR_VALID) == 0) {
            throw new IommuException(Errno.EIO, String.format("%s: stream %d translates with no valid TTBR (0x%08x)",
                    node, sid, ttbr));
        }
        return (long) (ttbr & TTBR_ADDR_MASK) << TTBR_ADDR_SHIFT;
    }

    /** Live update: the domain's table re-opened where the record or the streams' TTBRs say it is. */
    @Override
    public DomainOps restoreDomain(DomainHandover domain) {
        List<IommuDevice> all;
        synchronized (groupLock) {
            all = List.copyOf(instances);
        }
        return restoreDomain(domain, all);
    }

    /** As above, a domain on no stream re-opened on one of {@code iommus}: the instances of the core taking it over. */
    @Override
    public DomainOps restoreDomain(DomainHandover domain, List<IommuDevice> iommus) {
        boolean known = domain.table() != null && SCHEMA.equals(domain.table().format());
        if (domain.streams().isEmpty() && !known) {
            throw new IommuException(Errno.EINVAL, "domain " + domain.domain()
                    + " is attached to no stream and no record says where its table is");
        }
        TestIommuInstance first = domain.streams().isEmpty() ? anyInstance(iommus) : instance(domain.streams().get(0).iommu());
        long l1 = known ? domain.table().ttbrs()[0] : l1Of(first.hw, first.name(), domain.streams().get(0).args()[0]);
        for (var e : domain.streams()) {
            TestIommuInstance inst = instance(e.iommu());
            long now = l1Of(inst.hw, inst.name(), e.args()[0]);
            if (now != l1) {
                throw new IommuException(Errno.EIO, String.format("%s: stream %d of domain %d uses table 0x%x, not 0x%x",
                        inst.name(), e.args()[0], domain.domain(), now, l1));
            }
        }
        TestPageTable table = TestPageTable.attach(first.pdev.memory(), first.pdev.pages(), first.owner, l1);
        return new TestDomain(first.name() + " domain@0x" + Long.toHexString(l1), table);
    }

    private TestIommuInstance anyInstance(List<IommuDevice> iommus) {
        synchronized (groupLock) {
            for (TestIommuInstance inst : instances) {
                if (iommus.contains(inst)) {
                    return inst;
                }
            }
            throw new IommuException(Errno.ENODEV, "test-iommu has no instance to restore a domain on");
        }
    }

    /** Remove: leave the hardware blocked with no tables, then release the interrupt. */
    @Override
    public void remove(IommuDevice iommu) {
        TestIommuInstance inst = instance(iommu);
        try {
            inst.hw.reset(inst.numStreams());
        } catch (IommuException e) {
            LOG.warn("{}: reset on remove incomplete: {}", inst.name(), e.getMessage());
        }
        forget(inst);
        LOG.info("{}: test-iommu removed", inst.name());
    }

    /** Live update given up: forget the instance and release the interrupt; the hardware stays as the previous driver runs it. */
    @Override
    public void abandon(IommuDevice iommu) {
        TestIommuInstance inst = instance(iommu);
        forget(inst);
        LOG.info("{}: test-iommu takeover given up; the previous driver keeps it", inst.name());
    }

    private void forget(TestIommuInstance inst) {
        inst.clearDomains();
        if (inst.irq != null) {
            inst.irq.free();
            inst.irq = null;
        }
        synchronized (groupLock) {
            instances.remove(inst);
        }
    }

    private static TestIommuInstance instance(IommuDevice iommu) {
        if (iommu instanceof TestIommuInstance) {
            return (TestIommuInstance) iommu;
        }
        throw new IommuException(Errno.EINVAL, iommu + " is not a test-iommu instance");
    }

    /** of_xlate: {@code args[0]} is the stream id; records it in the master's {@link MasterCfg}. */
    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        TestIommuInstance inst = instance(iommu);
        if (args.length != 1) {
            throw new IommuException(Errno.EINVAL, inst.name() + ": " + dev.name() + " gives " + args.length
                    + " specifier cells, #iommu-cells is 1");
        }
        int sid = args[0];
        if (sid < 0 || sid >= inst.numStreams()) {
            throw new IommuException(Errno.EINVAL, inst.name() + ": stream " + Integer.toUnsignedString(sid) + " of " + dev.name()
                    + " is out of range (" + inst.numStreams() + " streams)");
        }
        Object priv = dev.priv();
        if (priv != null && !(priv instanceof MasterCfg)) {
            throw new IommuException(Errno.EINVAL, dev.name() + ": already has IOMMU data of another driver");
        }
        if (priv == null) {
            FaultInject.kzalloc(inst.pdev, () -> "the master configuration of " + dev.name());
        }
        MasterCfg cfg = priv != null ? (MasterCfg) priv : new MasterCfg();
        cfg.add(inst, sid);
        dev.setPriv(cfg);
    }

    /** @return the master's config; ENODEV if of_xlate never ran for it */
    static MasterCfg masterCfg(IommuMaster dev) {
        if (dev != null && dev.priv() instanceof MasterCfg) {
            return (MasterCfg) dev.priv();
        }
        throw new IommuException(Errno.ENODEV, (dev == null ? "null device" : dev.name())
                + ": no test-iommu streams (of_xlate did not run)");
    }

    @Override
    public void probeDevice(IommuMaster dev) {
        masterCfg(dev);
    }

    @Override
    public void releaseDevice(IommuMaster dev) {
        Object priv = dev.priv();
        if (!(priv instanceof MasterCfg)) {
            return;
        }
        MasterCfg cfg = (MasterCfg) priv;
        synchronized (groupLock) {
            IommuGroup group = cfg.group;
            Set<IommuMaster> members = group != null ? groupMembers.get(group) : null;
            if (members != null) {
                members.remove(dev);
                if (members.isEmpty()) {
                    groupMembers.remove(group);
                    forgetGroup(group);
                }
            }
            cfg.group = null;
        }
        dev.setPriv(null);
    }

    /** Drops every stream's link to a group whose devices were all released. Caller holds groupLock. */
    private void forgetGroup(IommuGroup group) {
        for (TestIommuInstance inst : instances) {
            for (int sid = 0; sid < inst.streamGroup.length; sid++) {
                if (inst.streamGroup[sid] == group) {
                    inst.streamGroup[sid] = null;
                }
            }
        }
    }

    /**
     * device_group: a master that shares any stream with a grouped master joins that group;
     * otherwise a PCI function gets pci_device_group and a platform device a new group.
     */
    @Override
    public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        MasterCfg cfg = masterCfg(dev);
        synchronized (groupLock) {
            IommuGroup found = null;
            for (int i = 0; i < cfg.instanceCount(); i++) {
                TestIommuInstance inst = cfg.instance(i);
                long[] map = cfg.sidmap(i);
                int n = inst.numStreams();
                for (int sid = Bitmap.findFirstBit(map, n); sid < n; sid = Bitmap.findNextBit(map, n, sid + 1)) {
                    IommuGroup g = inst.streamGroup[sid];
                    if (g != null && found != null && g != found) {
                        throw new IommuException(Errno.EINVAL, dev.name() + ": streams (" + cfg
                                + ") are shared with two groups, " + found.id() + " and " + g.id());
                    }
                    found = g != null ? g : found;
                }
            }
            if (found == null) {
                found = dev.isPci() ? groups.pci(dev) : groups.generic(dev);
            }
            for (int i = 0; i < cfg.instanceCount(); i++) {
                TestIommuInstance inst = cfg.instance(i);
                IommuGroup group = found;
                cfg.forEachStream(i, sid -> inst.streamGroup[sid] = group);
            }
            groupMembers.computeIfAbsent(found, g -> new HashSet<>()).add(dev);
            cfg.group = found;
            return found;
        }
    }

    /** domain_alloc_paging: table pages come from the allocator of the master's first instance. */
    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        TestIommuInstance inst = masterCfg(dev).instance(0);
        FaultInject.kzalloc(inst.pdev, () -> "a paging domain of " + dev.name());
        TestPageTable table = new TestPageTable(inst.pdev.memory(), inst.pdev.pages(), inst.owner);
        return new TestDomain(inst.name() + " domain@0x" + Long.toHexString(table.l1()), table);
    }

    @Override
    public DomainOps identityDomain() {
        return identity;
    }

    @Override
    public DomainOps blockedDomain() {
        return blocked;
    }

    @Override
    public boolean capable(IommuMaster dev, Capability cap) {
        return cap == Capability.DEFERRED_FLUSH;
    }
}
