package io.iommulab.machine.shell;

import io.iommulab.api.dto.IommuPageDTO;
import io.iommulab.api.dto.PageOwnerDTO;
import io.iommulab.api.dto.RamDTO;
import io.iommulab.api.dto.RamRegionDTO;
import io.iommulab.api.machine.PageAllocator;
import io.iommulab.api.machine.RamRegion;
import io.iommulab.machine.memory.PageAllocatorImpl;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code machine:ram} shows: the board's RAM regions, the part of each the page allocator
 * manages and what is in use there, the pages by owner, and (from the IOMMU core, when one runs on
 * the machine) which blocks are whose page tables. An owner string alone cannot say which domain a
 * table belongs to (apple-dart names a domain, arm-smmu a context bank, the test IOMMU only itself);
 * the core records it when it runs the domain's driver code.
 */
final class RamView {

    private RamView() {
    }

    /**
     * @param ram        the board's RAM regions
     * @param pages      its page allocator
     * @param iommuPages the IOMMU drivers' blocks as the core reports them (empty without a core)
     */
    static RamDTO of(List<RamRegion> ram, PageAllocatorImpl pages, List<IommuPageDTO> iommuPages) {
        List<PageAllocatorImpl.Allocation> blocks = pages.allocations();
        List<RamRegionDTO> regions = new ArrayList<>();
        for (RamRegion r : ram) {
            RamRegion managed = null;
            for (RamRegion m : pages.regions()) {
                if (m.base() >= r.base() && m.end() <= r.end()) {
                    managed = m;
                }
            }
            long inUse = 0;
            for (PageAllocatorImpl.Allocation a : blocks) {
                if (a.pa() >= r.base() && a.pa() < r.end()) {
                    inUse += a.size() / PageAllocator.PAGE_SIZE;
                }
            }
            regions.add(new RamRegionDTO(r.base(), r.size(), managed != null ? managed.base() : r.base(),
                    managed != null ? managed.size() : 0, inUse));
        }
        Map<String, Set<Integer>> domains = new TreeMap<>();
        Map<String, Set<String>> devices = new TreeMap<>();
        for (IommuPageDTO p : iommuPages) {
            if (p.domain() != null) {
                domains.computeIfAbsent(p.owner(), o -> new java.util.TreeSet<>()).add(p.domain());
                devices.computeIfAbsent(p.owner(), o -> new LinkedHashSet<>()).addAll(p.devices());
            }
        }
        List<PageOwnerDTO> owners = new ArrayList<>();
        for (Map.Entry<String, Long> e : new TreeMap<>(pages.pagesByOwner()).entrySet()) {
            owners.add(new PageOwnerDTO(e.getKey(), e.getValue(), List.copyOf(domains.getOrDefault(e.getKey(), Set.of())),
                    List.copyOf(devices.getOrDefault(e.getKey(), Set.of()))));
        }
        return new RamDTO(PageAllocator.PAGE_SIZE, pages.totalPages(), pages.pagesInUse(), regions, owners,
                List.copyOf(iommuPages));
    }
}
