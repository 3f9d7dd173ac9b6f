package io.iommulab.machine.irq;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IrqHandler;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.machine.inject.FailNthCountdown;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One interrupt line of a controller, possibly shared by several devices (two DARTs of one USB
 * controller share AIC 781). {@link #raise} runs every requested handler in request order on the
 * raising thread, as a level-triggered line is serviced by all its actions.
 *
 * <p>Handlers sit in a copy-on-write list (raise never locks); request/free serialise on this
 * object so that the shared/exclusive rule is checked and applied atomically. The model side gets
 * {@link #source()}, a separate object, so software holding the {@link IrqLine} cannot raise it.
 */
public final class IrqLineImpl implements IrqLine {
    private static final Logger LOG = LoggerFactory.getLogger(IrqLineImpl.class);
    /** Rate limit for "nobody cared", as printk_ratelimit: this many reports per interval. */
    private static final int RATELIMIT_BURST = 10;
    private static final long RATELIMIT_INTERVAL_NS = 5_000_000_000L;

    /**
     * One requested handler (an irqaction).
     *
     * @param devName the requesting device
     * @param handler the handler
     * @param shared  whether it asked for a shared line
     */
    public record Action(String devName, IrqHandler handler, boolean shared) {
    }

    private final int number;
    private final String name;
    private final List<Action> actions = new CopyOnWriteArrayList<>();
    private final FailNth failNth;
    private final AtomicLong raised = new AtomicLong();
    private final AtomicLong unhandled = new AtomicLong();
    private final IrqSource source = this::raise;
    private long windowStart;
    private int windowCount;
    private int suppressed;

    IrqLineImpl(int number, String name) {
        this(number, name, new FailNthCountdown());
    }

    IrqLineImpl(int number, String name, FailNth failNth) {
        this.number = number;
        this.name = name;
        this.failNth = failNth;
    }

    @Override
    public int number() {
        return number;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the model's end of the line */
    public IrqSource source() {
        return source;
    }

    /**
     * request_irq; an injection point of the machine's fail-nth countdown ({@link FailNth#REQUEST_IRQ}):
     * told to, it fails with ENOMEM as request_irq does when its irqaction cannot be allocated.
     */
    @Override
    public synchronized IrqRegistration request(String devName, IrqHandler handler, boolean shared) {
        if (handler == null) {
            throw new IommuException(Errno.EINVAL, "irq " + name + ": request by " + devName + " without a handler");
        }
        if (failNth.shouldFail(FailNth.REQUEST_IRQ, name + " (" + devName + ")")) {
            throw new IommuException(Errno.ENOMEM, "irq " + name + ": request by " + devName
                    + " failed: no memory for its irqaction (fail-nth: injected)");
        }
        if (!actions.isEmpty()) {
            Action first = actions.get(0);
            if (!shared || !first.shared()) {
                throw new IommuException(Errno.EBUSY, String.format(
                        "irq %s: %s requested it %s but it is held by %s (%s)", name, devName,
                        shared ? "shared" : "exclusively", first.devName(), first.shared() ? "shared" : "exclusive"));
            }
        }
        Action a = new Action(devName, handler, shared);
        actions.add(a);
        return () -> free(a);
    }

    private synchronized void free(Action a) {
        // remove(Object) compares with equals; records compare by value, so match by identity.
        for (int i = 0; i < actions.size(); i++) {
            if (actions.get(i) == a) {
                actions.remove(i);
                return;
            }
        }
        LOG.warn("irq {}: trying to free already-free handler of {}", name, a.devName());
    }

    /** Signals the line: runs every handler; counts the raise and, if nobody answered HANDLED, an unhandled one. */
    public void raise() {
        raised.incrementAndGet();
        boolean handled = false;
        for (Action a : actions) {
            try {
                if (a.handler().handle(number) == IrqReturn.HANDLED) {
                    handled = true;
                }
            } catch (RuntimeException | Error e) {
                // A broken driver handler must not kill the thread doing DMA (the model's caller).
                if (e instanceof VirtualMachineError) {
                    throw (VirtualMachineError) e;
                }
                LOG.error("irq {}: handler of {} threw", name, a.devName(), e);
            }
        }
        if (!handled) {
            unhandled.incrementAndGet();
            nobodyCared();
        }
    }

    private void nobodyCared() {
        int skipped;
        synchronized (this) {
            long now = System.nanoTime();
            if (now - windowStart > RATELIMIT_INTERVAL_NS) {
                windowStart = now;
                windowCount = 0;
            }
            if (windowCount >= RATELIMIT_BURST) {
                suppressed++;
                return;
            }
            windowCount++;
            skipped = suppressed;
            suppressed = 0;
        }
        if (skipped > 0) {
            LOG.warn("irq {}: nobody cared ({} handlers, {} unhandled of {} raised; {} reports suppressed)",
                    name, actions.size(), unhandled.get(), raised.get(), skipped);
        } else {
            LOG.warn("irq {}: nobody cared ({} handlers, {} unhandled of {} raised)",
                    name, actions.size(), unhandled.get(), raised.get());
        }
    }

    @Override
    public long unhandledCount() {
        return unhandled.get();
    }

    @Override
    public long raisedCount() {
        return raised.get();
    }

    /** @return the requested handlers, in order */
    public List<Action> actions() {
        return List.copyOf(actions);
    }

    @Override
    public String toString() {
        return name;
    }
}
