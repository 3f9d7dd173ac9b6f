package io.iommulab.machine.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dto.FailNthDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqRegistration;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The machine's fail-nth countdown, and the points the machine itself asks: alloc_pages and request_irq. */
class FailNthCountdownTest {

    private final FailNthCountdown f = new FailNthCountdown();

    @Test
    void theNthHitOfAnEnabledPointFailsOnceThenTheCountdownIsSpent() {
        f.arm(3, List.of());
        assertFalse(f.shouldFail(FailNth.PAGE_ALLOC, "a"));
        assertFalse(f.shouldFail(FailNth.REQUEST_IRQ, "b"));
        assertTrue(f.shouldFail(FailNth.KZALLOC, "c"));
        assertFalse(f.shouldFail(FailNth.KZALLOC, "d"), "spent: no later hit fails");
        FailNthDTO s = f.state();
        assertFalse(s.armed());
        assertEquals(3, s.hits(), "the fourth hit is not counted");
        assertEquals(FailNth.KZALLOC, s.point());
        assertEquals("c", s.where());
        assertTrue(s.stack().get(0).startsWith(getClass().getName() + ".theNthHitOfAnEnabledPointFailsOnceThenTheCountdownIsSpent("),
                "the code that asked: " + s.stack());
    }

    @Test
    void onlyTheNamedPointsCountAndOthersAreNeverAsked() {
        f.arm(1, List.of(FailNth.CB_ALLOC));
        assertFalse(f.shouldFail(FailNth.PAGE_ALLOC, "x"));
        assertFalse(f.shouldFail("skip-invalidate", "x"), "not a fail-nth point");
        assertEquals(0, f.state().hits());
        assertTrue(f.shouldFail(FailNth.CB_ALLOC, "smmu"));
        assertEquals(List.of(FailNth.CB_ALLOC), f.state().points());
    }

    @Test
    void disarmKeepsWhatWasCountedAndArmingForgetsTheLastFailure() {
        f.arm(1, List.of());
        assertTrue(f.shouldFail(FailNth.PAGE_ALLOC, "p"));
        f.arm(10, List.of());
        assertNull(f.state().point());
        assertFalse(f.shouldFail(FailNth.PAGE_ALLOC, "p"));
        FailNthDTO off = f.disarm();
        assertFalse(off.armed());
        assertEquals(1, off.hits());
        assertFalse(off.failed(), "the 10th hit never came");
        assertFalse(f.shouldFail(FailNth.PAGE_ALLOC, "p"));
        assertEquals(1, f.state().hits(), "nothing counts once disarmed");
    }

    @Test
    void badArgumentsAreRefusedNamingTheValue() {
        IommuException zero = assertThrows(IommuException.class, () -> f.arm(0, List.of()));
        assertEquals(Errno.EINVAL, zero.errno());
        assertTrue(zero.getMessage().contains("fail-nth 0"), zero.getMessage());
        IommuException point = assertThrows(IommuException.class, () -> f.arm(1, List.of("page_alloc")));
        assertEquals("EINVAL: fail-nth: injection point 'page_alloc' is not one of page-alloc, request-irq, busy-stuck, "
                + "sync-stuck, domain-alloc, kzalloc, cb-alloc", point.getMessage());
        assertFalse(f.state().armed(), "a refused arm changes nothing");
    }

    @Test
    void hitsFromManyThreadsFailExactlyOnce() throws InterruptedException {
        f.arm(500, List.of());
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 200; i++) {
                    if (f.shouldFail(FailNth.PAGE_ALLOC, "t")) {
                        failed.incrementAndGet();
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(1, failed.get());
        assertEquals(500, f.state().hits());
    }

    @Test
    void theMachinesAllocatorAndInterruptLinesAskIt() {
        SimMachine m = SimMachine.boot(DeviceTrees.board("default"), List.of(), Map.of());
        FailNth fn = m.failNth();
        fn.arm(1, List.of(FailNth.PAGE_ALLOC));
        IommuException nomem = assertThrows(IommuException.class, () -> m.pages().allocPages(2, "owner-x"));
        assertEquals(Errno.ENOMEM, nomem.errno());
        assertTrue(nomem.getMessage().contains("owner-x") && nomem.getMessage().contains("fail-nth"), nomem.getMessage());
        assertEquals(Map.of(), m.pages().pagesByOwner(), "nothing allocated");
        assertEquals("owner-x", fn.state().where());
        long pa = m.pages().allocPages(2, "owner-x");
        m.pages().freePages(pa);

        DtNode dart = m.deviceTree().node("/soc/iommu@382f00000").orElseThrow();
        IrqLine line = m.irq(dart, 0);
        fn.arm(1, List.of(FailNth.REQUEST_IRQ));
        IommuException irq = assertThrows(IommuException.class, () -> line.request("dev-a", n -> IrqReturn.HANDLED, true));
        assertEquals(Errno.ENOMEM, irq.errno());
        assertEquals(Map.of(), m.irqHandlers(), "no handler registered");
        assertEquals(line.name() + " (dev-a)", fn.state().where());
        IrqRegistration r = line.request("dev-a", n -> IrqReturn.HANDLED, true);
        assertEquals(Map.of(line.name(), List.of("dev-a")), m.irqHandlers());
        r.free();
        assertEquals(Map.of(), m.irqHandlers());
    }
}
