package io.iommulab.smmu.impl;

import static io.iommulab.smmu.impl.SmmuParams.*;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.klib.Bits;
import io.iommulab.smmu.impl.hw.SmmuHardware;
import io.iommulab.smmu.impl.hw.SmmuRegs;
import org.slf4j.Logger;

/**
 * arm_smmu_device_cfg_probe (dart-facts §4.2, §4.3): read ID0, ID1, ID2 and log what the hardware
 * offers with Linux's lines. Reads only; the result is the immutable {@link SmmuParams}.
 */
final class ConfigProbe {

    private static final long SZ_4K = 1L << 12;
    private static final long SZ_64K = 1L << 16;
    private static final long SZ_1M = 1L << 20;
    private static final long SZ_16M = 1L << 24;
    private static final long SZ_16K = 1L << 14;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_32M = 1L << 25;
    private static final long SZ_512M = 1L << 29;
    private static final long SZ_1G = 1L << 30;

    private ConfigProbe() {
    }

    /**
     * @param prefix  "arm-smmu &lt;node&gt;" for log lines and messages
     * @param regSize size of the mapped {@code reg[0]}
     * @throws IommuException ENODEV (no translation, SMS without SMRs, more S2 banks than banks),
     *         EINVAL (the mapped region is smaller than the register space ID1 describes)
     */
    static SmmuParams probe(SmmuHardware hw, long regSize, Logger log, String prefix) {
        log.info("{}: probing hardware configuration...", prefix);
        log.info("{}: SMMUv2 with:", prefix);
        int id0 = hw.gr0Read(SmmuRegs.GR0_ID0);
        int features = id0Features(id0, log, prefix);
        int sizeBits = Bits.get(SmmuRegs.ID0_NUMSIDB, id0);
        int streamIdMask = (1 << sizeBits) - 1;
        int groups = 1 << sizeBits;
        if ((id0 & SmmuRegs.ID0_SMS) != 0) {
            features |= FEAT_STREAM_MATCH;
            groups = Bits.get(SmmuRegs.ID0_NUMSMRG, id0);
            if (groups == 0) {
                throw new IommuException(Errno.ENODEV, prefix + ": stream-matching supported, but no SMRs present!");
            }
            log.info("{}: \tstream matching with {} register groups", prefix, groups);
        }
        if ((id0 & SmmuRegs.ID0_PTFS_NO_AARCH32) == 0) {
            features |= FEAT_FMT_AARCH32_L;
            if ((id0 & SmmuRegs.ID0_PTFS_NO_AARCH32S) == 0) {
                features |= FEAT_FMT_AARCH32_S;
            }
        }
        int id1 = hw.gr0Read(SmmuRegs.GR0_ID1);
        int pgshift = (id1 & SmmuRegs.ID1_PAGESIZE) != 0 ? SmmuRegs.PAGE_SHIFT_64K : SmmuRegs.PAGE_SHIFT_4K;
        int numPage = 1 << (Bits.get(SmmuRegs.ID1_NUMPAGENDXB, id1) + 1);
        checkRegSize(regSize, (2L * numPage) << pgshift, log, prefix);
        int numS2 = Bits.get(SmmuRegs.ID1_NUMS2CB, id1);
        int numCb = Bits.get(SmmuRegs.ID1_NUMCB, id1);
        if (numS2 > numCb) {
            throw new IommuException(Errno.ENODEV, String.format("%s: impossible number of S2 context banks! (%d of %d)", prefix,
                    numS2, numCb));
        }
        log.info("{}: \t{} context banks ({} stage-2 only)", prefix, numCb, numS2);
        int id2 = hw.gr0Read(SmmuRegs.GR0_ID2);
        int ipa = SmmuRegs.idSizeToBits(Bits.get(SmmuRegs.ID2_IAS, id2));
        int pa = SmmuRegs.idSizeToBits(Bits.get(SmmuRegs.ID2_OAS, id2));
        int va = SmmuRegs.idSizeToBits(Bits.get(SmmuRegs.ID2_UBS, id2));
        features |= id2Features(id2);
        long pgsizes = pageSizes(features);
        log.info("{}: {}", prefix, String.format("\tSupported page sizes: 0x%08x", pgsizes));
        if ((features & FEAT_TRANS_S1) != 0) {
            log.info("{}: \tStage-1: {}-bit VA -> {}-bit IPA", prefix, va, ipa);
        }
        if ((features & FEAT_TRANS_S2) != 0) {
            log.info("{}: \tStage-2: {}-bit IPA -> {}-bit PA", prefix, ipa, pa);
        }
        return new SmmuParams(features, groups, streamIdMask, pgshift, numPage, numCb, numS2, va, ipa, pa, pgsizes);
    }

    /** The ID0 part of the features: stages, ATOS, coherent walk, and Linux's line for each. */
    private static int id0Features(int id0, Logger log, String prefix) {
        int features = 0;
        if ((id0 & SmmuRegs.ID0_S1TS) != 0) {
            features |= FEAT_TRANS_S1;
            log.info("{}: \tstage 1 translation", prefix);
        }
        if ((id0 & SmmuRegs.ID0_S2TS) != 0) {
            features |= FEAT_TRANS_S2;
            log.info("{}: \tstage 2 translation", prefix);
        }
        if ((id0 & SmmuRegs.ID0_NTS) != 0) {
            features |= FEAT_TRANS_NESTED;
            log.info("{}: \tnested translation", prefix);
        }
        if ((features & (FEAT_TRANS_S1 | FEAT_TRANS_S2)) == 0) {
            throw new IommuException(Errno.ENODEV, prefix + ": \tno translation support!");
        }
        if ((id0 & SmmuRegs.ID0_S1TS) != 0 && (id0 & SmmuRegs.ID0_ATOSNS) == 0) {
            features |= FEAT_TRANS_OPS;
            log.info("{}: \taddress translation ops", prefix);
        }
        // not Linux, which trusts the firmware's dma-coherent over ID0.CTTW: here the register decides
        if ((id0 & SmmuRegs.ID0_CTTW) != 0) {
            features |= FEAT_COHERENT_WALK;
            log.info("{}: \tcoherent table walk", prefix);
        }
        if ((id0 & SmmuRegs.ID0_EXIDS) != 0) {
            // extended stream IDs are not used (sCR0.EXIDENABLE stays 0): 15-bit SMR fields, VALID in bit 31
            log.debug("{}: ID0.EXIDS set; extended stream IDs are not enabled", prefix);
        }
        return features;
    }

    private static int id2Features(int id2) {
        int features = 0;
        if ((id2 & SmmuRegs.ID2_VMID16) != 0) {
            features |= FEAT_VMID16;
        }
        if ((id2 & SmmuRegs.ID2_PTFS_4K) != 0) {
            features |= FEAT_FMT_AARCH64_4K;
        }
        if ((id2 & SmmuRegs.ID2_PTFS_16K) != 0) {
            features |= FEAT_FMT_AARCH64_16K;
        }
        if ((id2 & SmmuRegs.ID2_PTFS_64K) != 0) {
            features |= FEAT_FMT_AARCH64_64K;
        }
        return features;
    }

    /** "Now we've corralled the various formats, what'll it do?" */
    private static long pageSizes(int features) {
        long bitmap = 0;
        if ((features & FEAT_FMT_AARCH32_S) != 0) {
            bitmap |= SZ_4K | SZ_64K | SZ_1M | SZ_16M;
        }
        if ((features & (FEAT_FMT_AARCH32_L | FEAT_FMT_AARCH64_4K)) != 0) {
            bitmap |= SZ_4K | SZ_2M | SZ_1G;
        }
        if ((features & FEAT_FMT_AARCH64_16K) != 0) {
            bitmap |= SZ_16K | SZ_32M;
        }
        if ((features & FEAT_FMT_AARCH64_64K) != 0) {
            bitmap |= SZ_64K | SZ_512M;
        }
        return bitmap;
    }

    /**
     * @return the page sizes of the AArch64 formats alone: what a domain can use, since this driver
     *         drives AArch64 contexts only (the {@code arm-lpae-s1} format)
     */
    static long aarch64PageSizes(int features) {
        long bitmap = 0;
        if ((features & FEAT_FMT_AARCH64_4K) != 0) {
            bitmap |= SZ_4K | SZ_2M | SZ_1G;
        }
        if ((features & FEAT_FMT_AARCH64_16K) != 0) {
            bitmap |= SZ_16K | SZ_32M;
        }
        if ((features & FEAT_FMT_AARCH64_64K) != 0) {
            bitmap |= SZ_64K | SZ_512M;
        }
        return bitmap;
    }

    /**
     * Linux only warns when the mapped region differs from 2 * NUMPAGE pages; a smaller region
     * would put the context banks outside the mapping, so that is refused here.
     */
    private static void checkRegSize(long regSize, long needed, Logger log, String prefix) {
        if (regSize < needed) {
            throw new IommuException(Errno.EINVAL, String.format("%s: SMMU address space size (0x%x) exceeds mapped region"
                    + " size (0x%x)", prefix, needed, regSize));
        }
        if (regSize != needed) {
            log.warn("{}: {}", prefix, String.format("SMMU address space size (0x%x) differs from mapped region size (0x%x)!",
                    needed, regSize));
        }
    }

    /**
     * arm_lpae_restrict_pgsizes with Linux's PAGE_SIZE = {@code pageSize}: the CPU page size as
     * granule if offered, else the largest smaller one, else the smallest larger one; then only
     * that granule and its block sizes.
     */
    static long restrictPgsizes(long bitmap, long pageSize) {
        long pageMask = -pageSize;
        long granule;
        if ((bitmap & pageSize) != 0) {
            granule = pageSize;
        } else if ((bitmap & ~pageMask) != 0) {
            granule = Long.highestOneBit(bitmap & ~pageMask);
        } else if ((bitmap & pageMask) != 0) {
            granule = Long.lowestOneBit(bitmap & pageMask);
        } else {
            granule = 0;
        }
        long sizes;
        if (granule == SZ_4K) {
            sizes = SZ_4K | SZ_2M | SZ_1G;
        } else if (granule == SZ_16K) {
            sizes = SZ_16K | SZ_32M;
        } else if (granule == SZ_64K) {
            sizes = SZ_64K | SZ_512M;
        } else {
            sizes = 0;
        }
        return bitmap & sizes;
    }
}
