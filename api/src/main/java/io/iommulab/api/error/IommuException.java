package io.iommulab.api.error;

/**
 * Failure of an IOMMU, machine or device-tree operation. The {@link #errno()} keeps the kernel's
 * meaning; the message names the thing and the value at fault. An operation that throws leaves
 * the state as it was, except where {@link #partialBytes()} says how much a map got through
 * before failing (the core then undoes it, as iommu_map() does).
 */
public class IommuException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;
    private final long partialBytes;

    public IommuException(Errno errno, String message) { this(errno, message, 0, null); }

    public IommuException(Errno errno, String message, Throwable cause) { this(errno, message, 0, cause); }

    public IommuException(Errno errno, String message, long partialBytes, Throwable cause) {
        super(errno.name() + ": " + message, cause);
        this.errno = errno;
        this.partialBytes = partialBytes;
    }

    /** @return the kernel error this failure corresponds to */
    public Errno errno() { return errno; }

    /** @return bytes a map operation had completed before failing (0 for other operations) */
    public long partialBytes() { return partialBytes; }
}
