package io.iommulab.machine.shell;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/** Number arguments of shell commands: {@code 0x} hexadecimal or decimal, {@code _} allowed as a separator. */
final class Numbers {
    private Numbers() {
    }

    /**
     * @param arg   argument name for the message ({@code PADDR})
     * @param value the text
     * @throws IommuException EINVAL naming the argument and the text if it is not a number
     */
    static long parse(String arg, String value) {
        String v = value == null ? "" : value.trim().replace("_", "");
        try {
            if (v.startsWith("0x") || v.startsWith("0X")) {
                return Long.parseUnsignedLong(v.substring(2), 16);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IommuException(Errno.EINVAL, arg + " '" + value + "' is not a number (0x hex or decimal)");
        }
    }
}
