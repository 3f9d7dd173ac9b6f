package io.iommulab.pgtable.lpae;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.pgtable.table.TablePages;
import java.util.Arrays;

/**
 * {@code arm-lpae-s1}: io_pgtable_arm_64_lpae_s1_init_fns. AArch64 long descriptors (layout in
 * {@link LpaeS1Pte}), 4 KiB / 16 KiB / 64 KiB granules with their block sizes, IAS and OAS up to 48
 * bits, one TTBR (TTBR0). The settled shape and TCR/MAIR values are in {@link LpaeS1Geometry}.
 *
 * <p>Every table, the top one included, is a whole granule from the page allocator, so free and
 * attach can find every page by walking from TTBR0.
 */
public final class ArmLpaeS1Format implements PageTableFormat {

    @Override
    public String name() {
        return PageTableFormat.ARM_LPAE_S1;
    }

    /** arm_64_lpae_alloc_pgtable_s1 */
    @Override
    public ArmLpaeS1PageTable alloc(PageTableConfig config, PageTableContext context) {
        LpaeS1Geometry geometry = LpaeS1Geometry.settle(config);
        TablePages tables = new TablePages(context, geometry.tableOrder());
        long pgd;
        try {
            pgd = tables.allocTable();
        } catch (IommuException e) {
            if (e.errno() != Errno.ENOMEM) {
                throw e;
            }
            throw new IommuException(Errno.ENOMEM, name() + " " + context.owner() + ": no memory for the level-"
                    + geometry.startLevel() + " table", 0, e);
        }
        return new ArmLpaeS1PageTable(geometry, context, tables, pgd, false);
    }

    /** Re-opens a table from its state without reading or writing memory (its tables are counted when asked). */
    @Override
    public PageTableOps attach(PageTableState state, PageTableContext context) {
        if (!name().equals(state.format())) {
            throw new IommuException(Errno.EINVAL, name() + ": cannot attach a table of format " + state.format());
        }
        LpaeS1Geometry geometry = LpaeS1Geometry.settle(state.config());
        if (!geometry.config().equals(state.config())) {
            throw mismatch(state, "configuration", geometry.config());
        }
        long[] ttbrs = state.ttbrs();
        if (ttbrs.length != 1 || ttbrs[0] == 0 || (ttbrs[0] & (geometry.granule() - 1)) != 0) {
            throw mismatch(state, "TTBRs " + Arrays.toString(ttbrs), "one granule-aligned TTBR0");
        }
        if (state.levels() != geometry.levels()) {
            throw mismatch(state, "levels " + state.levels(), geometry.levels());
        }
        if (!state.hw().equals(geometry.hw())) {
            throw mismatch(state, "hw values " + state.hw(), geometry.hw());
        }
        TablePages tables = new TablePages(context, geometry.tableOrder());
        return new ArmLpaeS1PageTable(geometry, context, tables, ttbrs[0], true);
    }

    private IommuException mismatch(PageTableState state, String what, Object expected) {
        return new IommuException(Errno.EINVAL, name() + " " + state + ": " + what + " not what this format settles to ("
                + expected + ")");
    }
}
