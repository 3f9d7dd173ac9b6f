package io.iommulab.api.hw;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's register block as declared by its {@link RegisterSpec} table. Software reaches it over
 * the MMIO bus (32-bit accesses, masks applied, unknown offsets read as zero and ignore writes,
 * reported once); the model itself uses {@link #get}/{@link #set}, which bypass the masks.
 */
@ProviderType
public interface RegisterFile {

    /** @return the table this file was built from */
    List<RegisterSpec> specs();

    /** Model-side read of the stored value at a byte offset (0 for an undeclared offset). */
    int get(int offset);

    /** Model-side write of the stored value at a byte offset, ignoring masks. */
    void set(int offset, int value);

    /** Restores every register to its reset value. */
    void reset();

    /** @return the spec covering a byte offset, or null */
    RegisterSpec specAt(int offset);
}
