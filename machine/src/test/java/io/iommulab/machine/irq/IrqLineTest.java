package io.iommulab.machine.irq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class IrqLineTest {
    private final IrqLineImpl line = new IrqLineImpl(781, "aic:781");
    private final List<String> calls = new ArrayList<>();

    @Test
    void sharedLineRunsEveryHandlerInOrder() {
        AtomicBoolean mine = new AtomicBoolean();
        line.request("dart0", irq -> {
            calls.add("dart0:" + irq);
            return IrqReturn.NONE;
        }, true);
        line.request("dart1", irq -> {
            calls.add("dart1:" + irq);
            return mine.get() ? IrqReturn.HANDLED : IrqReturn.NONE;
        }, true);
        mine.set(true);
        line.source().raise();
        assertEquals(List.of("dart0:781", "dart1:781"), calls);
        assertEquals(1, line.raisedCount());
        assertEquals(0, line.unhandledCount());
        mine.set(false);
        line.raise();
        assertEquals(2, line.raisedCount());
        assertEquals(1, line.unhandledCount(), "nobody answered HANDLED");
    }

    @Test
    void exclusiveRulesAreEbusy() {
        IrqRegistration r = line.request("dart0", irq -> IrqReturn.HANDLED, true);
        IommuException e = assertThrows(IommuException.class, () -> line.request("other", irq -> IrqReturn.HANDLED, false));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("aic:781") && e.getMessage().contains("dart0"), e.getMessage());
        r.free();
        IrqRegistration ex = line.request("excl", irq -> IrqReturn.HANDLED, false);
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class,
                () -> line.request("dart0", irq -> IrqReturn.HANDLED, true)).errno(), "shared request on an exclusive line");
        ex.free();
        line.request("dart0", irq -> IrqReturn.HANDLED, true);
        assertEquals(1, line.actions().size());
    }

    @Test
    void freeRemovesOnlyThatHandler() {
        IrqRegistration a = line.request("a", irq -> {
            calls.add("a");
            return IrqReturn.HANDLED;
        }, true);
        line.request("b", irq -> {
            calls.add("b");
            return IrqReturn.HANDLED;
        }, true);
        a.free();
        a.free();
        line.raise();
        assertEquals(List.of("b"), calls);
    }

    @Test
    void throwingHandlerIsContainedAndOthersStillRun() {
        line.request("bad", irq -> {
            throw new IllegalStateException("driver bug");
        }, true);
        line.request("good", irq -> {
            calls.add("good");
            return IrqReturn.HANDLED;
        }, true);
        line.raise();
        assertEquals(List.of("good"), calls);
        assertEquals(0, line.unhandledCount());
    }

    @Test
    void raiseWithoutHandlersCountsUnhandled() {
        for (int i = 0; i < 50; i++) {
            line.raise();
        }
        assertEquals(50, line.raisedCount());
        assertEquals(50, line.unhandledCount());
    }
}
