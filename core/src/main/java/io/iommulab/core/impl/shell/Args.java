package io.iommulab.core.impl.shell;

import io.iommulab.api.Prot;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/** Shell arguments that are not numbers (those are {@link io.iommulab.lib.cmdline.Memparse}): prot strings, hex output. */
final class Args {

    private Args() {
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
