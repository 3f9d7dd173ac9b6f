package io.iommulab.klib;

import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;

/**
 * The page-table half of a driver's paging domain, which every driver writes the same way (as
 * Linux now shares it through generic_pt's {@code IOMMU_PT_DOMAIN_OPS}): map_pages, unmap_pages
 * and iova_to_phys go straight to the domain's io-pgtable. Before the table is installed (the
 * domain was never attached) a map is ENODEV and an unmap or a lookup finds nothing; once the
 * domain is freed a map is ENODEV too.
 *
 * <p>Fields: {@code domain} the driver's domain, named in messages; {@code ops} the table (null
 * until {@link #install}; replaced only by {@link #reattach} or {@link #switchTo}, with the domain
 * quiesced); {@code format}/{@code context} the format object the table runs on and where it
 * allocates (a new version of the format re-opens the table in the same context; null when
 * installed without them); {@code reopened} what the last {@link #reopen} gave, for
 * {@link #switchTo}; {@code freed} set once by {@link #markFreed}. No lock on the map path: the
 * fields it reads are volatile.
 */
public final class PgtableDomain {

    private final Object domain;
    private volatile PageTableOps ops;
    private volatile PageTableFormat format;
    private volatile PageTableContext context;
    private Reopened reopened;
    private volatile boolean freed;

    /** A table re-opened by {@link #reopen}, not yet switched to: the new ops, by which format, in which context. */
    private record Reopened(PageTableOps ops, PageTableFormat format, PageTableContext context) {
    }

    /** @param domain the driver's domain, whose {@code toString} names it in messages */
    public PgtableDomain(Object domain) {
        this.domain = domain;
    }

    /** Publishes the finalised table; the caller holds its init lock, and installs once. */
    public synchronized void install(PageTableOps table) {
        this.ops = table;
    }

    /**
     * Publishes the finalised (or re-opened) table, made by {@code format} in {@code context}: a
     * new version of the format re-opens it there ({@link #reattach(PageTableFormat)},
     * {@link PgtableFormats}). The caller holds its init lock, and installs once.
     */
    public synchronized void install(PageTableOps table, PageTableFormat format, PageTableContext context) {
        this.ops = table;
        this.format = format;
        this.context = context;
    }

    /** @return the table, null before {@link #install} */
    public PageTableOps ops() {
        return ops;
    }

    /** @return the format object the table runs on, null before {@link #install} (or when installed without it) */
    public PageTableFormat format() {
        return format;
    }

    /**
     * Marks the domain freed, once.
     *
     * @return true for the first call only: that caller tears the domain down and frees the table
     */
    public synchronized boolean markFreed() {
        if (freed) {
            return false;
        }
        freed = true;
        return true;
    }

    /**
     * Live update of the page-table code (the format's bundle was replaced): the same table, its
     * state (format name, configuration, roots, levels), re-opened by {@code format}, the new
     * version of the format; map, unmap and lookups run on the new code from here on. The
     * previous ops are dropped, never freed: their tables are the new ops' tables, and the
     * hardware keeps walking them. The caller holds the domain quiesced
     * ({@link io.iommulab.api.driver.PlatformDevice#quiesceDomains}), so no map or unmap is
     * running on the previous ops meanwhile. {@link #reopen} then {@link #switchTo} does the same
     * in two steps, so that only the switch needs the domain quiesced.
     *
     * @param context where the new ops allocate further tables (the context the table was made with)
     * @return the new ops; null when there is nothing to re-open (no table yet, or the domain was freed)
     * @throws IommuException EINVAL when {@code format} has another name than the table's format, or
     *         refuses the state (nothing changes)
     */
    public synchronized PageTableOps reattach(PageTableFormat format, PageTableContext context) {
        PageTableOps neu = reopen(format, context);
        return neu != null && switchTo(neu) ? neu : null;
    }

    /**
     * The first step of {@link #reattach}, while map and unmap still run on the current ops: the
     * table re-opened by {@code format}, not yet used. Re-opening reads only the table's state,
     * which map and unmap never change, so the new version's code runs here for the first time
     * (classes loaded, call sites linked) and not while the domain is quiesced.
     *
     * @return the new ops for {@link #switchTo}; null when there is nothing to re-open (no table
     *         yet, or the domain was freed)
     * @throws IommuException as {@link #reattach} (nothing changes)
     */
    public PageTableOps reopen(PageTableFormat format, PageTableContext context) {
        PageTableOps old = ops;
        if (old == null || freed) {
            return null;
        }
        String name = old.state().format();
        if (!name.equals(format.name())) {
            throw new IommuException(Errno.EINVAL, domain + ": its table is of format '" + name + "'; '" + format.name()
                    + "' cannot re-open it");
        }
        PageTableOps neu = IoPgtable.attach(format, old.state(), context, domain.toString());
        synchronized (this) {
            reopened = new Reopened(neu, format, context);
        }
        return neu;
    }

    /**
     * {@link #reopen(PageTableFormat, PageTableContext)} in the context the table was installed
     * with.
     *
     * @return the new ops for {@link #switchTo}; null when there is nothing to re-open (no table
     *         yet, installed without its context, or the domain was freed)
     */
    public PageTableOps reopen(PageTableFormat format) {
        PageTableContext ctx = context;
        return ctx == null ? null : reopen(format, ctx);
    }

    /**
     * The second step of {@link #reattach}, with the domain quiesced: map, unmap and lookups run
     * on {@code reopened} (what the last {@link #reopen} gave for this domain) from here on, and
     * the table runs on the format that re-opened it; the previous ops are dropped, never freed.
     *
     * @return false, changing nothing, when the domain was freed since
     * @throws IllegalArgumentException when {@code reopened} is not what the last {@link #reopen}
     *         of this domain gave (nothing changes)
     */
    public synchronized boolean switchTo(PageTableOps reopened) {
        Reopened r = this.reopened;
        if (r == null || r.ops() != reopened) {
            throw new IllegalArgumentException(domain + ": switchTo takes the ops the last reopen gave");
        }
        if (freed || ops == null) {
            return false;
        }
        ops = r.ops();
        format = r.format();
        context = r.context();
        this.reopened = null;
        return true;
    }

    /**
     * {@link #reattach(PageTableFormat, PageTableContext)} in the context the table was installed
     * with.
     *
     * @return the new ops; null when there is nothing to re-open (no table yet, installed without
     *         its context, or the domain was freed)
     */
    public synchronized PageTableOps reattach(PageTableFormat format) {
        PageTableOps neu = reopen(format);
        return neu != null && switchTo(neu) ? neu : null;
    }

    /** @throws IommuException ENODEV "{@code <domain> was freed}" */
    public void checkLive() {
        if (freed) {
            throw new IommuException(Errno.ENODEV, domain + " was freed");
        }
    }

    /** @throws IommuException ENODEV when freed or while there is no table; the format's own errors */
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, int prot) {
        checkLive();
        PageTableOps table = ops;
        if (table == null) {
            throw new IommuException(Errno.ENODEV, domain + ": no page table yet (domain never attached)");
        }
        return table.mapPages(iova, paddr, pgsize, pgcount, prot);
    }

    /** @return bytes unmapped; 0 without a table or once freed */
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        PageTableOps table = ops;
        return table == null || freed ? 0 : table.unmapPages(iova, pgsize, pgcount, gather);
    }

    /** @return the physical address, 0 if unmapped, without a table or once freed */
    public long iovaToPhys(long iova) {
        PageTableOps table = ops;
        return table == null || freed ? 0 : table.iovaToPhys(iova);
    }
}
