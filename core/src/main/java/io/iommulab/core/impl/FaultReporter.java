package io.iommulab.core.impl;

import io.iommulab.api.FaultHandler;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.dto.FaultDTO;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * report_iommu_fault: finds the master and domain of a faulting stream, hands the fault to the
 * domain's handler, records it in the bounded fault log and traces {@code io_page_fault}. It takes
 * no engine lock (drivers report from their interrupt handlers on any thread): it reads only what
 * is volatile or fixed, a group's current domain and an instance's driver.
 */
final class FaultReporter {

    /** Logged under the engine's name, as before the split, so log configurations keep working. */
    private static final Logger LOG = LoggerFactory.getLogger(IommuCoreEngine.class);

    private final FaultLog log;
    private final AtomicLong seq = new AtomicLong();
    private final long startNs;
    private final TraceRing trace;

    /** @return how many faults were reported so far */
    long seq() {
        return seq.get();
    }

    FaultReporter(int history, long startNs, TraceRing trace) {
        this.log = new FaultLog(history);
        this.startNs = startNs;
        this.trace = trace;
    }

    /** @return true if the domain's fault handler handled it */
    boolean report(IommuInstance inst, IommuFault fault) {
        MasterImpl m = masterOf(inst, fault.sid());
        GroupImpl g = m != null ? m.group : null;
        DomainImpl d = g != null ? g.domain : null;
        IommuDriver drv = inst.driver;
        String access = fault.write() ? "write" : "read";
        FaultDTO dto = new FaultDTO(seq.incrementAndGet(), System.nanoTime() - startNs, inst.path, fault.sid(),
                m != null ? m.name() : null, d != null ? d.id() : null, fault.iova(), access, fault.status(),
                fault.reason(), false);
        boolean handled = false;
        FaultHandler h = d != null ? d.faultHandler() : null;
        if (h != null) {
            try {
                handled = h.onFault(d, dto);
            } catch (RuntimeException e) {
                LOG.warn("{}: fault handler of domain {} threw: {}", inst.path, d.id(), IommuCoreEngine.message(e), e);
            }
        }
        if (handled) {
            dto = new FaultDTO(dto.seq(), dto.timestampNs(), dto.iommu(), dto.sid(), dto.device(), dto.domain(),
                    dto.iova(), dto.access(), dto.status(), dto.reason(), true);
        }
        log.add(dto);
        trace.ioPageFault(drv != null ? drv.name() : "none", m != null ? m.name() : inst.path, fault.iova(),
                fault.write() ? 1 : 0);
        // report_iommu_fault itself prints nothing: the driver that raised the fault logs it (DART always,
        // arm-smmu when nobody handled it), so the core only records it.
        if (!handled && LOG.isDebugEnabled()) {
            LOG.debug("{}: unhandled {} fault: sid {} iova 0x{} status 0x{} ({}) device {} domain {}", inst.path,
                    access, fault.sid(), Long.toHexString(fault.iova()), Long.toHexString(fault.status()),
                    fault.reason(), m != null ? m.name() : "unknown", d != null ? d.id() : "none");
        }
        return handled;
    }

    /** @return the master on that stream that is in a group, else the first one using it, else null */
    private static MasterImpl masterOf(IommuInstance inst, int sid) {
        MasterImpl[] ms = inst.mastersOn(sid);
        if (ms == null) {
            return null;
        }
        for (MasterImpl c : ms) {
            if (c.group != null) {
                return c;
            }
        }
        return ms.length > 0 ? ms[0] : null;
    }

    /** @return the fault log, oldest first */
    List<FaultDTO> faults() {
        return log.snapshot();
    }

    void clear() {
        log.clear();
    }
}
