package io.iommulab.api.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Side effects of register accesses, implemented by a model. The register file has already applied
 * the writable and write-1-to-clear masks when {@link #onWrite} runs.
 */
@ConsumerType
public interface RegisterHooks {

    /** Called after a software write; {@code value} is the raw value written. */
    default void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
    }

    /** Called on a software read; returns the value software sees. */
    default int onRead(RegisterSpec reg, int index, int stored) {
        return stored;
    }
}
