package io.iommulab.api.pgtable;

import org.osgi.annotation.versioning.ProviderType;

/**
 * io_pgtable_init_fns of one format, registered as a service with property
 * {@value #PROPERTY} = {@link #name()}. A name is never reused for another encoding.
 */
@ProviderType
public interface PageTableFormat {

    /** Service property naming the format. */
    String PROPERTY = "pgtable.format";
    /** Apple DART1 (t8103, t8103-usb4) */
    String APPLE_DART = "apple-dart";
    /** Apple DART2 (t6000, t8110) */
    String APPLE_DART2 = "apple-dart2";
    /** ARM LPAE stage 1, AArch64 descriptors */
    String ARM_LPAE_S1 = "arm-lpae-s1";

    String name();

    /**
     * alloc_io_pgtable_ops: a new, empty table.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL naming what the format does not support
     *         (page sizes, IAS, OAS, non-coherent walk), ENOMEM
     */
    PageTableOps alloc(PageTableConfig config, PageTableContext context);

    /**
     * Re-opens an existing table from its state (e.g. after the format's bundle was updated): no
     * table is allocated or cleared; {@link PageTableOps#free()} later returns every table reachable
     * from the roots.
     *
     * @throws io.iommulab.api.error.IommuException EINVAL if the state is not of this format
     */
    PageTableOps attach(PageTableState state, PageTableContext context);
}
