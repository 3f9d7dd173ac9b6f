package io.iommulab.core.impl;

import static io.iommulab.core.impl.Fixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.machine.SimMachine;
import io.iommulab.testiommu.impl.TestIommuDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A domain freed (its driver going away) while other threads map into it: every map either
 * completes before the tables go or fails with ENODEV; none allocates a table page into the freed
 * domain, so every page comes back.
 */
class FreeUnderMapTest {

    @Test
    void freeingADomainWaitsForMapsInFlightAndLeaksNothing() throws Exception {
        SimMachine m = Fixture.machine();
        long baseline = m.pages().pagesInUse();
        for (int round = 0; round < 40; round++) {
            IommuCoreEngine e = new IommuCoreEngine(m, CoreConfig.defaults());
            TestIommuDriver drv = new TestIommuDriver();
            e.addDriver(drv);
            IommuDomain dom = e.domainAlloc(DEV_A, DomainType.UNMANAGED);
            e.attachGroup(dom, DEV_A);
            List<Throwable> unexpected = new CopyOnWriteArrayList<>();
            CountDownLatch started = new CountDownLatch(4);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long base = (long) t << 28; // a quarter of the 1 GiB aperture each
                Thread th = new Thread(() -> {
                    started.countDown();
                    // a new 2 MiB region each time round (a fresh leaf table), 128 of them, again and again
                    for (long i = 0; ; i++) {
                        long iova = base + (i % 128) * 0x20_0000L;
                        try {
                            dom.map(iova, BUF, 0x1000, Prot.READ);
                            dom.unmap(iova, 0x1000);
                        } catch (IommuException x) {
                            if (x.errno() != Errno.ENODEV) {
                                unexpected.add(x);
                            }
                            return;
                        } catch (RuntimeException x) {
                            unexpected.add(x);
                            return;
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            started.await();
            e.removeDriver(drv);
            for (Thread th : threads) {
                th.join(10_000);
                assertTrue(!th.isAlive(), "mapping thread ended");
            }
            assertEquals(List.of(), unexpected);
            assertEquals(baseline, m.pages().pagesInUse(), "round " + round + ": pages by owner " + m.pages().pagesByOwner());
        }
    }
}
