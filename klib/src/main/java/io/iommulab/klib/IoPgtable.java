package io.iommulab.klib;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.util.function.Function;

/**
 * The io-pgtable registry as a driver uses it ({@code drivers/iommu/io-pgtable.c}): find a format
 * among the bound {@link PageTableFormat} services by name, and {@code alloc_io_pgtable_ops}.
 */
public final class IoPgtable {

    private IoPgtable() {
    }

    /** @return the format called {@code name} among {@code formats} (a driver's bound services), or null */
    public static PageTableFormat find(Iterable<PageTableFormat> formats, String name) {
        for (PageTableFormat f : formats) {
            if (name.equals(f.name())) {
                return f;
            }
        }
        return null;
    }

    /**
     * @param who the driver, for the message ({@code apple-dart t8103})
     * @return the format {@code lookup} finds for {@code name}
     * @throws IommuException ENODEV "{@code <who>: page-table format '<name>' is not available}"
     */
    public static PageTableFormat require(Function<String, PageTableFormat> lookup, String name, String who) {
        PageTableFormat f = lookup.apply(name);
        if (f == null) {
            throw new IommuException(Errno.ENODEV, who + ": page-table format '" + name + "' is not available");
        }
        return f;
    }

    /**
     * alloc_io_pgtable_ops: a new, empty table. Upstream returns NULL whatever went wrong and the
     * drivers turn that into -ENOMEM; here the format's reason is kept in the message.
     *
     * @param who the hardware, for the message ({@code /soc/iommu@382f00000})
     * @throws IommuException ENOMEM "{@code <who>: cannot allocate a page table of format '<name>' (<config>): <reason>}"
     */
    public static PageTableOps alloc(PageTableFormat format, PageTableConfig config, PageTableContext context, String who) {
        try {
            return format.alloc(config, context);
        } catch (IommuException e) {
            throw new IommuException(Errno.ENOMEM, who + ": cannot allocate a page table of format '" + format.name() + "' ("
                    + config + "): " + e.getMessage(), e);
        }
    }

    /**
     * Re-opens a table that lives on (a live update: the hardware walks it, the previous code
     * filled it) with {@code format}: nothing allocated, nothing cleared.
     *
     * @param who the hardware or domain, for the message
     * @throws IommuException EINVAL "{@code <who>: cannot re-open a page table of format '<name>' (<state>): <reason>}",
     *         with the format's refusal as the cause
     */
    public static PageTableOps attach(PageTableFormat format, PageTableState state, PageTableContext context, String who) {
        try {
            return format.attach(state, context);
        } catch (IommuException e) {
            throw new IommuException(Errno.EINVAL, who + ": cannot re-open a page table of format '" + format.name() + "' ("
                    + state + "): " + e.getMessage(), e);
        }
    }
}
