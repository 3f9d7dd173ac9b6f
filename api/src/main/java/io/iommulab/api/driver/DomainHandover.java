package io.iommulab.api.driver;

import io.iommulab.api.DomainType;
import io.iommulab.api.pgtable.PageTableState;
import java.util.List;

/**
 * Live update: one live paging domain the core asks the new driver to take over, with the tables
 * it already has in memory.
 *
 * @param domain  the core's domain id (it keeps it, with its IOVA allocator, DMA-API mappings and
 *                fault handler)
 * @param type    the domain type
 * @param table   the table as the previous driver's records say, or null when no record says it:
 *                the driver reads it from the hardware of the streams below
 * @param streams the streams attached to the domain now, on the new driver's instances
 */
public record DomainHandover(int domain, DomainType type, PageTableState table, List<FwspecEntry> streams) {

    public DomainHandover {
        streams = List.copyOf(streams);
    }
}
