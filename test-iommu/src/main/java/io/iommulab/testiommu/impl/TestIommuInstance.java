package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuFault;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.klib.RateLimit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One probed test-iommu (= struct iommu_device plus the driver's per-instance data).
 *
 * <p>Fields: {@code pdev} the platform device; {@code hw} its register I/O; {@code numStreams} and
 * {@code bypass} from the ID register; {@code owner} the page-allocation owner name;
 * {@code streamDomain} the domain each stream is attached to (guarded by itself);
 * {@code streamGroup} the group each stream belongs to (guarded by the driver's group lock);
 * {@code faultLimit} the dev_err_ratelimited state of the fault message; {@code irq} the fault
 * handler registration.
 */
final class TestIommuInstance implements IommuDevice {

    private static final Logger LOG = LoggerFactory.getLogger(TestIommuInstance.class);

    final PlatformDevice pdev;
    final TestIommuHw hw;
    final String node;
    final String owner;
    final boolean bypass;
    private final int numStreams;
    private final DomainOps[] streamDomain;
    final IommuGroup[] streamGroup;
    private final RateLimit faultLimit;
    IrqRegistration irq;

    TestIommuInstance(PlatformDevice pdev, TestIommuHw hw, int numStreams, boolean bypass, LongSupplier clock) {
        this.pdev = pdev;
        this.hw = hw;
        this.node = pdev.name();
        this.owner = "io.iommulab.testiommu:" + node;
        this.numStreams = numStreams;
        this.bypass = bypass;
        this.streamDomain = new DomainOps[numStreams];
        this.streamGroup = new IommuGroup[numStreams];
        this.faultLimit = new RateLimit(clock);
    }

    @Override
    public PlatformDevice platformDevice() {
        return pdev;
    }

    @Override
    public int numStreams() {
        return numStreams;
    }

    String name() {
        return node;
    }

    /**
     * Records that {@code sid} now uses {@code domain}.
     *
     * @return the domain the stream used before (null if none)
     */
    DomainOps swapDomain(int sid, DomainOps domain) {
        synchronized (streamDomain) {
            DomainOps prev = streamDomain[sid];
            streamDomain[sid] = domain;
            return prev;
        }
    }

    /** @return the domain {@code sid} is attached to, or null */
    DomainOps domainOf(int sid) {
        synchronized (streamDomain) {
            return streamDomain[sid];
        }
    }

    /** Forgets every stream's domain (the hardware was reset). */
    void clearDomains() {
        synchronized (streamDomain) {
            java.util.Arrays.fill(streamDomain, null);
        }
    }

    /**
     * The fault interrupt handler. The line may be shared, so an instance without a latched error
     * answers NONE. Never throws.
     */
    IrqReturn handleFault(int line) {
        int status;
        long iova;
        try {
            status = hw.readError();
            if ((status & ERROR_FLAG) == 0) {
                return IrqReturn.NONE;
            }
            iova = hw.readErrorAddr();
        } catch (RuntimeException e) {
            LOG.error("{}: cannot read the error registers on irq {}: {}", node, line, e.getMessage());
            return IrqReturn.NONE;
        }
        int sid = (status & ERROR_STREAM_MASK) >>> ERROR_STREAM_SHIFT;
        int code = status & ERROR_CODE_MASK;
        String reason = codeName(code);
        logFault(status, sid, code, reason, iova);
        try {
            hw.clearError(status);
            // The hardware does not latch the direction; only WRITE_PROT implies a write.
            pdev.reportFault(new IommuFault(sid, iova, code == CODE_WRITE_PROT, status & 0xffff_ffffL, reason));
        } catch (RuntimeException e) {
            LOG.error("{}: reporting fault on stream {} at 0x{} failed: {}", node, sid, Long.toHexString(iova),
                    e.toString());
        }
        return IrqReturn.HANDLED;
    }

    private void logFault(int status, int sid, int code, String reason, long iova) {
        if (faultLimit.ratelimit(n -> LOG.error("{}: {} callbacks suppressed", node, n)) && LOG.isErrorEnabled()) {
            LOG.error(String.format("%s: translation fault: status:0x%08x stream:%d code:0x%02x (%s) at 0x%x",
                    node, status, sid, code, reason, iova));
        }
    }

    @Override
    public String toString() {
        return "test-iommu " + node;
    }
}
