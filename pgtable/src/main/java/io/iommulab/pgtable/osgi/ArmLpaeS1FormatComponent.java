package io.iommulab.pgtable.osgi;

import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.pgtable.lpae.ArmLpaeS1Format;
import org.osgi.service.component.annotations.Component;

/** The {@code arm-lpae-s1} format as a service, for the SMMU backend. */
@Component(service = PageTableFormat.class, property = PageTableFormat.PROPERTY + "=" + PageTableFormat.ARM_LPAE_S1)
public final class ArmLpaeS1FormatComponent implements PageTableFormat {

    private final ArmLpaeS1Format format = new ArmLpaeS1Format();

    @Override
    public String name() {
        return format.name();
    }

    @Override
    public PageTableOps alloc(PageTableConfig config, PageTableContext context) {
        return format.alloc(config, context);
    }

    @Override
    public PageTableOps attach(PageTableState state, PageTableContext context) {
        return format.attach(state, context);
    }
}
