package io.iommulab.campaign.op;

import io.iommulab.api.DomainType;
import io.iommulab.api.dma.DmaDirection;
import java.util.List;

/**
 * One operation of a campaign. Operations name what they work on the way a replay file can: a
 * domain by its campaign slot, a master by its DT path, a DMA-API mapping by its handle number on
 * that master, physical memory by its offset into the campaign's buffer window. What they need is
 * looked up when they run (the domain in the slot, the mapping behind a handle), so that a list
 * with operations taken out still runs: an operation whose slot, handle or master is not there is
 * skipped. {@link OpCodec} reads and writes them, one line each.
 */
public sealed interface Op {

    /** iommu_domain_alloc of {@code type} for {@code dev}'s IOMMU, into an empty {@code slot}. */
    record Alloc(int slot, String dev, DomainType type) implements Op {
    }

    /** iommu_domain_free of the domain in {@code slot}. */
    record Free(int slot) implements Op {
    }

    /** iommu_attach_group of the domain in {@code slot} to {@code dev}'s group. */
    record Attach(int slot, String dev) implements Op {
    }

    /** iommu_detach_group of the domain in {@code slot} from {@code dev}'s group. */
    record Detach(int slot, String dev) implements Op {
    }

    /** iommu_map into the domain in {@code slot}: {@code size} bytes at {@code iova} to window offset {@code pa}. */
    record Map(int slot, long iova, long size, long pa, int prot) implements Op {
    }

    /** iommu_unmap of the domain in {@code slot}. */
    record Unmap(int slot, long iova, long size) implements Op {
    }

    /** dma_map_page of {@code len} bytes at window offset {@code pa} for {@code dev}, kept as handle {@code handle}. */
    record DmaMap(String dev, int handle, long pa, long len, DmaDirection dir) implements Op {
    }

    /** dma_map_sg of buffers at window offsets for {@code dev}, kept as handle {@code handle}. */
    record SgMap(String dev, int handle, List<Buffer> buffers, DmaDirection dir) implements Op {
        public SgMap {
            buffers = List.copyOf(buffers);
        }
    }

    /** One scatter-gather buffer: {@code len} bytes at window offset {@code pa}. */
    record Buffer(long pa, long len) {
    }

    /** dma_unmap_page or dma_unmap_sg of handle {@code handle} of {@code dev}. */
    record DmaUnmap(String dev, int handle) implements Op {
    }

    /** Drains the flush queue of {@code dev}'s DMA domain (a no-op on strict domains). */
    record Flush(String dev) implements Op {
    }

    /** A DMA transaction of {@code dev} on its stream {@code stream}: {@code len} bytes at {@code at}. */
    record Dma(String dev, int stream, boolean write, Target at, int len) implements Op {
    }

    /**
     * Where a DMA goes: an IOVA given as is, or one looked up when the transaction runs, so that the
     * transaction hits something mapped: inside handle {@code index} of the master, or inside run
     * {@code index} (counted modulo the runs there are) of what the master's domain maps now.
     */
    record Target(Kind kind, long index, long offset) {
        /** How the IOVA is found. */
        public enum Kind {
            /** {@code offset} is the IOVA */
            IOVA,
            /** {@code offset} bytes into the master's DMA-API handle {@code index} */
            HANDLE,
            /** {@code offset} bytes (modulo its length) into run {@code index} of the master's domain */
            RUN
        }

        public static Target iova(long iova) {
            return new Target(Kind.IOVA, 0, iova);
        }
    }

    /** Checks every mapping of every domain three ways (after a live update, and now and then). */
    record Check() implements Op {
    }

    /** Updates {@code bundle} under the running labs (iommu:liveupdate) and checks the takeover. */
    record LiveUpdate(String bundle) implements Op {
    }

    /** iommu:inject on {@code iommu}: its driver's {@code point} fails the next {@code count} times. */
    record Inject(String iommu, String point, long count) implements Op {
    }
}
