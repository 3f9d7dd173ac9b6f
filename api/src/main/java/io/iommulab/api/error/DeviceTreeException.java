package io.iommulab.api.error;

/**
 * A device tree (DTB or DTS) that cannot be read, or a reference inside it that does not resolve.
 * The message names the source, where in it (a DTB byte offset such as {@code "offset 0x38"}, a DTS
 * {@code "line 12"}, or a node path) and what was expected there.
 */
public class DeviceTreeException extends IommuException {
    private static final long serialVersionUID = 1L;
    private final String source;
    private final String where;

    /**
     * @param source file or board name
     * @param where position of the problem ("offset 0x38", "line 12", "/soc/usb@382280000"), or null
     * @param message what was expected and what was found
     */
    public DeviceTreeException(String source, String where, String message) {
        super(Errno.EINVAL, source + (where != null ? " (" + where + ")" : "") + ": " + message);
        this.source = source;
        this.where = where;
    }

    public String source() { return source; }

    public String where() { return where; }
}
