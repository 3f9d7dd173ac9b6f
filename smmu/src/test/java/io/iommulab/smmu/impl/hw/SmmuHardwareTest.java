package io.iommulab.smmu.impl.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.api.machine.MmioWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The 64-bit register pairs of {@link SmmuHardware} under concurrency. */
class SmmuHardwareTest {

    /**
     * Two CPUs write the same 64-bit register (two threads unmapping in one domain, each with its
     * TLBIVAL): the second pair waits until the first is written whole, so the SMMU, which acts
     * when a low word is written, sees each command's own high word. The window holds the first
     * writer between its two words until the second writer is seen waiting for the pair's lock.
     */
    @Test
    void aPairOfAnotherCpuNeverComesBetweenTheTwoWords() throws Exception {
        List<String> writes = new ArrayList<>();
        CountDownLatch firstHighWritten = new CountDownLatch(1);
        Thread[] second = new Thread[1];
        MmioWindow window = new MmioWindow() {
            @Override
            public long base() {
                return 0;
            }

            @Override
            public long size() {
                return 1 << 20;
            }

            @Override
            public int readl(long offset) {
                return 0;
            }

            @Override
            public void writel(long offset, int value) {
                synchronized (writes) {
                    writes.add(Long.toHexString(offset) + "=" + Integer.toHexString(value));
                }
                if (Thread.currentThread().getName().equals("first") && (offset & 4) != 0) {
                    firstHighWritten.countDown();
                    // hold the pair open until the other CPU is either waiting for it or inside it
                    while (second[0].getState() != Thread.State.BLOCKED && !secondWrote(writes)) {
                        Thread.onSpinWait();
                    }
                }
            }
        };
        SmmuHardware hw = new SmmuHardware("/smmu", window, System::nanoTime);
        hw.setGeometry(SmmuRegs.PAGE_SHIFT_4K, 8);
        second[0] = new Thread(() -> {
            try {
                firstHighWritten.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            hw.cbWriteq(1, 0x608, 0x0002_0000_0000_0bbbL);
        }, "second");
        Thread first = new Thread(() -> hw.cbWriteq(1, 0x608, 0x0001_0000_0000_0aaaL), "first");
        second[0].start();
        first.start();
        first.join();
        second[0].join();
        long at = (8L + 1) << SmmuRegs.PAGE_SHIFT_4K;
        String hi = Long.toHexString(at + 0x60c);
        String lo = Long.toHexString(at + 0x608);
        assertEquals(List.of(hi + "=10000", lo + "=aaa", hi + "=20000", lo + "=bbb"), writes);
    }

    private static boolean secondWrote(List<String> writes) {
        synchronized (writes) {
            return writes.size() > 1;
        }
    }
}
