package io.iommulab.klib;

import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * One fault-injection point of one device, as a driver asks it: the driver's side of Linux's
 * {@code should_fail()} ({@code lib/fault-inject.c}). The device answers
 * ({@link PlatformDevice#shouldFail}: what the core's {@code iommu:inject} set, N occurrences or
 * all); this class only says in the log what the driver left out, so that an injected bug is never
 * silent: a WARN the first time for this device and point, DEBUG for every occurrence after it
 * (injecting "all" would otherwise warn at map/unmap rate).
 *
 * <p>{@link #kzalloc} is failslab for a driver: the allocation of its own state (a master's
 * configuration, a domain, an instance) asks the device's {@code kzalloc} point (the core's
 * {@code iommu:inject}, then the machine's fail-nth) and fails with ENOMEM when told to.
 *
 * <p>Fields: {@code pdev} the device asked; {@code point} the point's name
 * ({@link PlatformDevice#SKIP_INVALIDATE}); {@code log} the driver's logger; {@code warned} set
 * once the WARN was written.
 */
public final class FaultInject {

    private final PlatformDevice pdev;
    private final String point;
    private final Logger log;
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * @param pdev  the device whose injection state is asked
     * @param point the injection point, e.g. {@link PlatformDevice#SKIP_INVALIDATE}
     * @param log   where the driver logs
     */
    public FaultInject(PlatformDevice pdev, String point, Logger log) {
        this.pdev = Objects.requireNonNull(pdev, "pdev");
        this.point = Objects.requireNonNull(point, "point");
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Asks once: one call is one occurrence, so a driver calls it exactly once per operation it
     * would skip (one invalidation command, say), and skips that operation when the answer is true.
     *
     * @param what the occurrence in the hardware's terms, for the log (e.g. {@code "TLBIASID 3"});
     *             only made when the answer is true, so the common path builds no text
     * @return true if the caller must skip (or fail) this occurrence
     */
    public boolean shouldFail(Supplier<String> what) {
        if (!pdev.shouldFail(point)) {
            return false;
        }
        if (warned.compareAndSet(false, true)) {
            log.warn("{}: injected fault {}: {} not issued (every further one is logged at DEBUG)", pdev.name(), point,
                    what.get());
        } else if (log.isDebugEnabled()) {
            log.debug("{}: injected fault {}: {} not issued", pdev.name(), point, what.get());
        }
        return true;
    }

    /**
     * kzalloc of a driver's own state, as an injection point ({@link FailNth#KZALLOC}): call it once
     * where the Linux driver allocates, before changing anything the failure would have to undo.
     *
     * @param pdev the device the state is for (its {@code shouldFail} answers)
     * @param what what is allocated, for the message (e.g. {@code "the master configuration of /soc/usb@..."})
     * @throws IommuException ENOMEM when told to fail
     */
    public static void kzalloc(PlatformDevice pdev, Supplier<String> what) {
        if (pdev.shouldFail(FailNth.KZALLOC)) {
            throw new IommuException(Errno.ENOMEM, pdev.name() + ": no memory for " + what.get() + " (injected kzalloc failure)");
        }
    }

    @Override
    public String toString() {
        return pdev.name() + " " + point;
    }
}
