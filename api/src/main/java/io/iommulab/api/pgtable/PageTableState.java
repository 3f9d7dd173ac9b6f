package io.iommulab.api.pgtable;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a page table is: its format, its configuration and its roots in physical memory.
 * A table survives the format bundle being updated: the new code re-opens it with
 * {@link PageTableFormat#attach}. It is also what a driver programs into the hardware.
 *
 * @param format name of the format, e.g. {@code "apple-dart"}
 * @param config the configuration as the format settled it (page sizes reduced to what it maps)
 * @param ttbrs  physical addresses of the top-level tables, one per TTBR the driver must program
 *               (DART: n_ttbrs; LPAE: TTBR0)
 * @param levels number of levels as Linux reports it (DART: n_levels, the TTBR counting as a level;
 *               LPAE: table levels walked)
 * @param hw     further values the driver programs, by name (LPAE: {@code tcr.t0sz},
 *               {@code tcr.tg0}, {@code tcr.sh0}, {@code tcr.irgn0}, {@code tcr.orgn0}, {@code mair};
 *               empty for DART)
 */
public record PageTableState(String format, PageTableConfig config, long[] ttbrs, int levels, Map<String, Long> hw) {

    public PageTableState {
        ttbrs = ttbrs.clone();
        hw = Map.copyOf(hw);
    }

    @Override
    public long[] ttbrs() {
        return ttbrs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageTableState s && format.equals(s.format) && config.equals(s.config)
                && Arrays.equals(ttbrs, s.ttbrs) && levels == s.levels && hw.equals(s.hw);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, config, levels, hw) * 31 + Arrays.hashCode(ttbrs);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PageTableState[format=").append(format).append(", config=").append(config)
                .append(", ttbrs=[");
        for (int i = 0; i < ttbrs.length; i++) {
            sb.append(i > 0 ? ", " : "").append("0x").append(Long.toHexString(ttbrs[i]));
        }
        return sb.append("], levels=").append(levels).append(", hw=").append(hw).append(']').toString();
    }
}
