package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A private machine booted beside the registered one ({@link MachineFactory#bootDetached}): the
 * same hardware models, its own memory, bus and interrupt lines, never registered as a service.
 * Tools that run one workload on several boards (the backend comparison) use it and close it.
 */
@ProviderType
public interface DetachedMachine extends Machine, AutoCloseable {
    /** Unplugs the models; windows onto its registers then fail with EIO. Idempotent. */
    @Override
    void close();
}
