package io.iommulab.api.machine;

/** What an interrupt handler answers, as irqreturn_t. */
public enum IrqReturn {
    /** IRQ_NONE: not raised by this device (shared lines) */
    NONE,
    /** IRQ_HANDLED */
    HANDLED
}
