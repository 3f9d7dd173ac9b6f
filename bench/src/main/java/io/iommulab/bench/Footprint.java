package io.iommulab.bench;

import io.iommulab.api.Prot;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;

/**
 * Figure (d) without the harness: page-table bytes per mapped page after populating an empty table
 * one page per map call, sequentially and in random order, for every format; then the table is
 * freed and the allocator must be back to zero pages.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar io.iommulab.bench.Footprint}
 */
public final class Footprint {

    private Footprint() {
    }

    public static void main(String[] args) {
        System.out.printf("%-12s %-10s %9s %8s %12s %9s%n", "format", "order", "pages", "tables", "table bytes", "B/page");
        for (String f : new String[] {PageTableFormat.APPLE_DART, PageTableFormat.APPLE_DART2, PageTableFormat.ARM_LPAE_S1}) {
            Tables t = new Tables(f);
            row(t, Tables.POPULATE_PAGES, false);
            row(t, Tables.POPULATE_PAGES, true);
            if (t.regionPages() != Tables.POPULATE_PAGES) {
                // The whole 4 GiB region of (a)-(c) as well, for LPAE's 4 KiB granule.
                row(t, (int) t.regionPages(), false);
                row(t, (int) t.regionPages(), true);
            }
        }
    }

    private static void row(Tables t, int pages, boolean random) {
        long[] perm = random ? Tables.permutation(new Tables.SplitMix(), pages) : null;
        PageTableOps ops = t.alloc();
        for (int i = 0; i < pages; i++) {
            long iova = (perm == null ? i : perm[i]) << t.pageShift;
            ops.mapPages(iova, iova, t.granule, 1, Prot.READ);
        }
        long last = (long) (pages - 1) << t.pageShift;
        if (ops.iovaToPhys(last + 8) != last + 8) {
            throw new IllegalStateException(t.format + ": the last page does not translate");
        }
        System.out.printf("%-12s %-10s %9d %8d %12d %9.2f%n", t.format, random ? "random" : "sequential", pages,
                ops.tablePages(), ops.tableBytes(), (double) ops.tableBytes() / pages);
        ops.free();
        if (t.pages.pagesInUse() != 0) {
            throw new IllegalStateException(t.format + ": " + t.pages.pagesInUse() + " pages in use after free");
        }
    }
}
