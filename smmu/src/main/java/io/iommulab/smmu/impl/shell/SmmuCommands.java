package io.iommulab.smmu.impl.shell;

import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.Bits;
import io.iommulab.lib.dt.NodeNames;
import io.iommulab.smmu.impl.ArmSmmuDriver;
import io.iommulab.smmu.impl.SmmuInstance;
import io.iommulab.smmu.impl.SmmuParams;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The {@code smmu:} shell scope: read-only views of the probed SMMUs through their registers.
 * Nothing here writes a register. An {@code <smmu>} argument is a DT path, a unique node name
 * ({@code iommu@500000000}), a unique path suffix or a DT label.
 *
 * <p>Fields: {@code drivers} the IOMMU driver services (the arm-smmu one is used).
 */
@Component(service = SmmuCommands.class, property = {
    "osgi.command.scope=smmu",
    "osgi.command.function=smmus", "osgi.command.function=streams", "osgi.command.function=banks"})
public final class SmmuCommands {

    @Reference(service = IommuDriver.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<IommuDriver> drivers = List.of();

    /** For SCR. */
    public SmmuCommands() {
    }

    /** For tests: commands over drivers made without OSGi. */
    public static SmmuCommands over(List<? extends IommuDriver> drivers) {
        SmmuCommands c = new SmmuCommands();
        c.drivers = List.copyOf(drivers);
        return c;
    }

    @Descriptor("probed SMMUs: context banks (in use), stream mapping, ID widths, page sizes, address sizes, sCR0, the driver"
            + " bundle (version) driving each")
    public List<SmmuDTO> smmus() {
        List<SmmuDTO> out = new ArrayList<>();
        for (SmmuInstance s : probed()) {
            SmmuParams p = s.params();
            ArmSmmuDriver d = driverOf(s);
            out.add(new SmmuDTO(s.node(), p.numContextBanks(), s.contextBanksInUse().cardinality(), p.streamMatching(),
                    p.numMappingGroups(), s.streamIdMask(), s.smrMaskMask(), p.pgsizeBitmap(), p.vaSize(), p.ipaSize(),
                    s.hardware().gr0Read(SmmuRegs.GR0_SCR0), d.disableBypass(), bundleOf(d)));
        }
        return out;
    }

    /** @return "symbolic-name version" of the bundle the driver's class comes from, null outside OSGi */
    static String bundleOf(Object driver) {
        Bundle b = FrameworkUtil.getBundle(driver.getClass());
        return b == null ? null : b.getSymbolicName() + " " + b.getVersion();
    }

    @Descriptor("the stream mapping table of an SMMU: every SMR and S2CR, decoded (reads only)")
    public List<StreamEntryDTO> streams(@Descriptor("SMMU: DT path, unique node name or suffix, or label") String smmu) {
        SmmuInstance s = resolve(smmu);
        SmmuHardware hw = s.hardware();
        boolean smrs = s.params().streamMatching();
        List<StreamEntryDTO> out = new ArrayList<>();
        for (int i = 0; i < s.params().numMappingGroups(); i++) {
            int s2cr = hw.gr0Read(SmmuRegs.s2cr(i));
            Integer smr = smrs ? hw.gr0Read(SmmuRegs.smr(i)) : null;
            boolean valid = smr == null || (smr & SmmuRegs.SMR_VALID) != 0;
            int id = smr == null ? i : Bits.get(SmmuRegs.SMR_ID, smr);
            int mask = smr == null ? 0 : Bits.get(SmmuRegs.SMR_MASK & ~SmmuRegs.SMR_VALID, smr);
            out.add(new StreamEntryDTO(i, smr, valid, id, mask, s2cr, typeName(Bits.get(SmmuRegs.S2CR_TYPE, s2cr)),
                    Bits.get(SmmuRegs.S2CR_CBNDX, s2cr)));
        }
        return out;
    }

    @Descriptor("the context banks of an SMMU: in use, ASID, TTBR0, SCTLR, TCR, FSR (reads only)")
    public List<BankDTO> banks(@Descriptor("SMMU: DT path, unique node name or suffix, or label") String smmu) {
        SmmuInstance s = resolve(smmu);
        SmmuHardware hw = s.hardware();
        BitSet used = s.contextBanksInUse();
        List<BankDTO> out = new ArrayList<>();
        for (int cb = 0; cb < s.params().numContextBanks(); cb++) {
            long ttbr0 = hw.cbReadq(cb, SmmuRegs.CB_TTBR0);
            out.add(new BankDTO(cb, used.get(cb), (int) (ttbr0 >>> SmmuRegs.TTBR_ASID_SHIFT), ttbr0,
                    hw.cbRead(cb, SmmuRegs.CB_SCTLR), hw.cbRead(cb, SmmuRegs.CB_TCR), hw.cbRead(cb, SmmuRegs.CB_FSR)));
        }
        return out;
    }

    static String typeName(int type) {
        switch (type) {
            case SmmuRegs.S2CR_TYPE_TRANS: return "TRANS";
            case SmmuRegs.S2CR_TYPE_BYPASS: return "BYPASS";
            case SmmuRegs.S2CR_TYPE_FAULT: return "FAULT";
            default: return "RESERVED";
        }
    }

    private List<SmmuInstance> probed() {
        List<SmmuInstance> out = new ArrayList<>();
        for (IommuDriver d : drivers) {
            if (d instanceof ArmSmmuDriver a) {
                out.addAll(a.instances());
            }
        }
        return out;
    }

    private ArmSmmuDriver driverOf(SmmuInstance s) {
        for (IommuDriver d : drivers) {
            if (d instanceof ArmSmmuDriver a && a.instances().contains(s)) {
                return a;
            }
        }
        throw new IommuException(Errno.ENODEV, s.node() + " is no longer probed");
    }

    /** @return the probed SMMU {@code name} names; EINVAL listing the SMMUs when several match */
    SmmuInstance resolve(String name) {
        List<SmmuInstance> all = probed();
        Map<String, SmmuInstance> byPath = new LinkedHashMap<>();
        List<DtNode> nodes = new ArrayList<>();
        for (SmmuInstance s : all) {
            byPath.put(s.node(), s);
            nodes.add(s.platformDevice().node());
        }
        return NodeNames.resolve("SMMU", name, nodes).map(n -> byPath.get(n.path())).orElseThrow(() -> {
            List<String> names = new ArrayList<>();
            all.forEach(s -> names.add(s.node()));
            return new IommuException(Errno.ENODEV, "no probed SMMU named '" + (name == null ? "" : name) + "' (SMMUs: "
                    + String.join(", ", names) + ")");
        });
    }
}
