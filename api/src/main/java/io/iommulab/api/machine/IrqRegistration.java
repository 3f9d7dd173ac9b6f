package io.iommulab.api.machine;

/** A requested interrupt handler; {@link #free()} is free_irq. */
public interface IrqRegistration {
    void free();
}
