package io.iommulab.core.impl.shell;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.IommuService;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.DmaDTO;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.FaultDTO;
import io.iommulab.api.dto.GroupDTO;
import io.iommulab.api.dto.InjectionDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.MappingDTO;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.TraceEventDTO;
import io.iommulab.api.dto.TranslationDTO;
import io.iommulab.api.dto.UnmapDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.core.impl.IommuCore;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.lib.cmdline.Memparse;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code iommu:} shell scope. Arguments are parsed here so errors name the argument. */
@Component(service = IommuCommands.class, property = {
    "osgi.command.scope=iommu",
    "osgi.command.function=iommus", "osgi.command.function=devices", "osgi.command.function=groups",
    "osgi.command.function=domains", "osgi.command.function=attach", "osgi.command.function=map",
    "osgi.command.function=unmap", "osgi.command.function=iova2phys", "osgi.command.function=dma",
    "osgi.command.function=faults", "osgi.command.function=trace", "osgi.command.function=sanitize",
    "osgi.command.function=inject"})
public final class IommuCommands {

    /** bytes of read data shown by {@code dma} */
    static final int DMA_SHOW_MAX = 256;
    /** largest single {@code dma} transfer */
    static final int DMA_MAX = 16 << 20;

    private final IommuCoreEngine engine;

    @Activate
    public IommuCommands(@Reference(target = "(component.name=io.iommulab.core.impl.IommuCore)") IommuService core) {
        this(((IommuCore) core).engine());
    }

    /** For tests: commands over an engine built without OSGi. Not a constructor, so SCR sees one. */
    public static IommuCommands over(IommuCoreEngine engine) {
        return new IommuCommands(engine);
    }

    private IommuCommands(IommuCoreEngine engine) {
        this.engine = engine;
    }

    @Descriptor("IOMMU nodes of the board: driver, state, streams in use")
    public List<IommuNodeDTO> iommus() {
        return engine.iommus();
    }

    @Descriptor("DMA masters: probe state, IOMMU streams, group and domain")
    public List<DeviceDTO> devices() {
        return engine.devices();
    }

    @Descriptor("IOMMU groups with their devices and domains")
    public List<GroupDTO> groups() {
        return engine.groups();
    }

    @Descriptor("IOMMU domains: type, driver, page sizes, aperture, bytes mapped")
    public List<DomainDTO> domains() {
        return engine.domains();
    }

    @Descriptor("attach the device's group to a new domain of a type, or back to its default domain")
    public DeviceDTO attach(
            @Descriptor("device: DT path, unique node name or path suffix, or label") String dev,
            @Descriptor("domain type: dma, dma-fq, identity, blocked, unmanaged, or default") String type) {
        IommuDomain current = engine.domainOf(dev);
        IommuDomain def = engine.defaultDomainOf(dev);
        if ("default".equalsIgnoreCase(type.trim())) {
            if (current != def) {
                engine.detachGroup(current, dev);
                current.free();
            }
            return engine.device(dev);
        }
        DomainType t = DomainType.parse(type);
        IommuDomain next = engine.domainAlloc(dev, t);
        try {
            if (current != def) {
                engine.detachGroup(current, dev);
            }
            try {
                engine.attachGroup(next, dev);
            } catch (RuntimeException e) {
                if (current != def) {
                    engine.attachGroup(current, dev);
                }
                throw e;
            }
        } catch (RuntimeException e) {
            next.free();
            throw e;
        }
        if (current != def) {
            current.free();
        }
        return engine.device(dev);
    }

    @Descriptor("iommu_map on the device's current domain, read-write")
    public MappingDTO map(
            @Descriptor("device") String dev,
            @Descriptor("IOVA (decimal or 0x hex, K/M/G/T suffix)") String iova,
            @Descriptor("physical address") String paddr,
            @Descriptor("size in bytes") String size) {
        return map(dev, iova, paddr, size, "rw");
    }

    @Descriptor("iommu_map on the device's current domain")
    public MappingDTO map(
            @Descriptor("device") String dev,
            @Descriptor("IOVA (decimal or 0x hex, K/M/G/T suffix)") String iova,
            @Descriptor("physical address") String paddr,
            @Descriptor("size in bytes") String size,
            @Descriptor("protection: r, w or rw") String prot) {
        long i = Memparse.parse("IOVA", iova).value();
        long p = Memparse.parse("PADDR", paddr).value();
        long s = Memparse.parse("SIZE", size).value();
        int pr = Args.prot(prot);
        IommuDomain d = engine.domainOf(dev);
        d.map(i, p, s, pr);
        return new MappingDTO(engine.canonicalName(dev), d.id(), i, p, s, Args.protText(pr));
    }

    @Descriptor("iommu_unmap on the device's current domain")
    public UnmapDTO unmap(
            @Descriptor("device") String dev,
            @Descriptor("IOVA") String iova,
            @Descriptor("size in bytes") String size) {
        long i = Memparse.parse("IOVA", iova).value();
        long s = Memparse.parse("SIZE", size).value();
        IommuDomain d = engine.domainOf(dev);
        long n = d.unmap(i, s);
        return new UnmapDTO(engine.canonicalName(dev), d.id(), i, s, n);
    }

    @Descriptor("iommu_iova_to_phys on the device's current domain")
    public TranslationDTO iova2phys(
            @Descriptor("device") String dev,
            @Descriptor("IOVA") String iova) {
        long i = Memparse.parse("IOVA", iova).value();
        IommuDomain d = engine.domainOf(dev);
        long pa = d.iovaToPhys(i);
        boolean mapped = d.type() == DomainType.IDENTITY || pa != 0;
        return new TranslationDTO(engine.canonicalName(dev), d.id(), i, pa, mapped);
    }

    @Descriptor("let the master do DMA on its first stream; write sends the bytes i & 0xff")
    public DmaDTO dma(
            @Descriptor("device") String dev,
            @Descriptor("read or write") String op,
            @Descriptor("IOVA") String iova,
            @Descriptor("length in bytes") String len) {
        return dma(dev, op, iova, len, "0");
    }

    @Descriptor("let the master do DMA on one of its streams; write sends the bytes i & 0xff")
    public DmaDTO dma(
            @Descriptor("device") String dev,
            @Descriptor("read or write") String op,
            @Descriptor("IOVA") String iova,
            @Descriptor("length in bytes") String len,
            @Descriptor("stream index into the device's iommus") String stream) {
        long i = Memparse.parse("IOVA", iova).value();
        int n = (int) Memparse.parse("LEN", len).within(1, DMA_MAX);
        int st = (int) Memparse.parse("STREAM", stream).within(0, Integer.MAX_VALUE);
        DmaMaster m = engine.dmaMaster(dev);
        if (st >= m.streams().size()) {
            throw new IommuException(Errno.EINVAL, "argument STREAM: " + m.name() + " has " + m.streams().size()
                    + " stream(s), no index " + st);
        }
        String o = op.trim().toLowerCase(java.util.Locale.ROOT);
        DmaResult r;
        switch (o) {
            case "read":
                r = m.read(st, i, n);
                break;
            case "write": {
                byte[] data = new byte[n];
                for (int k = 0; k < n; k++) {
                    data[k] = (byte) k;
                }
                r = m.write(st, i, data);
                break;
            }
            default:
                throw new IommuException(Errno.EINVAL, "argument OP: '" + op + "' is not read or write");
        }
        String hex = null;
        if ("read".equals(o) && r.data() != null) {
            hex = hex(r.data(), Math.min(r.data().length, DMA_SHOW_MAX));
        }
        String fault = r.ok() ? null : r.fault() + " (" + r.iommu() + " sid " + r.sid() + " iova 0x"
                + Long.toHexString(r.iova()) + ")";
        return new DmaDTO(m.name(), o, i, n, r.ok(), r.bytes(), hex, fault);
    }

    private static String hex(byte[] b, int n) {
        char[] digits = "0123456789abcdef".toCharArray();
        StringBuilder sb = new StringBuilder(n * 2);
        for (int k = 0; k < n; k++) {
            sb.append(digits[(b[k] >> 4) & 0xf]).append(digits[b[k] & 0xf]);
        }
        return sb.toString();
    }

    @Descriptor("IOMMU faults reported so far, oldest first")
    public List<FaultDTO> faults() {
        return engine.faults();
    }

    @Descriptor("iommu trace events, oldest first")
    public List<TraceEventDTO> trace() {
        return engine.trace();
    }

    @Descriptor("empty the trace ring and the fault history")
    public List<TraceEventDTO> trace(@Descriptor("clear") String action) {
        if (!"clear".equalsIgnoreCase(action.trim())) {
            throw new IommuException(Errno.EINVAL, "argument ACTION: '" + action + "' is not clear");
        }
        engine.clearTrace();
        return engine.trace();
    }

    @Descriptor("the DMA sanitizer: on or off, transactions checked, findings by kind, flush-queue windows, the findings")
    public SanitizerDTO sanitize() {
        return engine.sanitizer();
    }

    @Descriptor("turn the DMA sanitizer on or off, or forget its findings")
    public SanitizerDTO sanitize(@Descriptor("on, off or clear") String action) {
        switch (action.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on":
                return engine.setSanitizer(true);
            case "off":
                return engine.setSanitizer(false);
            case "clear":
                engine.clearSanitizer();
                return engine.sanitizer();
            default:
                throw new IommuException(Errno.EINVAL, "argument ACTION: '" + action + "' is not on, off or clear");
        }
    }

    @Descriptor("fault-injection points set on the IOMMUs' drivers")
    public List<InjectionDTO> inject() {
        return engine.injections();
    }

    @Descriptor("make an IOMMU's driver skip every TLB invalidation (skip-invalidate) or fail every allocation of a kind "
            + "(kzalloc, cb-alloc), or clear what is injected (off)")
    public List<InjectionDTO> inject(
            @Descriptor("IOMMU: DT path, unique node name or path suffix, or label") String iommu,
            @Descriptor("skip-invalidate, kzalloc, cb-alloc, or off") String point) {
        if ("off".equalsIgnoreCase(point.trim())) {
            return engine.injectOff(iommu);
        }
        return List.of(engine.inject(iommu, point.trim(), -1));
    }

    @Descriptor("make an IOMMU's driver skip its next N TLB invalidations, or fail its next N allocations of a kind")
    public List<InjectionDTO> inject(
            @Descriptor("IOMMU: DT path, unique node name or path suffix, or label") String iommu,
            @Descriptor("skip-invalidate, kzalloc or cb-alloc") String point,
            @Descriptor("how many occurrences (1 or more)") String count) {
        long n = Memparse.parse("N", count).within(1, Long.MAX_VALUE);
        return List.of(engine.inject(iommu, point.trim(), n));
    }
}
