package io.iommulab.core.impl.shell;

import io.iommulab.api.FaultHandler;
import io.iommulab.api.IommuService;
import io.iommulab.api.dto.FaultHandlerDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.DomainImpl;
import io.iommulab.core.impl.IommuCore;
import io.iommulab.core.impl.IommuCoreEngine;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code iommu:faulthandler}: iommu_set_fault_handler on a device's current domain from the shell, so
 * that faults there are handled (the HANDLED column of {@code iommu:faults}) and counted or logged.
 */
@Component(service = FaultHandlerCommands.class, property = {"osgi.command.scope=iommu",
    "osgi.command.function=faulthandler"})
public final class FaultHandlerCommands {

    private final IommuCoreEngine engine;

    @Activate
    public FaultHandlerCommands(@Reference(target = "(component.name=io.iommulab.core.impl.IommuCore)") IommuService core) {
        this(((IommuCore) core).engine());
    }

    /** For tests: commands over an engine built without OSGi. Not a constructor, so SCR sees one. */
    public static FaultHandlerCommands over(IommuCoreEngine engine) {
        return new FaultHandlerCommands(engine);
    }

    private FaultHandlerCommands(IommuCoreEngine engine) {
        this.engine = engine;
    }

    @Descriptor("the fault handler of the device's current domain and how many faults it handled")
    public FaultHandlerDTO faulthandler(@Descriptor("device: DT path, unique node name or path suffix, or label") String dev) {
        DomainImpl d = engine.currentDomain(dev);
        return state(engine.canonicalName(dev), d, d.faultHandler());
    }

    @Descriptor("set a fault handler on the device's current domain (iommu_set_fault_handler): log handles and logs each "
            + "fault, count handles and counts them, none removes the handler")
    public FaultHandlerDTO faulthandler(@Descriptor("device: DT path, unique node name or path suffix, or label") String dev,
            @Descriptor("log, count or none") String mode) {
        FaultHandler h = switch (mode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "log" -> new ShellFaultHandler(true);
            case "count" -> new ShellFaultHandler(false);
            case "none" -> null;
            default -> throw new IommuException(Errno.EINVAL, "argument MODE: '" + mode + "' is not log, count or none");
        };
        DomainImpl d = engine.currentDomain(dev);
        d.setFaultHandler(h);
        return state(engine.canonicalName(dev), d, h);
    }

    private static FaultHandlerDTO state(String dev, DomainImpl d, FaultHandler h) {
        if (h instanceof ShellFaultHandler s) {
            return new FaultHandlerDTO(dev, d.id(), s.mode(), s.handled());
        }
        return new FaultHandlerDTO(dev, d.id(), h == null ? "none" : "other", 0);
    }
}
