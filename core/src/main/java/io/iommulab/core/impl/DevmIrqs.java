package io.iommulab.core.impl;

import io.iommulab.api.machine.IrqHandler;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The interrupt handlers a driver requested through one platform device, kept as devres keeps
 * devm_request_irq's: what the driver has not freed when its code hands the instance over in a live
 * update is freed with the instance ({@link #releaseAll}). A driver that predates the live update
 * does not let go of its handlers in {@code preserve}; left registered, they would go on running on
 * the shared line beside the new code's, and keep the old code (and all it references) loaded.
 */
final class DevmIrqs {

    private final Set<Tracked> live = ConcurrentHashMap.newKeySet();

    /** @return {@code line} as the driver gets it: what it requests on it is recorded until freed */
    IrqLine track(IrqLine line) {
        return new IrqLine() {
            @Override
            public int number() {
                return line.number();
            }

            @Override
            public String name() {
                return line.name();
            }

            @Override
            public IrqRegistration request(String devName, IrqHandler handler, boolean shared) {
                Tracked t = new Tracked(line.name() + " (" + devName + ")", line.request(devName, handler, shared));
                live.add(t);
                return t;
            }

            @Override
            public long unhandledCount() {
                return line.unhandledCount();
            }

            @Override
            public long raisedCount() {
                return line.raisedCount();
            }

            @Override
            public String toString() {
                return line.toString();
            }
        };
    }

    /**
     * Frees every handler still registered.
     *
     * @return what was freed, by line and handler name ("aic:781 (apple-dart fault handler)")
     */
    List<String> releaseAll() {
        List<String> freed = new java.util.ArrayList<>();
        for (Tracked t : List.copyOf(live)) {
            if (t.release()) {
                freed.add(t.what);
            }
        }
        return freed;
    }

    /** One request_irq: free_irq once, by the driver or by {@link #releaseAll}. */
    private final class Tracked implements IrqRegistration {
        final String what;
        private final IrqRegistration inner;

        Tracked(String what, IrqRegistration inner) {
            this.what = what;
            this.inner = inner;
        }

        @Override
        public void free() {
            live.remove(this);
            inner.free();
        }

        /** @return true if it was still registered, and is freed now */
        boolean release() {
            if (!live.remove(this)) {
                return false;
            }
            inner.free();
            return true;
        }
    }
}
