package io.iommulab.api.machine;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A register window mapped for software (ioremap of one {@code reg} entry). All accesses are
 * 32-bit, as the hardware requires. Touching a window whose power domain is off throws
 * {@link io.iommulab.api.error.IommuException} (EIO) naming the block and its domain.
 */
@ProviderType
public interface MmioWindow {

    /** @return physical base address of the window */
    long base();

    /** @return size of the window in bytes */
    long size();

    /** readl: 32-bit read at a byte offset (multiple of 4) inside the window */
    int readl(long offset);

    /** writel: 32-bit write at a byte offset (multiple of 4) inside the window */
    void writel(long offset, int value);
}
