package io.iommulab.smmu.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SMMU model tests' machine: boots {@code smmu/smmus.dts} with only the SMMU model factory and
 * gives software-side access to it (MMIO windows, DMA masters, memory for tables), as a driver
 * would have. Register offsets and fields are written out here from the contract, not taken from
 * the model, and so is the LPAE descriptor encoding ({@link Tables}).
 */
final class SmmuRig {
    /**
     * RAM base. The machine gives software (the page allocator) the upper half of RAM, so tests put
     * the targets of blocks and bypass transfers in the lower half.
     */
    static final long RAM = 0x8_0000_0000L;

    static final String SMMU0 = "/soc/iommu@500000000";
    static final String SMMU1 = "/soc/iommu@500100000";
    static final String SMALL = "/soc/iommu@500200000";
    static final String DMA0 = "/soc/dma@400000000";
    static final String DMA1 = "/soc/dma@400001000";

    // GR0
    static final int SCR0 = 0x000;
    static final int CLIENTPD = 1;
    static final int GFRE = 1 << 1;
    static final int GFIE = 1 << 2;
    static final int USFCFG = 1 << 10;
    static final int ID0 = 0x020;
    static final int ID1 = 0x024;
    static final int ID2 = 0x028;
    static final int SGFAR_LO = 0x040;
    static final int SGFAR_HI = 0x044;
    static final int SGFSR = 0x048;
    static final int SGFSYNR0 = 0x050;
    static final int SGFSYNR1 = 0x054;
    static final int SGFSYNR2 = 0x058;
    static final int USF = 1 << 1;
    static final int SMCF = 1 << 2;
    static final int UCBF = 1 << 3;
    static final int GMULTI = 1 << 31;
    static final int TLBIVMID = 0x064;
    static final int TLBIALLNSNH = 0x068;
    static final int TLBIALLH = 0x06C;
    static final int STLBGSYNC = 0x070;
    static final int STLBGSTATUS = 0x074;
    static final int SMR_VALID = 1 << 31;
    static final int S2CR_TRANS = 0;
    static final int S2CR_BYPASS = 1 << 16;
    static final int S2CR_FAULT = 2 << 16;
    // GR1
    static final int GR1 = 0x1000;
    // bank page
    static final int SCTLR = 0x00;
    static final int M = 1;
    static final int TRE = 1 << 1;
    static final int AFE = 1 << 2;
    static final int CFRE = 1 << 5;
    static final int CFIE = 1 << 6;
    static final int TCR2 = 0x10;
    static final int TTBR0 = 0x20;
    static final int TCR = 0x30;
    static final int EPD0 = 1 << 7;
    static final int EPD1 = 1 << 23;
    static final int FSR = 0x58;
    static final int TF = 1 << 1;
    static final int AFF = 1 << 2;
    static final int PF = 1 << 3;
    static final int MULTI = 1 << 31;
    static final int FSRRESTORE = 0x5C;
    static final int FAR = 0x60;
    static final int FSYNR0 = 0x68;
    static final int WNR = 1 << 4;
    static final int TLBIVA = 0x600;
    static final int TLBIVAA = 0x608;
    static final int TLBIASID = 0x610;
    static final int TLBIALL = 0x618;
    static final int TLBIVAL = 0x620;
    static final int TLBSYNC = 0x7F0;
    static final int TLBSTATUS = 0x7F4;

    /** TCR.TG0 encodings. */
    static final int TG0_4K = 0;
    static final int TG0_64K = 1;
    static final int TG0_16K = 2;

    final SimMachine machine;

    SmmuRig() {
        this(Map.of());
    }

    SmmuRig(Map<String, String> properties) {
        this(new SmmuModelFactory(), properties);
    }

    /** @param models the SMMU models, e.g. wrapped to count their memory reads */
    SmmuRig(IommuModelFactory models, Map<String, String> properties) {
        machine = SimMachine.boot(board("smmus.dts"), List.of(models), properties);
    }

    static DeviceTree board(String name) {
        try (InputStream in = SmmuRig.class.getResourceAsStream("/smmu/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /smmu/" + name);
            }
            return DeviceTrees.parse(name, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return machine properties setting model options of {@code node}: key, value, key, value... */
    static Map<String, String> options(String node, String... kv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.put("iommulab.model." + node + "." + kv[i], kv[i + 1]);
        }
        return out;
    }

    DtNode node(String path) {
        return machine.deviceTree().node(path).orElseThrow();
    }

    MmioWindow regs(String smmu) {
        return machine.ioremap(node(smmu), 0);
    }

    DmaMaster master(String path) {
        return machine.master(path).orElseThrow();
    }

    IrqLine irq(String smmu, int index) {
        return machine.irq(node(smmu), index);
    }

    Map<String, Long> counters(String smmu) {
        return machine.hardwareCounters(smmu);
    }

    long counter(String smmu, String name) {
        return counters(smmu).get(name);
    }

    static int smr(int n) {
        return 0x800 + 4 * n;
    }

    static int s2cr(int n) {
        return 0xC00 + 4 * n;
    }

    static int cbar(int n) {
        return GR1 + 4 * n;
    }

    static int cbfrsynra(int n) {
        return GR1 + 0x400 + 4 * n;
    }

    static int cba2r(int n) {
        return GR1 + 0x800 + 4 * n;
    }

    /** @return offset of register {@code reg} of bank {@code n} with {@code numPage} pages per half */
    static int cb(int numPage, int n, int reg) {
        return (numPage + n) * 0x1000 + reg;
    }

    /** writeq as io-64-nonatomic-hi-lo does it: high word first. */
    static void writeq(MmioWindow w, int off, long v) {
        w.writel(off + 4, (int) (v >>> 32));
        w.writel(off, (int) v);
    }

    static long readq(MmioWindow w, int off) {
        return (long) w.readl(off + 4) << 32 | (w.readl(off) & 0xFFFF_FFFFL);
    }

    /** @return a zeroed, naturally aligned block of {@code bytes} (a power of two >= 4 KiB) */
    long alloc(long bytes) {
        int order = Long.numberOfTrailingZeros(bytes) - 12;
        return machine.pages().allocPages(order, "smmu-model-test");
    }

    /** Fills {@code len} bytes at {@code pa} with {@code fill}. */
    void fill(long pa, long len, int fill) {
        machine.memory().fill(pa, len, (byte) fill);
    }

    int peek(long pa) {
        return machine.memory().read8(pa) & 0xff;
    }

    /** Reads one byte by DMA and asserts success. */
    static int dmaPeek(DmaMaster m, int stream, long iova) {
        DmaResult r = m.read(stream, iova, 1);
        assertTrue(r.ok(), () -> "DMA read at 0x" + Long.toHexString(iova) + " failed: " + r.fault());
        return r.data()[0] & 0xff;
    }

    /** Writes bytes by DMA and asserts success. */
    static void dmaWrite(DmaMaster m, int stream, long iova, byte... data) {
        DmaResult r = m.write(stream, iova, data);
        assertTrue(r.ok(), () -> "DMA write at 0x" + Long.toHexString(iova) + " failed: " + r.fault());
    }

    /** @return the fault text of a DMA read that must fail */
    static String readFault(DmaMaster m, int stream, long iova) {
        DmaResult r = m.read(stream, iova, 4);
        if (r.ok()) {
            fail("DMA read at 0x" + Long.toHexString(iova) + " should have faulted");
        }
        return r.fault();
    }

    /** @return the fault text of a DMA write that must fail */
    static String writeFault(DmaMaster m, int stream, long iova) {
        DmaResult r = m.write(stream, iova, new byte[] {1, 2, 3, 4});
        if (r.ok()) {
            fail("DMA write at 0x" + Long.toHexString(iova) + " should have faulted");
        }
        return r.fault();
    }

    /**
     * Stage-1 AArch64 tables written by hand (dart-facts §4.4): granule {@code 2^g}, input size
     * {@code inputBits}, tables of {@code 2^(g-3)} entries.
     */
    final class Tables {
        static final long AP1 = 1L << 6;
        static final long AP2 = 1L << 7;
        static final long AF = 1L << 10;
        static final long NG = 1L << 11;
        final int g;
        final int inputBits;
        final int startLevel;
        final long root;
        private final Map<String, Long> tables = new HashMap<>();

        Tables(int g, int inputBits) {
            this.g = g;
            this.inputBits = inputBits;
            int levels = (inputBits - g + (g - 3) - 1) / (g - 3);
            this.startLevel = 4 - levels;
            this.root = alloc(1L << g);
        }

        int shift(int level) {
            return g + (3 - level) * (g - 3);
        }

        long index(long iova, int level) {
            return (iova >>> shift(level)) & ((1L << (g - 3)) - 1);
        }

        /** @return the PA of the entry for {@code iova} in its level-{@code level} table, creating the path */
        long slot(long iova, int level) {
            long t = root;
            for (int l = startLevel; l < level; l++) {
                String key = l + ":" + (iova >>> shift(l));
                Long next = tables.get(key);
                if (next == null) {
                    next = alloc(1L << g);
                    tables.put(key, next);
                    machine.memory().write64(t + 8 * index(iova, l), next | 3);
                }
                t = next;
            }
            return t + 8 * index(iova, level);
        }

        /** Writes a raw descriptor at {@code level} for {@code iova}. */
        void put(long iova, int level, long desc) {
            machine.memory().write64(slot(iova, level), desc);
        }

        /** Maps a page (level 3) with AF and AP[1] set, read-only if {@code !write}. */
        void page(long iova, long pa, boolean write) {
            put(iova, 3, pa | 3 | AF | AP1 | NG | (write ? 0 : AP2));
        }

        void page(long iova, long pa) {
            page(iova, pa, true);
        }

        /** Maps a block at {@code level} with AF and AP[1] set. */
        void block(long iova, int level, long pa) {
            put(iova, level, pa | 1 | AF | AP1 | NG);
        }

        /** @return TCR for these tables: T0SZ, TG0, EPD1 */
        int tcr() {
            int tg0 = g == 12 ? TG0_4K : g == 14 ? TG0_16K : TG0_64K;
            return (64 - inputBits) | tg0 << 14 | EPD1;
        }
    }

    /**
     * Sets bank {@code n} up as arm-smmu does on attach (dart-facts §4.3): CBA2R, CBAR (stage 1),
     * TCR2, TCR, TTBR0 with the ASID, then SCTLR.
     */
    static void context(MmioWindow w, int numPage, int n, Tables t, int asid, int sctlr) {
        w.writel(cba2r(n), 1);
        w.writel(cbar(n), 1 << 16);
        w.writel(cb(numPage, n, TCR2), 0);
        w.writel(cb(numPage, n, TCR), t.tcr());
        writeq(w, cb(numPage, n, TTBR0), (long) asid << 48 | t.root);
        w.writel(cb(numPage, n, SCTLR), sctlr);
    }

    /** Points SMR/S2CR {@code idx} (stream {@code sid}, exact match) at bank {@code n}. */
    static void stream(MmioWindow w, int idx, int sid, int s2cr) {
        w.writel(smr(idx), SMR_VALID | sid);
        w.writel(s2cr(idx), s2cr);
    }

    /** Turns the SMMU on: client port enabled, unmatched streams fault, global faults reported. */
    static void enable(MmioWindow w) {
        w.writel(SCR0, (w.readl(SCR0) & ~CLIENTPD) | GFRE | GFIE | USFCFG);
    }
}
