package io.iommulab.core.impl.shell;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/** Shell argument parsing: numbers as 0x-hex or decimal with an optional K/M/G suffix; prot strings. */
final class Args {

    private Args() {
    }

    /** @throws IommuException EINVAL "argument IOVA: '0x12g' is not a number" */
    static long number(String what, String s) {
        String t = s == null ? "" : s.trim().replace("_", "");
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                if (t.length() == 2) {
                    throw new NumberFormatException();
                }
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            long mult = 1;
            if (!t.isEmpty()) {
                switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                    case 'K': mult = 1L << 10; break;
                    case 'M': mult = 1L << 20; break;
                    case 'G': mult = 1L << 30; break;
                    default: break;
                }
            }
            if (mult != 1) {
                t = t.substring(0, t.length() - 1);
            }
            if (t.isEmpty() || t.charAt(0) == '-' || t.charAt(0) == '+') {
                throw new NumberFormatException();
            }
            long v = Long.parseLong(t);
            return Math.multiplyExact(v, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IommuException(Errno.EINVAL, "argument " + what + ": '" + s + "' is not a number");
        }
    }

    static int intNumber(String what, String s, int max) {
        long v = number(what, s);
        if (v > max) {
            throw new IommuException(Errno.EINVAL, "argument " + what + ": " + s + " is larger than " + max);
        }
        return (int) v;
    }

    /** @return IOMMU_READ/IOMMU_WRITE for r, w or rw */
    static int prot(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "r": return Prot.READ;
            case "w": return Prot.WRITE;
            case "rw": case "wr": return Prot.READ | Prot.WRITE;
            default: throw new IommuException(Errno.EINVAL, "argument PROT: '" + s + "' is not one of r, w, rw");
        }
    }

    static String protText(int prot) {
        return ((prot & Prot.READ) != 0 ? "r" : "") + ((prot & Prot.WRITE) != 0 ? "w" : "");
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
