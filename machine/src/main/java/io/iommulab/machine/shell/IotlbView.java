package io.iommulab.machine.shell;

import io.iommulab.api.Prot;
import io.iommulab.api.dto.IotlbDTO;
import io.iommulab.api.dto.IotlbEntryDTO;
import io.iommulab.api.hw.IotlbEntry;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.StreamRef;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code machine:iotlb} shows: an IOMMU model's live IOTLB entries read through the machine's
 * debug port ({@link Machine#iotlbEntries}), each with the masters on its stream.
 */
final class IotlbView {

    private IotlbView() {
    }

    /** @return the IOTLB of {@code hw}, which has a model */
    static IotlbDTO of(Machine m, IommuHardware hw) {
        String iommu = hw.node().path();
        List<IotlbEntryDTO> out = new ArrayList<>();
        for (IotlbEntry e : m.iotlbEntries(iommu)) {
            out.add(new IotlbEntryDTO(e.sid() < 0 ? null : e.sid(), e.context() < 0 ? null : e.context(),
                    e.asid() < 0 ? null : e.asid(), e.iova(), e.paddr(), e.size(), prot(e.prot()),
                    e.sid() < 0 ? List.of() : masters(m, iommu, e.sid())));
        }
        return new IotlbDTO(iommu, hw.model(), out);
    }

    /** @return r, w, rw or none, then ",noexec" if set */
    static String prot(int prot) {
        String rw = ((prot & Prot.READ) != 0 ? "r" : "") + ((prot & Prot.WRITE) != 0 ? "w" : "");
        return (rw.isEmpty() ? "none" : rw) + ((prot & Prot.NOEXEC) != 0 ? ",noexec" : "");
    }

    private static List<String> masters(Machine m, String iommu, int sid) {
        List<String> out = new ArrayList<>();
        for (DmaMaster dm : m.masters()) {
            for (StreamRef s : dm.streams()) {
                if (s.sid() == sid && iommu.equals(s.iommu())) {
                    out.add(dm.name());
                    break;
                }
            }
        }
        return out;
    }
}
