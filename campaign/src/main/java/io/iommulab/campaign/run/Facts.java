package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.error.Errno;
import java.util.List;
import java.util.Map;

/**
 * What a campaign knows of one lab before its first operation: the masters, their groups and
 * streams, the buffer window, and what the backend's driver does where drivers differ (measured by
 * {@link Calibration} on the lab itself, then required to hold for the whole run). Plain data, the
 * same for every fresh lab of the same board and backend, so the generator can depend on it.
 *
 * @param masters      the probed DMA masters with a group, in DT order
 * @param groups       the groups by id
 * @param windowBase   the buffer window: physical memory the campaign maps and moves data in (the
 *                     lower half of the first RAM region, which software's page allocator never hands out)
 * @param windowSize   its length
 * @param paging       per master: the page sizes and aperture of a paging domain allocated for it
 *                     (absent if its driver allocates none)
 * @param alloc        per master and domain type: the errno of iommu_domain_alloc, absent when it succeeds
 * @param sameDriver   per signature, the groups whose masters the same driver serves (a domain of
 *                     another driver is refused with EINVAL before anything else is looked at)
 * @param attach       per domain kind ({@code paging}, {@code identity}, {@code blocked}), per
 *                     signature of the master a fresh domain was allocated for, per group: the
 *                     errno of attaching it, absent when it succeeds
 * @param rebindErrno  the errno of attaching a paging domain bound to one IOMMU (by its first
 *                     attach) to a group of another; null when no driver binds so (a DART domain is
 *                     bound when it is allocated, and {@link #attach} says where it goes)
 * @param capacity     per signature: how many more paging domains can be attached (arm-smmu: free
 *                     context banks); absent when no limit was reached
 * @param capacityErrno the errno past the capacity (ENOSPC), null if none was reached
 * @param mapBeforeAttach the errno of iommu_map into a paging domain never attached (arm-smmu
 *                     makes the table at the first attach), null when it maps (the DART's table
 *                     exists from the allocation)
 * @param perms        per signature: the rights a device gets from a mapping with
 *                     {@code IOMMU_READ}, {@code IOMMU_WRITE}, both (indices 1, 2, 3): a format
 *                     may grant more than asked (LPAE has no write-only pages), never less
 * @param flushQueues  true when the backend's default DMA domains are DMA-FQ (a lazy core and a
 *                     driver that claims deferred flush)
 * @param variants     per IOMMU node the masters use: its first compatible (for the report)
 * @param bundles      the bundles whose code the backend runs (its drivers, the page-table formats
 *                     they use), for live updates; empty outside the container
 */
public record Facts(List<Master> masters, Map<Integer, Group> groups, long windowBase, long windowSize,
        Map<String, Paging> paging, Map<String, Map<DomainType, Errno>> alloc,
        Map<String, java.util.Set<Integer>> sameDriver, Map<String, Map<String, Map<Integer, Errno>>> attach,
        Errno rebindErrno, Map<String, Integer> capacity,
        Errno capacityErrno, Errno mapBeforeAttach, Map<String, int[]> perms, boolean flushQueues,
        Map<String, String> variants, List<String> bundles) {

    /** The kind of domain an attach is measured for. */
    public static final String PAGING = "paging";
    public static final String IDENTITY = "identity";
    public static final String BLOCKED = "blocked";

    /** One stream of a master: the IOMMU node and the stream id its model sees. */
    public record Stream(String iommu, int sid) {
    }

    /**
     * A probed master.
     *
     * @param signature the IOMMU nodes of its streams in order, each once: masters of one signature
     *                  reach the same IOMMUs, which is what decides where a domain can be attached
     */
    public record Master(String path, int group, List<Stream> streams, String signature) {
    }

    /** A group: its masters and the default domain's type. */
    public record Group(int id, List<String> devices, String signature, DomainType defaultType) {
    }

    /** Page sizes and aperture of a paging domain. */
    public record Paging(long bitmap, long apertureStart, long apertureEnd) {
        public long minPage() {
            return Long.lowestOneBit(bitmap);
        }
    }

    /** @return the master at {@code path}, or null */
    public Master master(String path) {
        for (Master m : masters) {
            if (m.path().equals(path)) {
                return m;
            }
        }
        return null;
    }

    /** @return the kind an attach of {@code type} is measured as */
    public static String kind(DomainType type) {
        return type.isPaging() ? PAGING : type == DomainType.IDENTITY ? IDENTITY : BLOCKED;
    }

    /** @return true if the driver of a {@code signature} master also serves {@code group} */
    public boolean sameDriver(String signature, int group) {
        java.util.Set<Integer> g = sameDriver.get(signature);
        return g != null && g.contains(group);
    }

    /** @return the measured errno of attaching a fresh {@code kind} domain of a {@code signature} master to {@code group}; null: it attaches */
    public Errno attachErrno(String kind, String signature, int group) {
        Map<String, Map<Integer, Errno>> bySig = attach.get(kind);
        Map<Integer, Errno> byGroup = bySig == null ? null : bySig.get(signature);
        return byGroup == null ? Errno.EINVAL : byGroup.get(group);
    }

    /** @return the rights a device gets from a mapping with {@code prot} on an IOMMU of {@code signature} */
    public int perms(String signature, int prot) {
        int[] p = perms.get(signature);
        int rw = prot & 3;
        return p == null ? rw : p[rw];
    }
}
