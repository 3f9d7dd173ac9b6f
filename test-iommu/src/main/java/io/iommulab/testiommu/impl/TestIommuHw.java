package io.iommulab.testiommu.impl;

import static io.iommulab.testiommu.impl.TestIommuRegs.*;

import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.klib.FaultInject;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;

/**
 * All register I/O of one test-iommu instance (the {@code apple_dart_hw_*} helpers of this
 * hardware). Commands are serialised per instance: CMD holds one command at a time. Every
 * invalidate command asks the instance's {@code skip-invalidate} fault-injection point first: one
 * occurrence is one CMD write (one stream, or every stream at reset).
 */
final class TestIommuHw {

    /** BUSY polls before an invalidation counts as timed out. */
    static final int INVALIDATE_POLLS = 100;
    /** Delay between BUSY polls. */
    static final long POLL_DELAY_NANOS = 1_000;

    private final String node;
    private final MmioWindow regs;
    private final FaultInject skipInvalidate;

    /** Maps the instance's registers ({@code reg} 0); {@code log} is the driver's. */
    TestIommuHw(PlatformDevice pdev, Logger log) {
        this.node = pdev.name();
        this.regs = pdev.ioremap(0);
        this.skipInvalidate = new FaultInject(pdev, PlatformDevice.SKIP_INVALIDATE, log);
    }

    int readId() {
        return regs.readl(ID);
    }

    boolean isLocked() {
        return (regs.readl(CONFIG) & CONFIG_LOCK) != 0;
    }

    void setCtrl(int sid, int value) {
        regs.writel(ctrl(sid), value);
    }

    void setTtbr(int sid, long l1Table) {
        regs.writel(ttbr(sid), ttbrValue(l1Table));
    }

    int readCtrl(int sid) {
        return regs.readl(ctrl(sid));
    }

    int readTtbr(int sid) {
        return regs.readl(ttbr(sid));
    }

    void clearTtbr(int sid) {
        regs.writel(ttbr(sid), 0);
    }

    int readError() {
        return regs.readl(ERROR);
    }

    long readErrorAddr() {
        return (regs.readl(ERROR_ADDR_LO) & 0xffff_ffffL) | ((long) regs.readl(ERROR_ADDR_HI) << 32);
    }

    /** Clears a latched error: ERROR is write-1-to-clear, so the read value is written back. */
    void clearError(int status) {
        regs.writel(ERROR, status);
    }

    /**
     * Invalidates the IOTLB of one stream ({@link TestIommuRegs#CMD_STREAM_ALL}
     * for all) and waits for the command to finish; an injected {@code skip-invalidate} leaves the
     * command out.
     *
     * @throws IommuException ETIMEDOUT if CMD stays busy
     */
    synchronized void invalidate(int sid) {
        if (skipInvalidate.shouldFail(() -> "the invalidate command of stream " + streamName(sid))) {
            return;
        }
        regs.writel(CMD, cmdInvalidate(sid));
        for (int i = 0; i < INVALIDATE_POLLS; i++) {
            if ((regs.readl(CMD) & CMD_BUSY) == 0) {
                return;
            }
            LockSupport.parkNanos(POLL_DELAY_NANOS);
        }
        if ((regs.readl(CMD) & CMD_BUSY) == 0) {
            return;
        }
        throw new IommuException(Errno.ETIMEDOUT, node + ": invalidate of stream " + streamName(sid) + " timed out (CMD busy)");
    }

    private static String streamName(int sid) {
        return sid == CMD_STREAM_ALL ? "all" : Integer.toString(sid);
    }

    /**
     * Puts the instance in its quiet state: every stream blocked with no table, any latched error
     * cleared, the IOTLBs empty.
     */
    void reset(int numStreams) {
        for (int sid = 0; sid < numStreams; sid++) {
            setCtrl(sid, 0);
            clearTtbr(sid);
        }
        int error = readError();
        if (error != 0) {
            clearError(error);
        }
        invalidate(CMD_STREAM_ALL);
    }
}
