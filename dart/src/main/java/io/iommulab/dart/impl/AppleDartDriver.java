package io.iommulab.dart.impl;

import io.iommulab.klib.Bitmap;
import io.iommulab.klib.FaultInject;
import io.iommulab.klib.PgtableDomain;
import io.iommulab.klib.PgtableFormats;
import io.iommulab.klib.RateLimit;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.FwspecEntry;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.ReservedRegion;
import io.iommulab.api.driver.TakeoverSource;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.dart.spi.DartFault;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartParams;
import io.iommulab.dart.spi.DartVariant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Apple DART driver for one variant (apple-dart.c: platform driver + iommu_ops, Linux 7.2,
 * dart-facts §1.8, §3). One instance per {@link DartVariant} service: the {@link DartVariantTracker}
 * makes it from this component factory with the variant's service id and page-table format as
 * reference targets, so a variant arriving or leaving makes its DARTs probe or be removed through
 * the core's driver add/remove. Every instance is called {@value #NAME}; logs name the variant.
 *
 * <p>Live update (docs/live-update.md): {@link #preserve} hands each DART to the next version as a
 * {@link DartRecord}, {@link #restore} takes one over without a reset (from the record, or from the
 * hardware: {@link DartTakeover}), {@link #restoreDomain} re-opens a domain on its tables; when the
 * page-table format service is replaced, the live domains move to the new one.
 *
 * <p>Fields: {@code variant} the variant record; {@code variantOrigin} the bundle the variant
 * service comes from when it is not this one (for {@code dart:darts}); {@code formats} the page-table formats (the bound
 * services, or what a test hands in); {@code faultLimit} the rate limit of the fault message (one
 * call site per driver instance, as dev_err_ratelimited has one per call site);
 * {@code identity}/{@code blocked} the static domains; {@code instances} the probed DARTs;
 * {@code domains} the paging domains with a table, which a new format version must re-open.
 */
@Component(factory = AppleDartDriver.FACTORY, service = IommuDriver.class)
public final class AppleDartDriver implements IommuDriver {

    /** component.factory of the driver component */
    public static final String FACTORY = "io.iommulab.dart.driver";
    /** driver name */
    public static final String NAME = "apple-dart";
    /** name of the fault interrupt handler, as upstream requests it */
    public static final String IRQ_NAME = "apple-dart fault handler";
    /** a DART window must cover the whole register map */
    static final long MMIO_MIN_SIZE = 0x4000;
    /** CONFIG_PCIE_APPLE_MSI_DOORBELL_ADDR default: the top page of the 32-bit IOVA space */
    static final long MSI_DOORBELL_ADDR = 0xFFFF_F000L;
    /** apple_dart_groups_lock: guards every DART's sid2group and the groups' stream maps */
    static final Object GROUPS_LOCK = new Object();

    private static final Logger LOG = LoggerFactory.getLogger(AppleDartDriver.class);
    /**
     * Loaded with the driver: preserve may run after this bundle's old revision left the framework
     * (stopped, updated and refreshed before the next version started), when the old code can no
     * longer load a class it had not loaded before (NoClassDefFoundError: no record, the new code
     * reads the hardware and cannot find a domain that runs on no stream).
     */
    private static final Class<?> PRESERVE_CODE = DartRecord.class;

    private final DartHw variant;
    private final String variantOrigin;
    private final PgtableFormats formats;
    private final RateLimit faultLimit;
    private final StaticDomain identity = StaticDomain.identity();
    private final StaticDomain blocked = StaticDomain.blocked();
    private final List<DartInstance> instances = new CopyOnWriteArrayList<>();
    private final Set<DartDomain> domains = ConcurrentHashMap.newKeySet();

    /**
     * SCR: a driver for the variant service the tracker named in {@code variant.target}; the
     * tracker also names the variant's bundle in the core's origin property.
     */
    @Activate
    public AppleDartDriver(@Reference(name = "variant") DartVariant variant, Map<String, Object> properties) {
        this.variant = Objects.requireNonNull(variant.hw(), "variant record");
        Object origin = properties.get(DartVariantTracker.ORIGIN_PROPERTY);
        this.variantOrigin = origin != null ? origin.toString() : null;
        this.formats = formats(name -> null);
        this.faultLimit = new RateLimit(System::nanoTime);
    }

    private AppleDartDriver(DartHw variant, Function<String, PageTableFormat> formats, LongSupplier clock) {
        this.variant = Objects.requireNonNull(variant, "variant");
        this.variantOrigin = null;
        this.formats = formats(Objects.requireNonNull(formats, "formats"));
        this.faultLimit = new RateLimit(clock);
    }

    /**
     * A driver outside OSGi (unit tests, tools).
     *
     * @param variant the variant to drive
     * @param formats finds a page-table format by name ({@code apple-dart}, {@code apple-dart2}), null if absent
     */
    public static AppleDartDriver create(DartHw variant, Function<String, PageTableFormat> formats) {
        return new AppleDartDriver(variant, formats, System::nanoTime);
    }

    /** As {@link #create(DartHw, Function)} with a nanosecond clock for the fault rate limit. */
    static AppleDartDriver create(DartHw variant, Function<String, PageTableFormat> formats, LongSupplier clock) {
        return new AppleDartDriver(variant, formats, clock);
    }

    /**
     * The formats bound and the variant's one, whose new version takes the live domains over; any
     * DART's platform device quiesces them all.
     */
    private PgtableFormats formats(Function<String, PageTableFormat> fallback) {
        return new PgtableFormats(NAME + " " + variant.identity().name(), variant.identity().pgtableFormat(), fallback,
                new PgtableFormats.Driver() {
                    @Override
                    public PlatformDevice anyDevice() {
                        return instances.stream().findFirst().map(d -> d.pdev).orElse(null);
                    }

                    @Override
                    public Iterable<PgtableDomain> liveTables() {
                        return domains.stream().map(DartDomain::table).toList();
                    }
                }, LOG);
    }

    /** @return the format called {@code name} (the newest bound service); ENODEV if no such format is available */
    PageTableFormat format(String name) {
        return formats.require(name);
    }

    // ---------------------------------------------------------------- page-table formats

    /**
     * SCR: a page-table format service arrived (the tracker narrows the target to the variant's
     * format). A new version of the format the live domains run on takes them over.
     */
    @Reference(name = "formats", service = PageTableFormat.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindFormat")
    void bindFormat(PageTableFormat format, ServiceReference<PageTableFormat> ref) {
        formatArrived(format, bundleName(ref.getBundle()));
    }

    /** SCR: a format service left ({@link #formatLeft}). */
    void unbindFormat(PageTableFormat format) {
        formatLeft(format);
    }

    /**
     * A format service left ({@link #unbindFormat} outside OSGi). The live domains keep running on
     * its code (still loaded) until a new version arrives, unless another service of the same
     * format is bound: they move to it now. Meanwhile the core holds back the calls that need the
     * format (domain allocation, attach) when it left in a bundle update.
     */
    public void formatLeft(PageTableFormat format) {
        formats.unbind(format);
    }

    /**
     * A format service arrived, from the bundle {@code origin} ({@link #bindFormat} outside OSGi).
     * When it is the variant's format, every live domain on another object of that format is
     * re-opened by it, with the domains quiesced ({@link PlatformDevice#quiesceDomains}).
     */
    public void formatArrived(PageTableFormat format, String origin) {
        formats.bind(format, origin);
    }

    /** A domain's table went live (finalised or re-opened). */
    void domainLive(DartDomain d) {
        domains.add(d);
    }

    /** A domain was freed. */
    void domainGone(DartDomain d) {
        domains.remove(d);
    }

    /** @return "io.iommulab.dart 0.2.0", or null outside OSGi */
    static String bundleName(Bundle b) {
        return b == null ? null : b.getSymbolicName() + " " + b.getVersion();
    }

    /** @return the bundle this driver's code comes from ("io.iommulab.dart 0.2.0"), null outside OSGi */
    public String driverBundle() {
        return bundleName(FrameworkUtil.getBundle(AppleDartDriver.class));
    }

    /**
     * @return the bundle the variant service comes from ("io.iommulab.dart.usb4 0.1.0.SNAPSHOT"): the
     *         one the tracker named, else this driver's own (a built-in variant); null outside OSGi
     */
    public String variantBundle() {
        return variantOrigin != null ? variantOrigin : driverBundle();
    }

    /** @return the variant this driver drives */
    public DartHw variant() {
        return variant;
    }

    /** @return the DARTs probed by this driver, in probe order */
    public List<DartInstance> instances() {
        return List.copyOf(instances);
    }

    Logger log() {
        return LOG;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return variant.identity().compatibles();
    }

    // ---------------------------------------------------------------- platform driver

    /**
     * apple_dart_probe, in upstream order (dart-facts §1.8): map the window (at least 0x4000), get
     * the interrupt, read PARAMS, refuse more than 256 streams, reset the hardware, request the
     * shared fault interrupt. Nothing is left behind on failure.
     *
     * @throws IommuException EINVAL "MMIO region too small", ENODEV (no interrupt), EINVAL "Too many
     *         streams", EINVAL "DART is locked down until reboot", ETIMEDOUT (reset's invalidation),
     *         EBUSY (interrupt taken by a non-shared handler)
     */
    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        String node = pdev.name();
        FaultInject.kzalloc(pdev, () -> "the DART"); // devm_kzalloc(dart)
        MmioWindow regs = window(pdev);
        IrqLine line = faultLine(pdev);
        DartParams params = readParams(node, regs);
        DartInstance dart = new DartInstance(this, pdev, variant, regs, params);
        dart.hw.hwReset();
        IrqRegistration irq = line.request(IRQ_NAME, dart::handleIrq, true);
        try {
            dart.irq = irq;
            instances.add(dart);
            if (LOG.isInfoEnabled()) {
                LOG.info(String.format("%s: DART [pagesize %x, %d streams, bypass support: %d, bypass forced: %d, AS %d -> %d]"
                        + " initialized", prefix(node), params.pageSize(), params.numStreams(), params.supportsBypass() ? 1 : 0,
                        dart.bypassForced() ? 1 : 0, params.ias(), params.oas()));
            }
        } catch (RuntimeException e) {
            instances.remove(dart);
            dart.irq = null;
            irq.free();
            throw e;
        }
        return dart;
    }

    /** The window of probe: at least 0x4000 bytes (EINVAL "MMIO region too small"). */
    private static MmioWindow window(PlatformDevice pdev) {
        MmioWindow regs = pdev.ioremap(0);
        if (regs.size() < MMIO_MIN_SIZE) {
            throw new IommuException(Errno.EINVAL, String.format("%s: MMIO region too small (0x%x bytes, need 0x%x)", pdev.name(),
                    regs.size(), MMIO_MIN_SIZE));
        }
        return regs;
    }

    /** The fault interrupt of probe (ENODEV without one). */
    private static IrqLine faultLine(PlatformDevice pdev) {
        try {
            return pdev.irq(0);
        } catch (IommuException e) {
            throw new IommuException(Errno.ENODEV, pdev.name() + ": no fault interrupt: " + e.getMessage(), e);
        }
    }

    /**
     * The PARAMS part of probe: the family reads them; more than DART_MAX_STREAMS is refused as
     * upstream does.
     */
    private DartParams readParams(String node, MmioWindow regs) {
        DartParams params = variant.strategies().params().readParams(variant, regs);
        if (params.numStreams() > DartHw.MAX_STREAMS) {
            throw new IommuException(Errno.EINVAL, String.format("%s: Too many streams (%d > %d)", node, params.numStreams(),
                    DartHw.MAX_STREAMS));
        }
        if (params.numStreams() > variant.sizes().maxSidCount()) {
            // not upstream (its tables are sized for the hardware they list): a variant record
            // must cover every stream its PARAMS report, or the enable words would not reach them
            throw new IommuException(Errno.EINVAL, String.format("%s: PARAMS report %d streams; variant %s has at most %d",
                    node, params.numStreams(), variant.identity().name(), variant.sizes().maxSidCount()));
        }
        return params;
    }

    /** "apple-dart t8103 /soc/iommu@382f00000", as dev_info prefixes driver and device */
    private String prefix(String node) {
        return NAME + " " + variant.identity().name() + " " + node;
    }

    /**
     * apple_dart_remove: reset the hardware (every stream blocked, no tables; the result is only
     * logged), free the interrupt, forget the DART. The core released every master first.
     */
    @Override
    public void remove(IommuDevice iommu) {
        DartInstance dart = instance(iommu);
        try {
            dart.hw.hwReset();
        } catch (RuntimeException e) {
            LOG.warn("{}: reset on remove failed: {}", prefix(dart.node()), e.getMessage());
        }
        forget(dart);
        LOG.debug("{}: removed", prefix(dart.node()));
    }

    /**
     * Live update given up after this driver restored the DART: the interrupt handler freed, the
     * DART and the domains re-opened on it forgotten; no register written (the previous driver
     * still runs the streams, and the core may try the takeover again).
     */
    @Override
    public void abandon(IommuDevice iommu) {
        DartInstance dart = instance(iommu);
        forget(dart);
        LOG.info("{}: takeover given up; the previous driver keeps it", prefix(dart.node()));
    }

    /** The software half of remove: the interrupt handler freed, the DART and its domains forgotten. */
    private void forget(DartInstance dart) {
        IrqRegistration irq = dart.irq;
        dart.irq = null;
        if (irq != null) {
            irq.free();
        }
        instances.remove(dart);
        // domains on this DART's tables that no core domain holds any more (a takeover that failed:
        // the core drops the half-restored ones without freeing, their tables being the old code's)
        domains.removeIf(d -> d.home() == dart);
    }

    // ---------------------------------------------------------------- live update

    /**
     * Live update, outgoing side: the DART as a {@link DartRecord} (schema apple-dart, version 1),
     * then the interrupt handler is freed and the DART forgotten. No register is read for it or
     * written: the record is what this driver wrote.
     */
    @Override
    public PreservedIommu preserve(IommuDevice iommu) {
        DartInstance dart = instance(iommu);
        List<DartDomain> detached = new ArrayList<>();
        for (DartDomain d : domains) {
            if (d.home() == dart && !d.attachedNow()) {
                detached.add(d);
            }
        }
        PreservedIommu rec = DartRecord.of(dart, detached);
        IrqRegistration irq = dart.irq;
        dart.irq = null;
        if (irq != null) {
            irq.free();
        }
        instances.remove(dart);
        LOG.info("{}: handed over to the next version ({} domains in the record); the hardware keeps running",
                prefix(dart.node()), rec.domains().size());
        return rec;
    }

    /**
     * Live update, incoming side: probe without the reset. The window, interrupt and PARAMS as
     * probe reads them; the record if this driver knows its layout (else the hardware is read, and
     * that is logged); every stream checked against the record and for trust
     * ({@link DartTakeover#check}); then the shared fault interrupt, and an error the hardware
     * latched while no handler was registered is handled as the handler would have.
     *
     * @throws IommuException as probe for the window, interrupt and PARAMS; EIO when the DART is
     *         locked, or its registers disagree with the record or cannot be trusted (the core then
     *         removes and probes it again, with a warning naming the stream); EINVAL for a record
     *         naming streams the DART does not have
     */
    @Override
    public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        String node = pdev.name();
        FaultInject.kzalloc(pdev, () -> "the DART"); // as probe: devm_kzalloc(dart)
        MmioWindow regs = window(pdev);
        IrqLine line = faultLine(pdev);
        DartParams params = readParams(node, regs);
        DartInstance dart = new DartInstance(this, pdev, variant, regs, params);
        if (dart.hw.isLocked()) {
            // probe refuses a locked DART, so the previous driver never ran this one locked
            throw new IommuException(Errno.EIO, String.format("%s: DART is locked down until reboot: %08x", node, dart.hw.readLock()));
        }
        PreservedIommu rec = DartRecord.accept(dart, record, LOG, prefix(node));
        DartTakeover.Summary s = DartTakeover.check(dart, rec);
        dart.recordTables = DartRecord.tablesById(rec);
        dart.irq = line.request(IRQ_NAME, dart::handleIrq, true);
        instances.add(dart);
        pdev.restoredFrom(rec != null ? TakeoverSource.RECORD : TakeoverSource.HARDWARE);
        LOG.info("{}: took over the running DART without a reset ({}): {} streams translating, {} bypass, {} blocked",
                prefix(node), rec != null ? "from the record " + DartRecord.SCHEMA + " v" + DartRecord.VERSION : "from the hardware",
                s.translating(), s.bypass(), s.blocked());
        dart.replayLatchedError();
        return dart;
    }

    /**
     * Live update: a paging domain re-opened on its table. The table is the record's when a record
     * this driver accepted names the domain with it; otherwise it is read from the hardware of the
     * first stream. Every stream of the domain must run that table exactly as an attach programs it;
     * nothing is allocated, cleared or written.
     *
     * @throws IommuException ENOENT for a domain on no stream that no record names; EIO naming the
     *         stream when a stream runs something else or cannot be trusted; EINVAL when the table
     *         does not fit the DARTs or the format refuses it
     */
    @Override
    public DomainOps restoreDomain(DomainHandover domain) {
        return restoreDomain(domain, List.copyOf(instances));
    }

    /**
     * {@link #restoreDomain(DomainHandover)} with the record's home looked up among {@code iommus}
     * only: the DARTs of the core taking the domain over. Another core's machine (a lab of the same
     * board) has DARTs of the same names whose records may name a domain of the same id with the
     * same table address; a domain on no stream given such a home would run on the other machine's
     * memory and page allocator.
     */
    @Override
    public DomainOps restoreDomain(DomainHandover domain, List<IommuDevice> iommus) {
        List<StreamMap> slots = slots(domain);
        DartInstance recordHome = domain.table() != null ? recordNaming(domain.domain(), domain.table(), iommus) : null;
        PageTableState table = recordHome != null ? domain.table() : null;
        if (table == null) {
            if (slots.isEmpty()) {
                throw new IommuException(Errno.ENOENT, String.format("%s %s: domain %d runs on no stream, and no record this"
                        + " driver knows names its table", NAME, variant.identity().name(), domain.domain()));
            }
            StreamMap first = slots.get(0);
            table = DartTakeover.tableOf(first.dart, Bitmap.findFirstBit(first.sidmap, first.dart.numStreams()));
        }
        for (StreamMap map : slots) {
            int n = map.dart.numStreams();
            for (int sid = Bitmap.findFirstBit(map.sidmap, n); sid < n; sid = Bitmap.findNextBit(map.sidmap, n, sid + 1)) {
                String bad = DartTakeover.runs(map.dart, sid, table);
                if (bad != null) {
                    throw new IommuException(Errno.EIO, String.format("%s: stream %d: domain %d: %s", map.dart.node(), sid,
                            domain.domain(), bad));
                }
            }
        }
        DartDomain d = new DartDomain(this);
        d.restore(domain.domain(), domain.type(), slots.isEmpty() ? recordHome : slots.get(0).dart, slots, table);
        return d;
    }

    /**
     * @return the streams of a handed-over domain per DART, DARTs in the order the masters name them
     *         (the slot order of_xlate gives, which the next attach checks)
     */
    private List<StreamMap> slots(DomainHandover domain) {
        List<StreamMap> slots = new ArrayList<>();
        for (FwspecEntry e : domain.streams()) {
            DartInstance dart = instance(e.iommu());
            int[] args = e.args();
            if (args.length != 1 || args[0] < 0 || args[0] >= dart.numStreams()) {
                throw new IommuException(Errno.EINVAL, String.format("%s: domain %d: specifier %s is not a stream of the DART",
                        dart.node(), domain.domain(), java.util.Arrays.toString(args)));
            }
            StreamMap map = null;
            for (StreamMap m : slots) {
                if (m.dart == dart) {
                    map = m;
                }
            }
            if (map == null) {
                if (slots.size() == MasterCfg.MAX_DARTS_PER_DEVICE) {
                    throw new IommuException(Errno.EINVAL, String.format("%s %s: domain %d runs on more than %d DARTs", NAME,
                            variant.identity().name(), domain.domain(), MasterCfg.MAX_DARTS_PER_DEVICE));
                }
                map = new StreamMap(dart, Bitmap.zalloc(DartHw.MAX_STREAMS));
                slots.add(map);
            }
            Bitmap.set(map.sidmap, args[0]);
        }
        return slots;
    }

    /** @return a DART of this driver whose accepted record has domain {@code id} on exactly {@code table}, or null */
    private DartInstance recordNaming(int id, PageTableState table, List<IommuDevice> iommus) {
        for (DartInstance dart : instances) {
            if (!iommus.contains(dart)) {
                continue;
            }
            Map<Integer, List<PageTableState>> tables = dart.recordTables;
            List<PageTableState> named = tables != null ? tables.get(id) : null;
            if (named != null && named.contains(table)) {
                return dart;
            }
        }
        return null;
    }

    private DartInstance instance(IommuDevice iommu) {
        if (iommu instanceof DartInstance d && d.driver == this) {
            return d;
        }
        throw new IommuException(Errno.EINVAL, iommu + " is not a DART of apple-dart " + variant.identity().name());
    }

    // ---------------------------------------------------------------- iommu_ops

    /**
     * apple_dart_of_xlate: one {@code iommus} cell, the SID, recorded in the master's slot for this
     * DART (or the first free slot). All DARTs of a master must share page size and IAS; bypass
     * support is ANDed. Every check runs before anything changes.
     *
     * @throws IommuException EINVAL for a cell count other than 1, a SID at or above the DART's
     *         stream count, a page size or IAS differing from the master's first DART, a fourth DART
     */
    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        DartInstance dart = instance(iommu);
        if (args.length != 1) {
            throw new IommuException(Errno.EINVAL, String.format("%s: %s gives %d specifier cells; #iommu-cells must be 1",
                    dart.node(), dev.name(), args.length));
        }
        checkStream(dev, dart, args[0]);
        int sid = args[0];
        Object priv = dev.priv();
        if (priv != null && !(priv instanceof MasterCfg)) {
            throw new IommuException(Errno.EINVAL, dev.name() + ": already has IOMMU data of another driver");
        }
        MasterCfg cfg = (MasterCfg) priv;
        DartInstance first = cfg != null ? cfg.dart(0) : null;
        if (first != null && first.pgsize() != dart.pgsize()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: page size 0x%x of %s differs from 0x%x of %s", dev.name(),
                    dart.pgsize(), dart.node(), first.pgsize(), first.node()));
        }
        if (first != null && first.params.ias() != dart.params.ias()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: IAS %d of %s differs from %d of %s", dev.name(),
                    dart.params.ias(), dart.node(), first.params.ias(), first.node()));
        }
        int slot = cfg != null ? cfg.slotFor(dart) : 0;
        if (slot < 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: %s would be its DART number %d; at most %d per device",
                    dev.name(), dart.node(), MasterCfg.MAX_DARTS_PER_DEVICE + 1, MasterCfg.MAX_DARTS_PER_DEVICE));
        }
        if (cfg == null) {
            FaultInject.kzalloc(dart.pdev, () -> "the master configuration of " + dev.name());
            cfg = new MasterCfg();
            dev.setPriv(cfg);
        }
        cfg.supportsBypass &= dart.params.supportsBypass();
        cfg.add(slot, dart, sid);
    }

    /**
     * A SID the DART does not have is refused here, for every variant (its count is what probe
     * read: the record's on T8020, PARAMS4 on T8110). Upstream does not check: such a stream is
     * skipped by every loop over num_streams, so the master "probes", its maps succeed and every
     * transaction fails in the hardware (NO SUCH STREAM) with nothing reported; one beyond the
     * 256-bit bitmap would even corrupt memory there.
     */
    private static void checkStream(IommuMaster dev, DartInstance dart, int sid) {
        if (sid < 0 || sid >= dart.numStreams()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: stream %d of %s is out of range: the DART has %d streams",
                    dev.name(), sid & 0xffff_ffffL, dart.node(), dart.numStreams()));
        }
    }

    /** @return the master's configuration; ENODEV when of_xlate never ran (not behind a DART) */
    static MasterCfg masterCfg(IommuMaster dev) {
        if (dev != null && dev.priv() instanceof MasterCfg cfg && cfg.count() > 0) {
            return cfg;
        }
        throw new IommuException(Errno.ENODEV, (dev == null ? "null device" : dev.name()) + ": not behind a DART (no of_xlate)");
    }

    /** apple_dart_probe_device: a master with a configuration is ours (device links: not modelled). */
    @Override
    public void probeDevice(IommuMaster dev) {
        masterCfg(dev);
    }

    /** apple_dart_release_device: frees the master's configuration; the group keeps its copy. */
    @Override
    public void releaseDevice(IommuMaster dev) {
        if (dev.priv() instanceof MasterCfg) {
            dev.setPriv(null);
        }
    }

    /**
     * apple_dart_device_group (dart-facts §3.2; Robin Murphy's review point: streams the DART cannot
     * tell apart must share a group): look every stream up in its DART's {@code sid2group}; once one
     * stream named a group, every later one must name the same (an unassigned one included). A
     * found group is returned; otherwise a PCI function gets pci_device_group and a platform device
     * a new group, the group gets a copy of the master's streams (merged when another PCI function
     * already put its streams there) with a release callback that clears them again, and every
     * stream of the master is recorded as the group's.
     *
     * @throws IommuException EINVAL for streams in two groups, or a merge of PCI functions on
     *         different or several DARTs ("Failed to merge DART IOMMU groups.")
     */
    @Override
    public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        MasterCfg cfg = masterCfg(dev);
        synchronized (GROUPS_LOCK) {
            IommuGroup group = null;
            for (int i = 0; i < cfg.count(); i++) {
                StreamMap map = cfg.maps[i];
                int n = map.dart.numStreams();
                for (int sid = Bitmap.findFirstBit(map.sidmap, n); sid < n; sid = Bitmap.findNextBit(map.sidmap, n, sid + 1)) {
                    IommuGroup sg = map.dart.sid2group[sid];
                    if (group != null && group != sg) {
                        throw new IommuException(Errno.EINVAL, String.format("%s: stream %d of %s is in %s, an earlier stream in group %d",
                                dev.name(), sid, map.dart.node(), sg == null ? "no group" : "group " + sg.id(), group.id()));
                    }
                    group = sg;
                }
            }
            if (group != null) {
                return group;
            }
            group = dev.isPci() ? groups.pci(dev) : groups.generic(dev);
            Object data = group.iommuData();
            if (data instanceof MasterCfg groupCfg) {
                mergeMasterCfg(dev, groupCfg, cfg);
            } else if (data != null) {
                throw new IommuException(Errno.EINVAL, dev.name() + ": group " + group.id() + " carries data of another driver");
            } else {
                FaultInject.kzalloc(cfg.dart(0).pdev, () -> "the group copy of the master configuration of " + dev.name());
                MasterCfg copy = cfg.copy();
                group.setIommuData(copy, () -> releaseGroup(copy));
            }
            for (int i = 0; i < cfg.count(); i++) {
                StreamMap map = cfg.maps[i];
                int n = map.dart.numStreams();
                for (int sid = Bitmap.findFirstBit(map.sidmap, n); sid < n; sid = Bitmap.findNextBit(map.sidmap, n, sid + 1)) {
                    map.dart.sid2group[sid] = group;
                }
            }
            return group;
        }
    }

    /**
     * apple_dart_merge_master_cfg: only for a group pci_device_group returned with another
     * function's streams in it; Apple platforms never spread one PCI bus over several DARTs, so
     * both sides must use exactly one, the same, DART. Caller holds GROUPS_LOCK.
     */
    private static void mergeMasterCfg(IommuMaster dev, MasterCfg dst, MasterCfg src) {
        if (src.count() != 1 || dst.count() != 1 || src.dart(0) != dst.dart(0)) {
            throw new IommuException(Errno.EINVAL, dev.name() + ": Failed to merge DART IOMMU groups. (" + src + " into " + dst + ")");
        }
        Bitmap.or(dst.maps[0].sidmap, src.maps[0].sidmap);
    }

    /** apple_dart_release_group: the group lost its last device; its streams belong to no group. */
    private static void releaseGroup(MasterCfg groupCfg) {
        synchronized (GROUPS_LOCK) {
            for (int i = 0; i < groupCfg.count(); i++) {
                StreamMap map = groupCfg.maps[i];
                Bitmap.forEachSetBit(map.sidmap, map.dart.numStreams(), sid -> map.dart.sid2group[sid] = null);
            }
        }
    }

    /**
     * apple_dart_def_domain_type: a DART page larger than the CPU page leaves only identity; a
     * master with a DART that cannot bypass needs a DMA domain; otherwise the core decides.
     */
    @Override
    public DomainType defDomainType(IommuMaster dev) {
        MasterCfg cfg = masterCfg(dev);
        if (cfg.dart(0).bypassForced()) {
            return DomainType.IDENTITY;
        }
        if (!cfg.supportsBypass) {
            return DomainType.DMA;
        }
        return null;
    }

    /**
     * apple_dart_domain_alloc_paging: finalised at once for {@code dev} (its failures are returned);
     * without a device at the first attach.
     */
    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        MasterCfg cfg = dev != null ? masterCfg(dev) : null;
        if (cfg != null) {
            FaultInject.kzalloc(cfg.dart(0).pdev, () -> "a paging domain of " + dev.name());
        }
        DartDomain domain = new DartDomain(this);
        if (cfg != null) {
            domain.finalizeDomain(cfg);
        }
        return domain;
    }

    @Override
    public DomainOps identityDomain() {
        return identity;
    }

    @Override
    public DomainOps blockedDomain() {
        return blocked;
    }

    /**
     * apple_dart_get_resv_regions: a PCI function's MSIs are writes to the PCIe controller's
     * doorbell at the top of the 32-bit IOVA space; that CPU page must never be mapped.
     */
    @Override
    public List<ReservedRegion> getResvRegions(IommuMaster dev) {
        if (!dev.isPci()) {
            return List.of();
        }
        long page = masterCfg(dev).dart(0).pdev.cpuPageSize();
        return List.of(new ReservedRegion(MSI_DOORBELL_ADDR & ~(page - 1), page, Prot.WRITE | Prot.NOEXEC | Prot.MMIO,
                ReservedRegion.Type.MSI));
    }

    // ---------------------------------------------------------------- faults

    /**
     * dev_err_ratelimited of the fault handlers: the upstream line (its format string has no
     * trailing newline), at most 10 per 5 s for this driver's handlers.
     */
    void logFault(DartInstance dart, DartFault f) {
        if (!faultLimit.ratelimit(n -> LOG.error("{}: {} callbacks suppressed", prefix(dart.node()), n)) || !LOG.isErrorEnabled()) {
            return;
        }
        LOG.error(String.format("%s: translation fault: status:0x%x stream:%d code:0x%x (%s) at 0x%x", prefix(dart.node()),
                f.status(), f.sid(), f.code(), f.name(), f.iova()));
    }

    @Override
    public String toString() {
        return NAME + " (" + variant.identity().name() + ")";
    }
}
