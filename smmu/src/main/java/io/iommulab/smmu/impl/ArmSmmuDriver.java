package io.iommulab.smmu.impl;

import io.iommulab.api.Prot;
import io.iommulab.api.config.Configurable;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.driver.Capability;
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
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.klib.FaultInject;
import io.iommulab.klib.PgtableDomain;
import io.iommulab.klib.PgtableFormats;
import io.iommulab.klib.RateLimit;
import io.iommulab.lib.config.Values;
import io.iommulab.smmu.impl.hw.FaultText;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ARM SMMUv2 driver (drivers/iommu/arm/arm-smmu/arm-smmu.c: platform driver + iommu_ops;
 * dart-facts §4): stream-map entries per master, a context bank per paging domain with an
 * {@code arm-lpae-s1} table, TLB invalidation by VA and ASID, context and global fault handlers.
 *
 * <p>Fields: {@code formats} the page-table formats (the bound {@code arm-lpae-s1} services, or what
 * a test hands in), whose new version takes the live domains over; {@code clock} nanosecond clock
 * of the rate limits and the TLB sync timeout; {@code disableBypass} the disable_bypass module
 * parameter; {@code contextFaultLimit}/{@code globalFaultLimit}/{@code syncLimit} one rate limit
 * per upstream call site; {@code instances} the probed (or taken over) SMMUs; {@code domains} the
 * paging domains not freed yet (a live-update record lists them by SMMU).
 *
 * <p>Live update: {@link #preserve} records an SMMU ({@link SmmuRecord}) and lets go of its
 * interrupts; the next version's {@link #restore} takes it over without a reset
 * ({@link SmmuTakeover}) and {@link #restoreDomain} re-opens each domain on its bank and table.
 * When the page-table format service is replaced (the pgtable bundle updated), every live domain's
 * table is re-opened by the new one, on the same bank with the same registers.
 *
 * <p>Options: the configuration {@value SmmuSettings#PID} ({@link Config}, {@link SmmuSettings})
 * over the framework properties; a change is applied by {@link #modified} to the running SMMUs
 * ({@link #setDisableBypass}), never by a deactivation (which would unbind every SMMU). Registered
 * as {@link Configurable} too, so that {@code iommu:config} lists and changes it.
 */
@Component(service = {IommuDriver.class, Configurable.class}, configurationPid = SmmuSettings.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ArmSmmuDriver.Config.class)
public final class ArmSmmuDriver implements IommuDriver, Configurable {

    /**
     * The metatype of the driver's configuration ({@code $_$} in a name is a dash in the key);
     * {@link SmmuSettings} reads and checks the values.
     */
    @ObjectClassDefinition(id = SmmuSettings.PID, name = "ARM SMMUv2 driver", description = "Options of the arm-smmu "
            + "driver (arm-smmu.c module parameters). Each key can also be a framework property iommulab.arm-smmu.KEY,"
            + " which a configuration overrides.")
    public @interface Config {
        @AttributeDefinition(name = "Disable bypass", description = "true: streams no stream map entry matches, and free "
                + "entries, fault (arm-smmu.disable_bypass=1, CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT); false: they "
                + "bypass translation. Applies at once to every probed SMMU (sCR0.USFCFG and the free entries' S2CRs); "
                + "entries in use are left alone.")
        boolean disable$_$bypass() default true;
    }

    /** driver name */
    public static final String NAME = "arm-smmu";
    /** the compatible this driver binds */
    public static final String COMPATIBLE = "arm,smmu-v2";
    /**
     * Framework (or system) property: {@code false} lets unmatched streams and free entries bypass
     * (arm-smmu.disable_bypass=0); default {@code true} (CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT).
     */
    public static final String DISABLE_BYPASS_PROPERTY = "iommulab.arm-smmu.disable-bypass";
    /** name of the global fault handlers, as upstream requests them */
    public static final String GLOBAL_IRQ_NAME = "arm-smmu global fault";
    /** MSI_IOVA_BASE / MSI_IOVA_LENGTH: the software MSI window every master reserves */
    static final long MSI_IOVA_BASE = 0x0800_0000L;
    static final long MSI_IOVA_LENGTH = 0x10_0000L;
    /** platform_irq_count stops here (far beyond any #global-interrupts + 128 banks) */
    static final int MAX_IRQS = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ArmSmmuDriver.class);
    /**
     * Loaded with the driver: preserve runs after this bundle was updated, and Felix disposes the
     * old revision of a bundle that exports nothing at once, so the old code can no longer load a
     * class it had not loaded before (NoClassDefFoundError, and the new code reads the hardware).
     */
    private static final Class<?> PRESERVE_CODE = SmmuRecord.class;

    private final PgtableFormats formats;
    private final LongSupplier clock;
    /** disable_bypass for SMMUs probed from now on; each probed SMMU runs its own copy ({@link SmmuInstance#disableBypass}) */
    private volatile boolean disableBypass;
    /** orders changes of disable_bypass against SMMUs joining {@link #instances} */
    private final Object bypassLock = new Object();
    /** the options in effect with their sources */
    private volatile Values settings;
    private final Function<String, String> properties;
    private final RateLimit contextFaultLimit;
    private final RateLimit globalFaultLimit;
    private final RateLimit syncLimit;
    private final List<SmmuInstance> instances = new CopyOnWriteArrayList<>();
    private final Set<SmmuDomain> domains = ConcurrentHashMap.newKeySet();

    /**
     * SCR: disable_bypass from the configuration, else the framework property
     * {@value #DISABLE_BYPASS_PROPERTY}. A configuration with a bad value is refused (the property
     * applies); a bad property fails the activation, as it always did.
     */
    @Activate
    public ArmSmmuDriver(BundleContext context, Map<String, Object> properties) {
        this(null, System::nanoTime, context::getProperty, initialSettings(properties, context::getProperty));
    }

    private static Values initialSettings(Map<String, Object> properties, Function<String, String> props) {
        try {
            return SmmuSettings.SETTINGS.read(properties, props);
        } catch (IommuException e) {
            LOG.error("configuration refused, the framework properties apply: {}", e.getMessage());
            return SmmuSettings.SETTINGS.read(Map.of(), props);
        }
    }

    /**
     * @param properties the framework properties under the configuration
     * @param settings   the options read from the configuration and {@code properties}
     */
    private ArmSmmuDriver(Function<String, PageTableFormat> formats, LongSupplier clock, Function<String, String> properties,
            Values settings) {
        this.formats = new PgtableFormats(NAME, PageTableFormat.ARM_LPAE_S1, formats != null ? formats : name -> null,
                new PgtableFormats.Driver() {
                    @Override
                    public PlatformDevice anyDevice() {
                        return instances.stream().findFirst().map(s -> s.pdev).orElse(null);
                    }

                    @Override
                    public Iterable<PgtableDomain> liveTables() {
                        return domains.stream().map(SmmuDomain::table).toList();
                    }
                }, LOG);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.properties = properties;
        this.settings = settings;
        this.disableBypass = settings.get(SmmuSettings.DISABLE_BYPASS);
        this.contextFaultLimit = new RateLimit(clock);
        this.globalFaultLimit = new RateLimit(clock);
        this.syncLimit = new RateLimit(clock);
    }

    /**
     * A driver outside OSGi (unit tests, tools); disable_bypass from the system property
     * {@value #DISABLE_BYPASS_PROPERTY} (default true).
     *
     * @param formats finds a page-table format by name ({@code arm-lpae-s1}), null if absent
     * @param clock   nanosecond clock of the rate limits and of the TLB sync timeout
     */
    public static ArmSmmuDriver create(Function<String, PageTableFormat> formats, LongSupplier clock) {
        return new ArmSmmuDriver(Objects.requireNonNull(formats, "formats"), clock, System::getProperty,
                SmmuSettings.SETTINGS.read(Map.of(), System::getProperty));
    }

    /** As {@link #create(Function, LongSupplier)} with disable_bypass given. */
    public static ArmSmmuDriver create(Function<String, PageTableFormat> formats, LongSupplier clock, boolean disableBypass) {
        Map<String, Object> given = Map.of(SmmuSettings.DISABLE_BYPASS.key(), disableBypass);
        return new ArmSmmuDriver(Objects.requireNonNull(formats, "formats"), clock, name -> null,
                SmmuSettings.SETTINGS.read(given, name -> null));
    }

    /**
     * SCR: the configuration changed (or was deleted: then {@code properties} holds none of its
     * keys). disable_bypass is applied to every probed SMMU at once ({@link #setDisableBypass}); a
     * configuration with a bad value is refused whole, with one line naming the PID, the key and
     * the value, and nothing changes.
     */
    @Modified
    public void modified(Map<String, Object> properties) {
        Values next;
        try {
            next = SmmuSettings.SETTINGS.read(properties, this.properties);
        } catch (IommuException e) {
            LOG.error("configuration refused, nothing changed: {}", e.getMessage());
            return;
        }
        String changes = next.changesFrom(settings);
        setDisableBypass(next.get(SmmuSettings.DISABLE_BYPASS));
        settings = next;
        if (!changes.isEmpty()) {
            LOG.info("{}: {}", SmmuSettings.PID, changes);
        }
    }

    /**
     * disable_bypass from now on: for SMMUs probed later, and at once for every probed one
     * ({@link SmmuInstance#setDisableBypass}: unmatched streams and free entries).
     */
    public void setDisableBypass(boolean on) {
        synchronized (bypassLock) {
            disableBypass = on;
            for (SmmuInstance smmu : instances) {
                smmu.setDisableBypass(on);
            }
        }
    }

    /** A probed (or taken over) SMMU joins: it runs the disable_bypass in effect, also if it changed while it was reset. */
    private void join(SmmuInstance smmu) {
        instances.add(smmu);
        synchronized (bypassLock) {
            smmu.setDisableBypass(disableBypass);
        }
    }

    @Override
    public String pid() {
        return SmmuSettings.PID;
    }

    @Override
    public List<SettingDTO> settings() {
        return settings.dtos();
    }

    @Override
    public String check(String key, String value) {
        return SmmuSettings.SETTINGS.check(key, value);
    }

    /** @return the format called {@code name} (the newest bound service); ENODEV if no such format is available */
    PageTableFormat format(String name) {
        return formats.require(name);
    }

    // ---------------------------------------------------------------- page-table formats

    /**
     * SCR: an {@code arm-lpae-s1} format service arrived. A new version of it takes the live
     * domains over ({@link #formatArrived}).
     */
    @Reference(name = "formats", service = PageTableFormat.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindFormat",
            target = "(" + PageTableFormat.PROPERTY + "=" + PageTableFormat.ARM_LPAE_S1 + ")")
    void bindFormat(PageTableFormat format, ServiceReference<PageTableFormat> ref) {
        Bundle b = ref.getBundle();
        formatArrived(format, b == null ? null : b.getSymbolicName() + " " + b.getVersion());
    }

    /** SCR: a format service left ({@link #formatLeft}). */
    void unbindFormat(PageTableFormat format) {
        formatLeft(format);
    }

    /**
     * A format service left ({@link #unbindFormat} outside OSGi). The live domains keep running on
     * its code (still loaded) until a new version arrives, unless another service of the format is
     * bound: they move to it now. Meanwhile the core holds back the calls that need the format
     * (attach finalising a domain) when it left in a bundle update.
     */
    public void formatLeft(PageTableFormat format) {
        formats.unbind(format);
    }

    /**
     * A format service arrived, from the bundle {@code origin} ({@link #bindFormat} outside OSGi).
     * Every finalised domain on another object of the format is re-opened by it while the old code
     * still serves it, then switched over with the domains quiesced
     * ({@link PlatformDevice#quiesceDomains}): the same table on the same context bank, no register
     * written and no TLB maintenance (no descriptor changes).
     */
    public void formatArrived(PageTableFormat format, String origin) {
        formats.bind(format, origin);
    }

    /** @return the disable_bypass parameter this driver runs with */
    public boolean disableBypass() {
        return disableBypass;
    }

    /** @return the SMMUs probed by this driver, in probe order */
    public List<SmmuInstance> instances() {
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
        return List.of(COMPATIBLE);
    }

    // ---------------------------------------------------------------- platform driver

    /**
     * arm_smmu_device_probe, in upstream order: #global-interrupts, map reg[0], count interrupts,
     * cfg_probe (ID0-2 and their log lines), require a context interrupt per bank, request the
     * shared global fault interrupts, reset, probe the SMR widths. Nothing is left behind on failure.
     *
     * @throws IommuException ENODEV (no #global-interrupts, too few interrupts, no translation,
     *         no SMRs, bad bank counts), EINVAL (reg smaller than the register space), EBUSY
     */
    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        String prefix = NAME + " " + pdev.name();
        SmmuInstance smmu = instantiate(pdev, prefix);
        try {
            requestGlobalIrqs(smmu, prefix);
            smmu.deviceReset();
            smmu.testSmrMasks();
            join(smmu);
        } catch (RuntimeException e) {
            freeGlobalIrqs(smmu);
            throw e;
        }
        LOG.info("{}: {} stream ID bits kept (0x{}), SMR mask 0x{}, disable_bypass {}", prefix,
                Integer.bitCount(smmu.streamIdMask), Integer.toHexString(smmu.streamIdMask),
                Integer.toHexString(smmu.smrMaskMask), smmu.disableBypass() ? 1 : 0);
        return smmu;
    }

    /**
     * The part of arm_smmu_device_probe that only reads: #global-interrupts, map reg[0], count
     * interrupts, cfg_probe (ID0-2 and their log lines), a context interrupt per bank.
     */
    private SmmuInstance instantiate(PlatformDevice pdev, String prefix) {
        FaultInject.kzalloc(pdev, () -> "the SMMU"); // devm_kzalloc(smmu)
        int globalIrqs = globalIrqCount(pdev, prefix);
        MmioWindow regs = pdev.ioremap(0);
        int numIrqs = countIrqs(pdev);
        int numContextIrqs = numIrqs - globalIrqs;
        if (numContextIrqs <= 0) {
            throw new IommuException(Errno.ENODEV, String.format("%s: found %d interrupts but expected at least %d", prefix,
                    numIrqs, globalIrqs + 1));
        }
        SmmuHardware hw = new SmmuHardware(pdev.name(), regs, clock);
        SmmuParams params = ConfigProbe.probe(hw, regs.size(), LOG, prefix);
        if (params.numContextBanks() > numContextIrqs) {
            throw new IommuException(Errno.ENODEV, String.format("%s: found only %d context irq(s) but %d required", prefix,
                    numContextIrqs, params.numContextBanks()));
        }
        hw.setGeometry(params.pgshift(), params.numPage());
        FaultInject.kzalloc(pdev, () -> "the stream mapping table (" + params.numMappingGroups() + " entries)"); // devm_kcalloc(smrs, s2crs)
        // "Ignore superfluous interrupts": irptndx = cbndx on SMMUv2
        IrqLine[] contextIrqs = new IrqLine[params.numContextBanks()];
        for (int i = 0; i < contextIrqs.length; i++) {
            contextIrqs[i] = pdev.irq(globalIrqs + i);
        }
        return new SmmuInstance(this, pdev, hw, params, contextIrqs, globalIrqs);
    }

    /** The shared global fault interrupts; the caller frees them on failure. */
    private static void requestGlobalIrqs(SmmuInstance smmu, String prefix) {
        for (int i = 0; i < smmu.globalIrqCount; i++) {
            smmu.globalIrqs.add(requestGlobalIrq(smmu.pdev, smmu, i, prefix));
        }
    }

    /** arm_smmu_device_dt_probe's part: the binding requires #global-interrupts. */
    private static int globalIrqCount(PlatformDevice pdev, String prefix) {
        Optional<DtProperty> p = pdev.node().property("#global-interrupts");
        if (p.isEmpty()) {
            throw new IommuException(Errno.ENODEV, prefix + ": missing #global-interrupts property");
        }
        int n;
        try {
            n = p.get().u32();
        } catch (IllegalArgumentException e) {
            throw new IommuException(Errno.EINVAL, prefix + ": #global-interrupts: " + e.getMessage(), e);
        }
        if (n < 0 || n > MAX_IRQS) {
            throw new IommuException(Errno.EINVAL, String.format("%s: #global-interrupts %d is out of range", prefix, n));
        }
        return n;
    }

    /** platform_irq_count: interrupts the node lists */
    private static int countIrqs(PlatformDevice pdev) {
        int n = 0;
        while (n < MAX_IRQS) {
            try {
                pdev.irq(n);
            } catch (IommuException e) {
                break;
            }
            n++;
        }
        return n;
    }

    private static IrqRegistration requestGlobalIrq(PlatformDevice pdev, SmmuInstance smmu, int i, String prefix) {
        IrqLine line = pdev.irq(i);
        try {
            return line.request(GLOBAL_IRQ_NAME, smmu::globalFault, true);
        } catch (IommuException e) {
            throw new IommuException(e.errno(), String.format("%s: failed to request global IRQ %d (%d): %s", prefix, i,
                    line.number(), e.getMessage()), e);
        }
    }

    private static void freeGlobalIrqs(SmmuInstance smmu) {
        for (IrqRegistration r : smmu.globalIrqs) {
            r.free();
        }
        smmu.globalIrqs.clear();
    }

    /**
     * arm_smmu_device_remove = unregister + arm_smmu_device_shutdown: sCR0 = CLIENTPD ("disabling
     * translation" if banks are in use), so every stream bypasses from now on; then the global
     * interrupts are freed. Contrast with DART's remove, which blocks every stream.
     */
    @Override
    public void remove(IommuDevice iommu) {
        SmmuInstance smmu = instance(iommu);
        try {
            smmu.shutdown();
        } catch (RuntimeException e) {
            LOG.warn("{}: shutdown on remove failed: {}", smmu.prefix(), e.getMessage());
        }
        forget(smmu);
        LOG.debug("{}: removed", smmu.prefix());
    }

    /**
     * Live update given up after this driver restored the SMMU: its interrupts freed, the SMMU and
     * the domains re-opened on it forgotten; no register written (the previous driver still runs
     * its banks and stream mapping table, and the core may try the takeover again).
     */
    @Override
    public void abandon(IommuDevice iommu) {
        SmmuInstance smmu = instance(iommu);
        forget(smmu);
        LOG.info("{}: takeover given up; the previous driver keeps it", smmu.prefix());
    }

    /** The software half of remove: the registers are no longer this driver's, its interrupts freed, its domains forgotten. */
    private void forget(SmmuInstance smmu) {
        smmu.removed = true;
        freeGlobalIrqs(smmu);
        // domains left on it were restored by a takeover that then failed (the core frees the others
        // first): their tables are the previous driver's, only their interrupts are this one's
        for (SmmuDomain d : List.copyOf(domains)) {
            if (d.home() == smmu) {
                d.releaseContextIrq();
                domains.remove(d);
            }
        }
        instances.remove(smmu);
    }

    // ---------------------------------------------------------------- live update

    /**
     * Live update, outgoing side: the record of the SMMU ({@link SmmuRecord}: the stream mapping
     * table with its users, each domain's bank, ASID, table and entries), taken from the driver's
     * own state; then the global and context interrupts are freed. No register is read or written:
     * the SMMU keeps translating. This driver no longer lists the SMMU.
     */
    @Override
    public PreservedIommu preserve(IommuDevice iommu) {
        SmmuInstance smmu = instance(iommu);
        PreservedIommu rec = SmmuRecord.preserve(smmu, domains);
        freeGlobalIrqs(smmu);
        for (SmmuDomain d : domains) {
            if (d.home() == smmu) {
                d.releaseContextIrq();
            }
        }
        instances.remove(smmu);
        LOG.info("{}: preserved for the next version ({} domains, {} context banks in use)", smmu.prefix(),
                rec.domains().size(), smmu.contextBanksInUse().cardinality());
        return rec;
    }

    /**
     * Live update, incoming side: arm_smmu_device_probe without arm_smmu_device_reset and without
     * the SMR width probe (both write registers): cfg_probe's reads, then the running state is
     * taken over ({@link SmmuTakeover}), from {@code record} if this driver knows its schema and
     * version, else from the registers (the core is told which); then the global interrupts are
     * requested and a global fault latched while nobody listened is reported.
     *
     * @throws IommuException as probe for the node's configuration; EINVAL naming the entry or
     *         bank when the running state cannot be trusted (the core then removes and probes)
     */
    @Override
    public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        String prefix = NAME + " " + pdev.name();
        SmmuInstance smmu = instantiate(pdev, prefix);
        TakeoverSource source = SmmuTakeover.takeOver(this, smmu, record);
        try {
            requestGlobalIrqs(smmu, prefix);
        } catch (RuntimeException e) {
            freeGlobalIrqs(smmu);
            throw e;
        }
        join(smmu);
        pdev.restoredFrom(source);
        if (!smmu.globalIrqs.isEmpty()) {
            smmu.globalFault(pdev.irq(0).number());
        }
        return smmu;
    }

    /** Live update: a paging domain re-opened on its bank and table ({@link SmmuTakeover#restoreDomain}). */
    @Override
    public DomainOps restoreDomain(DomainHandover domain) {
        return SmmuTakeover.restoreDomain(this, instances(), domain);
    }

    /** As above, the bank looked up among {@code iommus} only: the SMMUs of the core taking the domain over. */
    @Override
    public DomainOps restoreDomain(DomainHandover domain, List<IommuDevice> iommus) {
        List<SmmuInstance> mine = new ArrayList<>();
        for (SmmuInstance s : instances()) {
            if (iommus.contains(s)) {
                mine.add(s);
            }
        }
        return SmmuTakeover.restoreDomain(this, mine, domain);
    }

    /** @return the SMMU {@code iommu} is, if this driver drives it; EINVAL otherwise */
    SmmuInstance instance(IommuDevice iommu) {
        if (iommu instanceof SmmuInstance s && s.driver == this) {
            return s;
        }
        throw new IommuException(Errno.EINVAL, iommu + " is not an SMMU of this " + NAME + " driver");
    }

    // ---------------------------------------------------------------- iommu_ops: masters

    /**
     * arm_smmu_of_xlate: SID in [15:0], mask in [31:16] from the second cell, else from the SMMU
     * node's {@code stream-match-mask}. All specifiers must name one SMMU (iommu_fwspec_init).
     *
     * @throws IommuException EINVAL for more than two cells, a second SMMU, a bad stream-match-mask
     */
    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        SmmuInstance smmu = instance(iommu);
        if (args.length > 2) {
            throw new IommuException(Errno.EINVAL, String.format("%s: %s gives %d specifier cells; #iommu-cells must be 1 or 2",
                    smmu.node(), dev.name(), args.length));
        }
        Object priv = dev.priv();
        if (priv != null && !(priv instanceof MasterCfg)) {
            throw new IommuException(Errno.EINVAL, dev.name() + ": already has IOMMU data of another driver");
        }
        MasterCfg cfg = (MasterCfg) priv;
        if (cfg != null && cfg.smmu != smmu) {
            throw twoSmmus(dev, cfg.smmu, smmu);
        }
        int sid = args.length > 0 ? args[0] : 0;
        int mask = args.length > 1 ? args[1] : streamMatchMask(smmu);
        if (cfg == null) {
            FaultInject.kzalloc(smmu.pdev, () -> "the fwspec of " + dev.name()); // iommu_fwspec_init
            cfg = new MasterCfg(smmu);
            dev.setPriv(cfg);
        }
        cfg.addId(sid, mask);
    }

    /** @return the SMMU node's {@code stream-match-mask}, 0 without one */
    static int streamMatchMask(SmmuInstance smmu) {
        Optional<DtProperty> p = smmu.pdev.node().property("stream-match-mask");
        if (p.isEmpty()) {
            return 0;
        }
        try {
            return p.get().u32();
        } catch (IllegalArgumentException e) {
            throw new IommuException(Errno.EINVAL, smmu.node() + ": stream-match-mask: " + e.getMessage(), e);
        }
    }

    private static IommuException twoSmmus(IommuMaster dev, SmmuInstance a, SmmuInstance b) {
        return new IommuException(Errno.EINVAL, String.format("%s: iommus names two SMMUs, %s and %s; %s drives a master from"
                + " one SMMU only", dev.name(), a.node(), b.node(), NAME));
    }

    /** @return the master's configuration; ENODEV when of_xlate never ran (not behind an SMMU) */
    static MasterCfg masterCfg(IommuMaster dev) {
        if (dev != null && dev.priv() instanceof MasterCfg cfg) {
            return cfg;
        }
        throw new IommuException(Errno.ENODEV, (dev == null ? "null device" : dev.name()) + ": not behind an SMMU (no of_xlate)");
    }

    /**
     * arm_smmu_probe_device: every ID within the widths the SMRs kept, then the stream-map
     * entries (arm_smmu_master_alloc_smes, dart-facts §4.3). A failure changes nothing.
     *
     * @throws IommuException EINVAL (two SMMUs, SID or mask out of range, partial SMR overlap),
     *         ENOSPC (no free SMR), ENODEV (no of_xlate)
     */
    @Override
    public void probeDevice(IommuMaster dev) {
        MasterCfg cfg = masterCfg(dev);
        SmmuInstance smmu = cfg.smmu;
        for (FwspecEntry e : dev.fwspec()) {
            if (e.iommu() != smmu && e.iommu() instanceof SmmuInstance other) {
                throw twoSmmus(dev, smmu, other);
            }
        }
        for (int i = 0; i < cfg.numIds(); i++) {
            int sid = cfg.sids[i];
            int mask = cfg.masks[i];
            // upstream's lines, plus the SMMU: a master may reach several SMMUs on a big board
            if ((sid & ~smmu.streamIdMask) != 0) {
                throw probeError(dev, String.format("stream ID 0x%x out of range for SMMU %s (0x%x)", sid, smmu.node(),
                        smmu.streamIdMask));
            }
            if ((mask & ~smmu.smrMaskMask) != 0) {
                throw probeError(dev, String.format("SMR mask 0x%x out of range for SMMU %s (0x%x)", mask, smmu.node(),
                        smmu.smrMaskMask));
            }
        }
        FaultInject.kzalloc(smmu.pdev, () -> "the master configuration of " + dev.name()); // kzalloc(cfg)
        smmu.streams.allocSmes(dev.name(), cfg);
    }

    /** dev_err on the master, then -EINVAL naming the master and its SMMU */
    private static IommuException probeError(IommuMaster dev, String what) {
        LOG.error("{}: {}", dev.name(), what);
        return new IommuException(Errno.EINVAL, dev.name() + ": " + what);
    }

    /**
     * arm_smmu_release_device: free the master's stream-map entries, drop its configuration. Of an
     * SMMU this driver removed or gave up (a live update's takeover that failed: the previous
     * driver still runs its entries) only the configuration is dropped: its registers are not
     * this driver's.
     */
    @Override
    public void releaseDevice(IommuMaster dev) {
        if (!(dev.priv() instanceof MasterCfg cfg)) {
            return;
        }
        if (cfg.smmu.removed) {
            dev.setPriv(null);
            return;
        }
        try {
            cfg.smmu.streams.freeSmes(cfg);
        } catch (RuntimeException e) {
            LOG.warn("{}: freeing stream map entries on {} failed: {}", dev.name(), cfg.smmu.node(), e.getMessage());
        }
        dev.setPriv(null);
    }

    /**
     * arm_smmu_device_group (dart-facts §4.3): under the stream-map lock, the group remembered by
     * the master's entries; entries naming different groups → EINVAL, entries without one are
     * tolerated (and then remember the group found). Without one, pci_device_group /
     * generic_device_group, remembered in every entry and forgotten when the group is released.
     *
     * @throws IommuException EINVAL for entries in two groups, or a group with another driver's data
     */
    @Override
    public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        MasterCfg cfg = masterCfg(dev);
        StreamMap map = cfg.smmu.streams;
        synchronized (map.lock) {
            IommuGroup found = null;
            int foundIdx = -1;
            for (int idx : cfg.smendx) {
                IommuGroup g = map.s2cr(idx).group;
                if (found != null && g != null && g != found) {
                    throw new IommuException(Errno.EINVAL, String.format("%s: stream map entry %d of %s is in group %d, entry %d"
                            + " in group %d", dev.name(), idx, cfg.smmu.node(), g.id(), foundIdx, found.id()));
                }
                // Linux assigns even a NULL group here, so the result depends on the order of the
                // IDs; keeping the group found makes a master that shares one entry join its group
                if (g != null) {
                    found = g;
                    foundIdx = idx;
                }
            }
            if (found != null) {
                // not upstream: the master's new entries remember the group too, so that a later
                // master reusing one of them joins this group instead of getting a new one
                for (int idx : cfg.smendx) {
                    map.s2cr(idx).group = found;
                }
                return found;
            }
            IommuGroup group = dev.isPci() ? groups.pci(dev) : groups.generic(dev);
            Object data = group.iommuData();
            if (data == null || isPredecessor(data)) {
                group.setIommuData(this, () -> forgetGroup(group));
            } else if (data != this) {
                throw new IommuException(Errno.EINVAL, dev.name() + ": group " + group.id() + " carries data of another driver");
            }
            for (int idx : cfg.smendx) {
                map.s2cr(idx).group = group;
            }
            return group;
        }
    }

    /** @return true for a previous version of this driver (a live update hands its groups over) */
    private boolean isPredecessor(Object data) {
        return data != this && data instanceof IommuDriver d && NAME.equals(d.name());
    }

    /** The group was released (its last device left): no stream-map entry remembers it. */
    private void forgetGroup(IommuGroup group) {
        for (SmmuInstance s : instances) {
            s.streams.forgetGroup(group);
        }
    }

    // ---------------------------------------------------------------- iommu_ops: domains

    /**
     * arm_smmu_domain_alloc_paging: a domain for the master's SMMU, finalised at its first attach.
     * Its page sizes are those arm_lpae_restrict_pgsizes leaves with PAGE_SIZE = the CPU page size
     * (one granule and its blocks); its aperture [0, 2^UBS − 1].
     *
     * @throws IommuException EINVAL if the SMMU has no stage-1 AArch64 format
     */
    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        return allocDomain(masterCfg(dev).smmu, dev.name());
    }

    /** A paging domain for {@code smmu}, not finalised; {@code forWhom} names the master in messages. */
    SmmuDomain allocDomain(SmmuInstance smmu, String forWhom) {
        long bitmap = pageSizes(smmu);
        if (!smmu.params.has(SmmuParams.FEAT_TRANS_S1) || bitmap == 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: no stage-1 AArch64 page sizes for %s (page sizes 0x%x)",
                    smmu.prefix(), forWhom, smmu.params.pgsizeBitmap()));
        }
        FaultInject.kzalloc(smmu.pdev, () -> "a paging domain of " + forWhom);
        SmmuDomain d = new SmmuDomain(this, smmu, bitmap);
        domains.add(d);
        return d;
    }

    /** @return the page sizes of a domain of {@code smmu}: its AArch64 sizes restricted to the CPU page size's granule */
    long pageSizes(SmmuInstance smmu) {
        return ConfigProbe.restrictPgsizes(ConfigProbe.aarch64PageSizes(smmu.params.features()), smmu.pdev.cpuPageSize());
    }

    void trackDomain(SmmuDomain d) {
        domains.add(d);
    }

    void forgetDomain(SmmuDomain d) {
        domains.remove(d);
    }

    /** The identity domain: S2CR BYPASS. A new object per core domain, so that the entries know their domain. */
    @Override
    public DomainOps identityDomain() {
        return StaticDomain.identity();
    }

    /** The blocked domain: S2CR FAULT. A new object per core domain, as {@link #identityDomain}. */
    @Override
    public DomainOps blockedDomain() {
        return StaticDomain.blocked();
    }

    /** arm_smmu_get_resv_regions: the software MSI window, for every master. */
    @Override
    public List<ReservedRegion> getResvRegions(IommuMaster dev) {
        return List.of(new ReservedRegion(MSI_IOVA_BASE, MSI_IOVA_LENGTH, Prot.WRITE | Prot.NOEXEC | Prot.MMIO,
                ReservedRegion.Type.SW_MSI));
    }

    /**
     * arm_smmu_capable: cache coherency when the table walk is coherent (ID0.CTTW here); deferred
     * flush always (invalidation by ASID makes flush queues worth it; DART claims none).
     */
    @Override
    public boolean capable(IommuMaster dev, Capability cap) {
        switch (cap) {
            case CACHE_COHERENCY:
                return masterCfg(dev).smmu.params.has(SmmuParams.FEAT_COHERENT_WALK);
            case DEFERRED_FLUSH:
                return true;
            default:
                return false;
        }
    }

    // ---------------------------------------------------------------- rate-limited messages

    /** dev_err_ratelimited of __arm_smmu_tlb_sync */
    void logSyncTimeout(SmmuInstance smmu) {
        if (admit(syncLimit, smmu, "__arm_smmu_tlb_sync")) {
            LOG.error("{}: TLB sync timed out -- SMMU may be deadlocked", smmu.prefix());
        }
    }

    /** arm_smmu_print_context_fault_info, under arm_smmu_context_fault's rate limit */
    void logContextFault(SmmuInstance smmu, int idx, int fsr, long iova, int fsynr, int cbfrsynra) {
        if (!admit(contextFaultLimit, smmu, "arm_smmu_context_fault")) {
            return;
        }
        String p = smmu.prefix();
        LOG.error("{}: {}", p, String.format("Unhandled context fault: fsr=0x%x, iova=0x%08x, fsynr=0x%x, cbfrsynra=0x%x, cb=%d",
                fsr, iova, fsynr, cbfrsynra, idx));
        LOG.error("{}: {}", p, FaultText.fsrLine(fsr, cbfrsynra));
        LOG.error("{}: {}", p, FaultText.fsynr0Line(fsynr));
    }

    /** arm_smmu_global_fault's messages, under its rate limit */
    void logGlobalFault(SmmuInstance smmu, int gfsr, int gfsynr0, int gfsynr1, int gfsynr2) {
        if (!admit(globalFaultLimit, smmu, "arm_smmu_global_fault")) {
            return;
        }
        String p = smmu.prefix();
        if (smmu.disableBypass() && (gfsr & SmmuRegs.SGFSR_USF) != 0) {
            LOG.error("{}: {}", p, String.format("Blocked unknown Stream ID 0x%x; boot with \"arm-smmu.disable_bypass=0\" to allow,"
                    + " but this may have security implications", gfsynr1 & 0xffff));
        } else {
            LOG.error("{}: Unexpected global fault, this could be serious", p);
        }
        LOG.error("{}: {}", p, String.format("\tGFSR 0x%08x, GFSYNR0 0x%08x, GFSYNR1 0x%08x, GFSYNR2 0x%08x", gfsr, gfsynr0,
                gfsynr1, gfsynr2));
    }

    /** __ratelimit: @return true if the message may be printed; reports what the closed window dropped */
    private static boolean admit(RateLimit limit, SmmuInstance smmu, String function) {
        return limit.ratelimit(n -> LOG.warn("{}: {}: {} callbacks suppressed", smmu.prefix(), function, n)) && LOG.isErrorEnabled();
    }

    @Override
    public String toString() {
        return NAME;
    }
}
