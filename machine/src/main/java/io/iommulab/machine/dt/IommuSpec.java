package io.iommulab.machine.dt;

import io.iommulab.api.dt.DtNode;

import java.util.Arrays;

/**
 * A resolved IOMMU specifier (Linux's {@code struct of_phandle_args} for {@code iommus} or an
 * {@code iommu-map} hit).
 *
 * @param iommu the IOMMU node the specifier points at
 * @param args  the specifier cells after the phandle ({@code #iommu-cells} of them; for a DART the
 *              stream ID)
 */
public record IommuSpec(DtNode iommu, int[] args) {
    public IommuSpec {
        args = args.clone();
    }

    @Override
    public int[] args() {
        return args.clone();
    }

    /** @return the first argument cell (the stream ID of a one-cell specifier) */
    public int sid() {
        if (args.length == 0) {
            throw new IllegalStateException("IOMMU specifier for " + iommu.path() + " has no argument cells");
        }
        return args[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IommuSpec s && s.iommu == iommu && Arrays.equals(s.args, args);
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(iommu) * 31 + Arrays.hashCode(args);
    }

    @Override
    public String toString() {
        return iommu.path() + " " + Arrays.toString(args);
    }
}
