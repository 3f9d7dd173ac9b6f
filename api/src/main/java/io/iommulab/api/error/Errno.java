package io.iommulab.api.error;

/** Kernel error numbers, kept with their Linux meaning so that behaviour reads like the driver it models. */
public enum Errno {
    ENOENT(2), EIO(5), ENOMEM(12), EFAULT(14), EBUSY(16), EEXIST(17), ENODEV(19), EINVAL(22),
    ENOSPC(28), ERANGE(34), ENOSYS(38), EOPNOTSUPP(95), ETIMEDOUT(110), EPROBE_DEFER(517);

    private final int value;

    Errno(int value) { this.value = value; }

    /** @return the positive errno value, e.g. 22 for EINVAL */
    public int value() { return value; }
}
