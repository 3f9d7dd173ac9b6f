package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MmioWindow;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the fail-nth sweeps of a bundle's live update need in the container: the update itself (the
 * bundle updated to the other of two builds, A and B {@link BundleBuilds#rebuilt} from it, then
 * refreshed, as {@code iommu:liveupdate} does, until the new code drives every IOMMU the bundle
 * drove), the DS services registered, and the registers that matter read through the machine (a
 * DART's TCR and TTBRs of every stream, an SMMU's sCR0, valid SMRs, S2CRs and banks in use; their
 * offsets written out as in the model tests).
 */
final class FailNthUpdates {

    private FailNthUpdates() {
    }

    /**
     * @return an update of {@code artifactId}'s bundle to its other build each time it is called,
     *         returning the live updates it made; the bundle runs build A now
     */
    static Supplier<List<LiveUpdateDTO>> alternating(BundleContext ctx, IommuService iommu, String artifactId, String bsn)
            throws IOException {
        Bundle bundle = Container.installed(ctx, bsn);
        File[] builds = {Container.jar(artifactId), BundleBuilds.rebuilt(artifactId, UpdateLoop.QUALIFIER_B)};
        Set<String> nodes = new TreeSet<>();
        for (IommuNodeDTO n : iommu.iommus()) {
            if ("probed".equals(n.state()) && n.origin() != null && n.origin().contains(bsn + " ")) {
                nodes.add(n.node());
            }
        }
        int[] next = {1};
        return () -> {
            File jar = builds[next[0]];
            next[0] ^= 1;
            long since = UpdateLoop.lastUpdateAt(iommu);
            try {
                String version = bsn + " " + BundleBuilds.version(jar);
                Container.update(ctx, bundle, jar);
                Container.await(() -> "the new code " + version + " to drive " + nodes + ": " + iommu.iommus(),
                        () -> drives(iommu, nodes, version));
            } catch (IOException | org.osgi.framework.BundleException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return UpdateLoop.since(iommu, since);
        };
    }

    private static boolean drives(IommuService iommu, Set<String> nodes, String version) {
        Map<String, IommuNodeDTO> now = new TreeMap<>();
        iommu.iommus().forEach(n -> now.put(n.node(), n));
        for (String path : nodes) {
            IommuNodeDTO n = now.get(path);
            if (n == null || !"probed".equals(n.state()) || n.origin() == null || !n.origin().contains(version)) {
                return false;
            }
        }
        return true;
    }

    /** @return the services registered, by their first interface: what an update must leave as it was */
    static Map<String, Long> services(BundleContext ctx) {
        Map<String, Long> out = new TreeMap<>();
        try {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(null, null);
            for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
                String[] classes = (String[]) r.getProperty(org.osgi.framework.Constants.OBJECTCLASS);
                if (classes[0].startsWith("io.iommulab.")) {
                    out.merge(classes[0], 1L, Long::sum);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Every stream's TCR and TTBRs of the DARTs of the default board when not 0 (T8020 layout: TCR
     * at 0x100 + 4 × sid; TTBRs at 0x200 + 16 × sid + 4 × i, 16 streams; the usb4 DART's at
     * 0x400, 64 streams).
     */
    static Map<String, Long> dartRegisters(Machine m) {
        Map<String, Long> out = new TreeMap<>();
        for (IommuHardware hw : m.iommuHardware()) {
            List<String> c = hw.node().compatible();
            if (hw.model() == null || c.isEmpty()) {
                continue;
            }
            boolean usb4 = c.contains("apple,t8103-usb4-dart");
            if (!usb4 && !c.contains("apple,t8103-dart")) {
                continue;
            }
            MmioWindow w = m.ioremap(hw.node(), 0);
            int streams = usb4 ? 64 : 16;
            int ttbr = usb4 ? 0x400 : 0x200;
            for (int sid = 0; sid < streams; sid++) {
                put(out, hw.node().path() + " TCR[" + sid + "]", w.readl(0x100 + 4 * sid));
                for (int i = 0; i < 4; i++) {
                    put(out, hw.node().path() + " TTBR[" + sid + "][" + i + "]", w.readl(ttbr + 16 * sid + 4 * i));
                }
            }
        }
        return out;
    }

    /**
     * The SMMUs' configuration in use, when not 0: sCR0; every valid SMR and every S2CR (ID0 gives
     * their number); for every context bank with SCTLR.M set, CBAR, CBA2R and the bank's SCTLR,
     * TCR2, TTBR0/1, TCR, MAIR0/1 (4 KiB register pages; banks from NUMPAGE, ID1).
     */
    static Map<String, Long> smmuRegisters(Machine m) {
        Map<String, Long> out = new TreeMap<>();
        for (IommuHardware hw : m.iommuHardware()) {
            if (hw.model() == null || !hw.node().compatible().contains("arm,smmu-v2")) {
                continue;
            }
            MmioWindow w = m.ioremap(hw.node(), 0);
            String p = hw.node().path() + " ";
            int id0 = w.readl(0x20);
            int id1 = w.readl(0x24);
            boolean sms = (id0 & (1 << 27)) != 0;
            int entries = sms ? id0 & 0xff : 1 << ((id0 >>> 9) & 0xf);
            put(out, p + "sCR0", w.readl(0x0));
            for (int i = 0; i < entries; i++) {
                int smr = w.readl(0x800 + 4 * i);
                if (!sms || smr < 0) {
                    put(out, p + "SMR[" + i + "]", smr);
                    put(out, p + "S2CR[" + i + "]", w.readl(0xc00 + 4 * i));
                }
            }
            int numPage = 1 << (((id1 >>> 28) & 7) + 1);
            for (int cb = 0; cb < (id1 & 0xff); cb++) {
                long bank = (long) (numPage + cb) << 12;
                if ((w.readl(bank) & 1) == 0) {
                    continue;
                }
                put(out, p + "CBAR[" + cb + "]", w.readl(0x1000 + 4 * cb));
                put(out, p + "CBA2R[" + cb + "]", w.readl(0x1800 + 4 * cb));
                for (int off : new int[] {0x0, 0x10, 0x20, 0x24, 0x28, 0x2c, 0x30, 0x38, 0x3c}) {
                    put(out, p + "CB" + cb + "+0x" + Integer.toHexString(off), w.readl(bank + off));
                }
            }
        }
        return out;
    }

    private static void put(Map<String, Long> out, String name, int value) {
        if (value != 0) {
            out.put(name, value & 0xffff_ffffL);
        }
    }
}
