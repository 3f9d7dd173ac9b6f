package io.iommulab.pgtable.osgi;

import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.pgtable.dart.DartFormat;
import org.osgi.service.component.annotations.Component;

/**
 * The {@value PageTableFormat#APPLE_DART2} page-table format as a service. Stateless: the tables live in
 * the {@link PageTableOps} it hands out and in physical memory, so a table survives this bundle
 * being updated and is re-opened with {@link #attach}.
 */
@Component(service = PageTableFormat.class, property = PageTableFormat.PROPERTY + "=" + PageTableFormat.APPLE_DART2)
public final class AppleDart2FormatComponent implements PageTableFormat {

    @Override
    public String name() {
        return DartFormat.DART2.name();
    }

    @Override
    public PageTableOps alloc(PageTableConfig config, PageTableContext context) {
        return DartFormat.DART2.alloc(config, context);
    }

    @Override
    public PageTableOps attach(PageTableState state, PageTableContext context) {
        return DartFormat.DART2.attach(state, context);
    }
}
