package io.iommulab.api.hw;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/** What the machine gives a hardware model it instantiates for a DT node. Implemented by the machine. */
@ProviderType
public interface ModelContext {

    /** @return the IOMMU's DT node */
    DtNode node();

    /** @return physical memory, where the model walks page tables */
    PhysicalMemory memory();

    /**
     * Creates the register file of {@code reg} entry {@code index} and maps it on the MMIO bus at
     * that address.
     *
     * @param specs the register table, in one place per hardware variant
     */
    RegisterFile registers(int index, List<RegisterSpec> specs, RegisterHooks hooks);

    /** @return the model's end of interrupt {@code index} of the node */
    IrqSource irq(int index);

    /**
     * Model options for exercising driver error paths, e.g. {@code locked=true},
     * {@code busy-stuck=true}, {@code iotlb-entries=64}; from the node's {@code iommulab,model-options}
     * string list ("key=value") and machine properties {@code iommulab.model.<node-path>.<key>}.
     */
    Map<String, String> options();

    /**
     * @return {@link #options()} read typed, refusing a bad option with an EINVAL that names the node,
     *         this model (its factory's name), the option and the value
     * @since 1.2
     */
    ModelOptions modelOptions();

    /** @return the sanitizer's view of the model's IOTLB hits (see {@link TranslationCheck}) */
    TranslationCheck translationCheck();

    /**
     * A hardware injection point of the machine's fail-nth countdown
     * ({@link io.iommulab.api.machine.FailNth}): the model asks once per occurrence (one command,
     * one sync) and, told to, makes that occurrence fail as the point says (BUSY that never clears,
     * a sync that never completes). Software still only sees the registers.
     *
     * @param point e.g. {@link io.iommulab.api.machine.FailNth#BUSY_STUCK}
     * @return true to fail this occurrence; false unless the countdown is armed (one volatile read)
     * @since 1.3
     */
    default boolean shouldFail(String point) {
        return false;
    }
}
