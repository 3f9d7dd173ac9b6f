package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;

/**
 * A board running in the container with every IOMMU and master probed, and the services the tests
 * use on it: what the ITs on the default board and its SMMU twin start from. The machine is booted
 * once per container (the first test boots it; the others find it running).
 */
record Booted(Machine m, IommuService iommu, DmaApi dma) {

    private static final String SMMU_DRIVER = "arm-smmu";

    /** The built-in default board, its DARTs driven by apple-dart. */
    static Booted dartDefault(BundleContext ctx, MachineFactory machines) throws Exception {
        Machine m = machines.current().orElseGet(machines::bootDefault);
        IommuService iommu = Container.service(ctx, IommuService.class);
        Container.await(() -> "every DART and master to probe; " + DartChecks.describe(iommu),
                () -> DartChecks.allProbed(iommu, m));
        return new Booted(m, iommu, Container.service(ctx, DmaApi.class));
    }

    /** The SMMU twin of the default board: every DART replaced by an SMMU, masters and stream ids unchanged. */
    static Booted smmuTwin(BundleContext ctx, MachineFactory machines) throws Exception {
        Machine m = machines.current().isPresent() ? machines.current().get() : bootSmmuTwin(ctx, machines);
        IommuService iommu = Container.service(ctx, IommuService.class);
        Container.await(() -> "every SMMU and master to probe: " + iommu.iommus() + " " + iommu.devices(),
                () -> smmuAllProbed(iommu, m));
        return new Booted(m, iommu, Container.service(ctx, DmaApi.class));
    }

    private static Machine bootSmmuTwin(BundleContext ctx, MachineFactory machines) throws Exception {
        byte[] board;
        try (InputStream in = Container.installed(ctx, "io.iommulab.machine").getEntry("/boards/default.dts").openStream()) {
            board = in.readAllBytes();
        }
        byte[] twin;
        try (var def = machines.bootDetached("default", board, Map.of())) {
            twin = machines.twin(def.deviceTree(), "arm-smmu-v2");
        }
        return machines.boot("default (arm-smmu-v2 twin)", twin);
    }

    /** Every enabled SMMU probed by arm-smmu (a disabled node stays disabled), and every master behind one. */
    static boolean smmuAllProbed(IommuService iommu, Machine m) {
        List<IommuNodeDTO> all = iommu.iommus();
        return all.stream().anyMatch(n -> "probed".equals(n.state()))
                && all.stream().allMatch(n -> "disabled".equals(n.state()) || "probed".equals(n.state()) && SMMU_DRIVER.equals(n.driver()))
                && m.masters().stream().allMatch(master -> iommu.devices().stream()
                        .anyMatch(d -> d.node().equals(master.name()) && "probed".equals(d.state())));
    }
}
