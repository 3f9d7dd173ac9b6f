package io.iommulab.api.driver;

import java.util.List;
import java.util.Map;

/**
 * Live update: what one IOMMU instance's driver hands to the next version of itself, as plain data
 * (no object of the old bundle survives in it). Linux's IOMMU live-update ABI keeps essentially
 * this across kexec: per domain the table root, levels and address sizes; per device the domain it
 * is attached to. The tables themselves stay where they are, in memory, and the hardware keeps
 * translating through them.
 *
 * @param node    the instance's DT path
 * @param driver  the driver's name
 * @param schema  the driver's name for this record's layout (e.g. {@code "apple-dart"})
 * @param version the layout's version; a driver that does not know it reads the hardware instead
 * @param ias     input address bits the instance runs with
 * @param oas     output address bits
 * @param streams stream ids the instance has
 * @param domains    every domain attached to a stream of this instance
 * @param properties what else the driver keeps of the instance, by the names its schema defines, each a
 *                   list of 64-bit cells (as the properties of a kexec handover FDT node); what Linux
 *                   keeps in software beside the registers (e.g. arm-smmu: the stream-map entries and
 *                   their users). Empty for a driver with nothing more to say.
 */
public record PreservedIommu(String node, String driver, String schema, int version, int ias, int oas, int streams,
        List<PreservedDomain> domains, Map<String, List<Long>> properties) {

    public PreservedIommu {
        domains = List.copyOf(domains);
        properties = PreservedDomain.copy(properties);
    }

    /** A record without driver properties. */
    public PreservedIommu(String node, String driver, String schema, int version, int ias, int oas, int streams,
            List<PreservedDomain> domains) {
        this(node, driver, schema, version, ias, oas, streams, domains, Map.of());
    }

    /** @return the cells of property {@code name}, empty if the record has none */
    public List<Long> property(String name) {
        return properties.getOrDefault(name, List.of());
    }
}
