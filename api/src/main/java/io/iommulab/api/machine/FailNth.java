package io.iommulab.api.machine;

import io.iommulab.api.dto.FailNthDTO;
import java.util.Collection;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * fail-nth, as Linux's {@code /proc/<pid>/task/<tid>/fail-nth} with {@code lib/fault-inject.c}: one
 * countdown for the whole machine. Armed with N, every hit of an enabled injection point counts, and
 * the N-th fails (that point's error path runs); then it is spent, and no later hit fails until it is
 * armed again. The failing hit is recorded: its point, where it was asked (the device, owner or
 * node) and the code that asked. A test sweeps every error path of an operation by arming 1, 2, ...
 * until the operation completes without reaching N (as {@code iommufd_fail_nth} does).
 *
 * <p>The points are real ones, asked where the operation can fail in Linux; each fails the way it
 * does there. Hardware points are asked by the models through their {@code ModelContext}, so the
 * drivers still only see registers; software points by the machine's services, the core, and the
 * drivers through {@code PlatformDevice.shouldFail}. Unlike Linux the countdown is not per task:
 * every thread of the machine counts (the machine is the unit a test owns).
 *
 * <p>Cost: nothing armed, a hit is one volatile read.
 */
@ProviderType
public interface FailNth {

    /** alloc_pages (fail_page_alloc): the page allocator refuses with ENOMEM. */
    String PAGE_ALLOC = "page-alloc";
    /** request_irq: its irqaction allocation fails, ENOMEM. */
    String REQUEST_IRQ = "request-irq";
    /**
     * An MMIO command of a DART or the test IOMMU never completes: its BUSY bit stays set (until the
     * next command is written) and the command does nothing; the driver's poll times out (ETIMEDOUT).
     */
    String BUSY_STUCK = "busy-stuck";
    /**
     * An SMMU TLB sync never completes: sTLBGSTATUS.GSACTIVE / TLBSTATUS.SACTIVE stays set (until the
     * next sync is issued); arm-smmu logs "TLB sync timed out" and goes on, as upstream.
     */
    String SYNC_STUCK = "sync-stuck";
    /** The core's part of a domain allocation (iommu_domain_alloc, its DMA cookie): ENOMEM. */
    String DOMAIN_ALLOC = "domain-alloc";
    /**
     * A driver's allocation of its own state (failslab: the master configuration of of_xlate, a
     * domain, an instance): ENOMEM.
     */
    String KZALLOC = "kzalloc";
    /** arm-smmu's context bank allocation (__arm_smmu_alloc_bitmap): ENOSPC, as when every bank is taken. */
    String CB_ALLOC = "cb-alloc";

    /** every point, in the order the shell lists them */
    List<String> POINTS = List.of(PAGE_ALLOC, REQUEST_IRQ, BUSY_STUCK, SYNC_STUCK, DOMAIN_ALLOC, KZALLOC, CB_ALLOC);

    /**
     * should_fail() of one point: counts this hit when the countdown is armed and the point enabled.
     *
     * @param point one of {@link #POINTS}; any other name is never counted and never fails
     * @param where what is asking, for the record: the device path, the page owner, the node
     * @return true for the N-th hit: the caller fails this operation
     */
    boolean shouldFail(String point, String where);

    /**
     * Arms the countdown: the {@code nth} hit from now fails. Replaces what was armed and forgets
     * the last failure.
     *
     * @param nth    1 for the next hit
     * @param points the points that count; empty for all of {@link #POINTS}
     * @return the state now
     * @throws io.iommulab.api.error.IommuException EINVAL for {@code nth} below 1 or a point not in
     *         {@link #POINTS} (naming it and the points there are)
     */
    FailNthDTO arm(long nth, Collection<String> points);

    /**
     * Disarms the countdown.
     *
     * @return the state now: how many hits were counted since it was armed, and the failure if the N-th came
     */
    FailNthDTO disarm();

    /** @return the state now: armed or not, hits counted since armed, the failure if the N-th came */
    FailNthDTO state();
}
