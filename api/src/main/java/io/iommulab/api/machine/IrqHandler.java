package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ConsumerType;

/** An interrupt handler; runs on the thread that raised the interrupt. It must not throw. */
@ConsumerType
@FunctionalInterface
public interface IrqHandler {
    IrqReturn handle(int irq);
}
