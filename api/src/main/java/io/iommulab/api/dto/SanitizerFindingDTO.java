package io.iommulab.api.dto;

/**
 * One finding of the core's DMA sanitizer: a transaction, or a mapping, that software must not
 * have allowed.
 *
 * @param seq     sequence number (counts every finding, also those the bounded history dropped)
 * @param kind    {@code stale-translation} (an IOTLB entry served after its table entry changed,
 *                with no invalidation since), {@code dma-after-unmap} (a transaction through an IOVA
 *                software released), {@code isolation} (a master reached memory mapped only into
 *                other domains, or anything through a blocked domain), {@code page-table-write} (a
 *                DMA write into a live page-table page), {@code map-of-iommu-memory} (iommu_map of a
 *                page-table page or of an IOMMU's registers)
 * @param iommu   DT path of the IOMMU the transaction went through, or null (a map)
 * @param stream  stream id, or -1
 * @param device  DT path(s) of the master(s) on that stream, space-separated, or null
 * @param access  {@code read}, {@code write}, or null (a map)
 * @param iova    the transaction's (or the map's) IOVA
 * @param cached  what the hardware used, e.g. {@code "0x820004000 rw"}
 * @param current what software's tables say now, e.g. {@code "not mapped (NO PTE FOR IOVA)"}
 * @param due     the invalidation that was due, in the architecture's terms, or null
 * @param timeNs  when, in ns since the core started
 * @param domain  the domain the master's group was attached to, or null
 * @param detail  when and by which operation the table changed, and what else explains it
 */
public record SanitizerFindingDTO(long seq, String kind, String iommu, int stream, String device, String access,
        long iova, String cached, String current, String due, long timeNs, Integer domain, String detail) {

    /**
     * The finding as one line, as the log, the trace, {@code iommu:sanitize} and the comparison
     * print it, e.g. {@code stale-translation: /soc/iommu@100000000 sid 0 (/soc/dev-a@200000000)
     * domain 1 write iova 0x4000: 0x820004000 rw, now not mapped (NO PTE FOR IOVA); ...; due: ...}
     */
    public String line() {
        StringBuilder sb = new StringBuilder(kind).append(':');
        if (iommu != null) {
            sb.append(' ').append(iommu);
            if (stream >= 0) {
                sb.append(" sid ").append(stream);
            }
        }
        if (device != null) {
            sb.append(" (").append(device).append(')');
        }
        if (domain != null) {
            sb.append(" domain ").append(domain);
        }
        sb.append(access != null ? " " + access : " map").append(" iova 0x").append(Long.toHexString(iova));
        sb.append(": ").append(cached).append(", now ").append(current);
        if (detail != null) {
            sb.append("; ").append(detail);
        }
        if (due != null) {
            sb.append("; due: ").append(due);
        }
        return sb.toString();
    }
}
