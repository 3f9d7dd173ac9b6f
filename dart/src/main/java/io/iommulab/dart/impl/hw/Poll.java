package io.iommulab.dart.impl.hw;

import io.iommulab.api.machine.MmioWindow;

/**
 * readl_poll_timeout_atomic for the DART's BUSY bits (dart-facts §1.9: 1 µs steps, 100 µs
 * timeout). The simulated hardware finishes a command on its own thread of control, so the wait
 * between reads is a spin hint rather than 1 µs: a timeout still means 100 reads saw BUSY.
 */
final class Poll {

    /** DART_STREAM_COMMAND_BUSY_TIMEOUT: polls before giving up (100 × 1 µs in Linux). */
    static final int BUSY_TIMEOUT_POLLS = 100;

    private Poll() {
    }

    /** @return true once {@code bit} of the register at {@code offset} reads 0; false after the timeout */
    static boolean untilClear(MmioWindow regs, int offset, int bit) {
        for (int i = 0; i < BUSY_TIMEOUT_POLLS; i++) {
            if ((regs.readl(offset) & bit) == 0) {
                return true;
            }
            Thread.onSpinWait();
        }
        // readl_poll_timeout reads once more after the deadline before reporting -ETIMEDOUT
        return (regs.readl(offset) & bit) == 0;
    }
}
