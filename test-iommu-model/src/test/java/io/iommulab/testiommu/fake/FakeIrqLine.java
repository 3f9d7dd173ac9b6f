package io.iommulab.testiommu.fake;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.machine.IrqHandler;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A shareable interrupt line: both ends (the model's IrqSource and software's IrqLine). */
public final class FakeIrqLine implements IrqLine, IrqSource {

    /** A requested handler. */
    public record Handler(String name, IrqHandler handler, boolean shared) {
    }

    private final int number;
    public final List<Handler> handlers = new CopyOnWriteArrayList<>();
    private final AtomicLong raised = new AtomicLong();
    private final AtomicLong unhandled = new AtomicLong();

    public FakeIrqLine(int number) {
        this.number = number;
    }

    @Override
    public int number() {
        return number;
    }

    @Override
    public String name() {
        return "intc:" + number;
    }

    @Override
    public synchronized IrqRegistration request(String devName, IrqHandler handler, boolean shared) {
        if (!handlers.isEmpty() && (!shared || !handlers.get(0).shared())) {
            throw new IommuException(Errno.EBUSY, name() + " is taken");
        }
        Handler h = new Handler(devName, handler, shared);
        handlers.add(h);
        return () -> handlers.remove(h);
    }

    @Override
    public void raise() {
        raised.incrementAndGet();
        boolean handled = false;
        for (Handler h : handlers) {
            handled |= h.handler().handle(number) == IrqReturn.HANDLED;
        }
        if (!handled) {
            unhandled.incrementAndGet();
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
}
