package io.iommulab.smmu.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live-update record of one SMMU, schema {@value #SCHEMA} version {@value #VERSION}: what the
 * registers do not say and Linux's arm-smmu keeps in software, beside the common fields (IAS = UBS,
 * OAS = ID2.IAS, stream ids, and per domain its id, type, table and streams).
 *
 * <p>Instance properties, one cell each unless said:
 * <ul>
 * <li>{@value #STREAMID_MASK}, {@value #SMR_MASK_MASK}: smmu->streamid_mask and smr_mask_mask, the
 * SID and mask bits the SMRs keep (probed at boot by writing a free SMR, which a takeover must not
 * do);</li>
 * <li>the stream mapping table, one cell per entry, index = SME (struct arm_smmu_smr and
 * arm_smmu_s2cr): {@value #SMR_ID}, {@value #SMR_MASK}, {@value #SMR_VALID} (absent under stream
 * indexing), {@value #S2CR_TYPE} (0 TRANS, 1 BYPASS, 2 FAULT), {@value #S2CR_CBNDX},
 * {@value #S2CR_PRIVCFG}, {@value #S2CR_COUNT} (masters using the entry).</li>
 * </ul>
 * Domain properties: {@value #CBNDX} and {@value #ASID} (struct arm_smmu_cfg; paging domains that
 * were attached, so own a context bank), {@value #SMENDX} (the entries pointing at the domain, in
 * SME order; its {@code streams} are their SMR ids, or the SIDs under stream indexing).
 *
 * <p>Identity and blocked domains are listed too, with no table and no bank: the S2CRs of their
 * entries say BYPASS or FAULT.
 */
final class SmmuRecord {

    static final String SCHEMA = ArmSmmuDriver.NAME;
    static final int VERSION = 1;
    /** PreservedDomain.formatVersion of an arm-lpae-s1 table (its encoding never changes under that name) */
    static final int FORMAT_VERSION = 1;

    static final String STREAMID_MASK = "streamid-mask";
    static final String SMR_MASK_MASK = "smr-mask-mask";
    static final String SMR_ID = "smr.id";
    static final String SMR_MASK = "smr.mask";
    static final String SMR_VALID = "smr.valid";
    static final String S2CR_TYPE = "s2cr.type";
    static final String S2CR_CBNDX = "s2cr.cbndx";
    static final String S2CR_PRIVCFG = "s2cr.privcfg";
    static final String S2CR_COUNT = "s2cr.count";
    static final String CBNDX = "cbndx";
    static final String ASID = "asid";
    static final String SMENDX = "smendx";

    private SmmuRecord() {
    }

    /**
     * The record of {@code s} from the driver's own state (no register is read or written).
     *
     * @param domains the driver's paging domains (those of other SMMUs are skipped)
     */
    static PreservedIommu preserve(SmmuInstance s, Collection<SmmuDomain> domains) {
        StreamMap map = s.streams;
        Map<String, List<Long>> props = new LinkedHashMap<>();
        props.put(STREAMID_MASK, List.of((long) s.streamIdMask));
        props.put(SMR_MASK_MASK, List.of((long) s.smrMaskMask));
        String[] names = map.hasSmrs()
                ? new String[] {SMR_ID, SMR_MASK, SMR_VALID, S2CR_TYPE, S2CR_CBNDX, S2CR_PRIVCFG, S2CR_COUNT}
                : new String[] {S2CR_TYPE, S2CR_CBNDX, S2CR_PRIVCFG, S2CR_COUNT};
        Map<String, List<Long>> table = new LinkedHashMap<>();
        for (String n : names) {
            table.put(n, new ArrayList<>());
        }
        Map<DomainOps, List<Integer>> entries = new LinkedHashMap<>();
        synchronized (map.lock) {
            for (int i = 0; i < map.size(); i++) {
                StreamMap.S2cr c = map.s2cr(i);
                StreamMap.Smr r = map.smr(i);
                if (r != null) {
                    table.get(SMR_ID).add((long) r.id);
                    table.get(SMR_MASK).add((long) r.mask);
                    table.get(SMR_VALID).add(r.valid ? 1L : 0L);
                }
                table.get(S2CR_TYPE).add((long) c.type);
                table.get(S2CR_CBNDX).add((long) c.cbndx);
                table.get(S2CR_PRIVCFG).add((long) c.privcfg);
                table.get(S2CR_COUNT).add((long) c.count);
                if (c.count > 0 && c.domain != null) {
                    entries.computeIfAbsent(c.domain, k -> new ArrayList<>()).add(i);
                }
            }
        }
        props.putAll(table);
        for (SmmuDomain d : domains) {
            if (d.home() == s) {
                entries.putIfAbsent(d, List.of());
            }
        }
        List<PreservedDomain> out = new ArrayList<>();
        entries.forEach((d, idx) -> {
            PreservedDomain pd = domain(map, d, idx);
            if (pd != null) {
                out.add(pd);
            }
        });
        out.sort(Comparator.comparingInt(PreservedDomain::domain));
        SmmuParams p = s.params;
        return new PreservedIommu(s.node(), ArmSmmuDriver.NAME, SCHEMA, VERSION, p.vaSize(), p.ipaSize(), s.numStreams(), out,
                props);
    }

    /** @return one domain of the record, or null for ops the core never made a domain of */
    private static PreservedDomain domain(StreamMap map, DomainOps ops, List<Integer> idx) {
        int[] streams = new int[idx.size()];
        List<Long> smendx = new ArrayList<>();
        for (int i = 0; i < streams.length; i++) {
            int e = idx.get(i);
            StreamMap.Smr r = map.smr(e);
            streams[i] = r != null ? r.id : e;
            smendx.add((long) e);
        }
        Map<String, List<Long>> props = new LinkedHashMap<>();
        if (ops instanceof SmmuDomain d) {
            if (d.id() < 0 || d.type() == null) {
                return null;
            }
            PageTableState st = d.tableState();
            if (st != null) {
                props.put(CBNDX, List.of((long) d.cbndx()));
                props.put(ASID, List.of((long) d.asid()));
            }
            props.put(SMENDX, smendx);
            return new PreservedDomain(d.id(), d.type(), st, st != null ? FORMAT_VERSION : 0, streams, props);
        }
        StaticDomain d = (StaticDomain) ops;
        if (d.id() < 0) {
            return null;
        }
        props.put(SMENDX, smendx);
        return new PreservedDomain(d.id(), d.type(), null, 0, streams, props);
    }

    /** @return true if this driver reads {@code rec}: schema {@value #SCHEMA}, version {@value #VERSION} */
    static boolean knows(PreservedIommu rec) {
        return rec != null && SCHEMA.equals(rec.schema()) && rec.version() == VERSION;
    }

    /**
     * @return cell {@code idx} of the instance property {@code name}
     * @throws IommuException EINVAL if the record does not have it
     */
    static long cell(PreservedIommu rec, String name, int idx) {
        List<Long> v = rec.property(name);
        if (idx >= v.size()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: the %s record has %d cells of '%s', needs %d",
                    rec.node(), SCHEMA, v.size(), name, idx + 1));
        }
        return v.get(idx);
    }

    /** @return the domain's single cell {@code name}, or -1 if it has none */
    static long cell(PreservedDomain d, String name) {
        List<Long> v = d.property(name);
        return v.size() == 1 ? v.get(0) : -1;
    }
}
