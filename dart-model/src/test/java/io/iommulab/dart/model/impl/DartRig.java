package io.iommulab.dart.model.impl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.IrqLine;
import io.iommulab.api.machine.IrqReturn;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The DART model tests' machine: boots {@code dart/darts.dts} with only the DART model (the built-in
 * variants and {@link #USB4_VARIANT}) and
 * gives software-side access to it (MMIO windows, DMA masters, memory for tables), as a driver
 * would have. Also carries the PTE encodings the tests write by hand (dart-facts §2.2), written
 * here independently of the model's decoder.
 */
final class DartRig {
    static final long RAM = 0x8_0000_0000L;
    static final long PAGE = 0x4000;

    static final String DART_A = "/soc/iommu@382f00000";
    static final String DART_B = "/soc/iommu@382f80000";
    static final String USB4 = "/soc/iommu@38b004000";
    static final String T6000 = "/soc/iommu@390000000";
    static final String T8110 = "/soc/iommu@391000000";
    static final String T6020 = "/soc/iommu@392000000";
    static final String SMALL = "/soc/iommu@393000000";
    static final String NOIRQ = "/soc/iommu@394000000";

    static final String DMA_A = "/soc/dma@400000000";
    static final String DMA_B = "/soc/dma@400001000";
    static final String NHI = "/soc/thunderbolt@400002000";
    static final String DMA_T6000 = "/soc/dma@400003000";
    static final String DMA_T8110 = "/soc/dma@400004000";
    static final String DMA_T6020 = "/soc/dma@400005000";
    static final String DMA_NOIRQ = "/soc/dma@400006000";

    /**
     * The Thunderbolt DART as a variant hardware bundle describes it through the SPI (dart-usb4-model
     * publishes the real one and checks its record): 64 streams, TTBRs at 0x400, no bypass, the second
     * STREAMS_ENABLE word at 0xF8. Here it drives the model's paths for those.
     */
    static final DartModelHw USB4_VARIANT = DartModelVariants.T8103.toBuilder().name("t8103-usb4")
            .compatibles("apple,t8103-usb4-dart").streams(64).enableWords(0xFC, 0xF8).ttbrBase(0x400).bypass(false)
            .build();

    final SimMachine machine;
    private long nextTable = RAM + 0x10_0000;
    private long nextPage = RAM + 0x100_0000;

    DartRig() {
        this(Map.of());
    }

    DartRig(Map<String, String> properties) {
        this(models(), properties);
    }

    /** @param models the DART models, e.g. {@link #models()} wrapped to count their memory reads */
    DartRig(IommuModelFactory models, Map<String, String> properties) {
        machine = SimMachine.boot(board(), List.of(models), properties);
    }

    /** @return the factory of the built-in variants and {@link #USB4_VARIANT} */
    static IommuModelFactory models() {
        return DartModelFactory.builtInAnd(USB4_VARIANT);
    }

    static DeviceTree board() {
        try (InputStream in = DartRig.class.getResourceAsStream("/dart/darts.dts")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /dart/darts.dts");
            }
            return DeviceTrees.parse("darts.dts", in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the machine property setting model option {@code key} of {@code node} */
    static Map<String, String> option(String node, String key, String value) {
        return Map.of("iommulab.model." + node + "." + key, value);
    }

    DtNode node(String path) {
        return machine.deviceTree().node(path).orElseThrow();
    }

    MmioWindow regs(String dart) {
        return machine.ioremap(node(dart), 0);
    }

    DmaMaster master(String path) {
        return machine.master(path).orElseThrow();
    }

    IrqLine irq(String dart) {
        return machine.irq(node(dart), 0);
    }

    Map<String, Long> counters(String dart) {
        return machine.hardwareCounters(dart);
    }

    /** @return a fresh zeroed 16 KiB table */
    long allocTable() {
        long pa = nextTable;
        nextTable += PAGE;
        return pa;
    }

    /** @return a fresh 16 KiB data page filled with {@code fill} */
    long allocPage(int fill) {
        long pa = nextPage;
        nextPage += PAGE;
        machine.memory().fill(pa, PAGE, (byte) fill);
        return pa;
    }

    void write64(long pa, long value) {
        machine.memory().write64(pa, value);
    }

    /** @return one byte of physical memory */
    int peek(long pa) {
        return machine.memory().read8(pa) & 0xff;
    }

    /** Reads {@code len} bytes by DMA and asserts success. */
    static byte[] dmaRead(DmaMaster m, int stream, long iova, int len) {
        DmaResult r = m.read(stream, iova, len);
        assertTrue(r.ok(), () -> "DMA read at 0x" + Long.toHexString(iova) + " failed: " + r.fault());
        return r.data();
    }

    /** @return the first byte a successful 1-byte DMA read at {@code iova} sees */
    static int dmaPeek(DmaMaster m, int stream, long iova) {
        return dmaRead(m, stream, iova, 1)[0] & 0xff;
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

    /** Polls a BUSY bit as a driver does (bounded), failing the test if it never clears. */
    static void pollBusy(MmioWindow w, int reg, int busy) {
        for (int i = 0; i < 100; i++) {
            if ((w.readl(reg) & busy) == 0) {
                return;
            }
        }
        fail("BUSY bit 0x" + Integer.toHexString(busy) + " at 0x" + Integer.toHexString(reg) + " did not clear");
    }

    /**
     * A handler on a DART's fault line that records the ERROR values it sees while FLAG is set
     * (without clearing them), answering NONE when FLAG is clear, as a shared-line handler must.
     */
    List<Integer> recordFaults(String dart, int errorReg) {
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        MmioWindow w = regs(dart);
        irq(dart).request("test " + dart, n -> {
            int err = w.readl(errorReg);
            if (err >= 0) {
                return IrqReturn.NONE;
            }
            seen.add(err);
            return IrqReturn.HANDLED;
        }, true);
        return seen;
    }

    /** The PTE formats as the tests encode them (dart-facts §2.2), independent of the model. */
    enum Pte {
        /** DART1: PA [35:12] unshifted; SP_DIS bit 1; NO_WRITE bit 7, NO_READ bit 8; SUBPAGE_END 0xFFF. */
        DART1 {
            @Override
            long table(long pa) {
                return (pa & 0xF_FFFF_F000L) | 1;
            }

            @Override
            long leaf(long pa, boolean read, boolean write) {
                return (pa & 0xF_FFFF_F000L) | 1 | 2 | (write ? 0 : 1L << 7) | (read ? 0 : 1L << 8) | (0xFFFL << 40);
            }
        },
        /** DART2: PA [41:14] in bits [37:10]; NO_CACHE bit 1; NO_WRITE bit 2, NO_READ bit 3; SUBPAGE_END 0xFFF. */
        DART2 {
            @Override
            long table(long pa) {
                return ((pa >>> 14) << 10) | 1;
            }

            @Override
            long leaf(long pa, boolean read, boolean write) {
                return ((pa >>> 14) << 10) | 1 | 2 | (write ? 0 : 1L << 2) | (read ? 0 : 1L << 3) | (0xFFFL << 40);
            }
        };

        abstract long table(long pa);

        abstract long leaf(long pa, boolean read, boolean write);
    }

    /**
     * Tables built by hand: {@code levels} tables of 2048 entries below one root, 16 KiB pages
     * (table {@code k}, leaf table = 1, indexed by IOVA bits from {@code 14 + 11·(k−1)}).
     */
    final class Tables {
        final Pte pte;
        final int levels;
        final long root;
        /** per level: IOVA prefix → table PA. */
        private final Map<Integer, Map<Long, Long>> tables = new HashMap<>();

        Tables(Pte pte, int levels) {
            this.pte = pte;
            this.levels = levels;
            this.root = allocTable();
        }

        private static long index(long iova, int level) {
            return (iova >>> (14 + 11 * (level - 1))) & 0x7FF;
        }

        /** @return the PA of the level-{@code level} table for {@code iova}, creating the path */
        long table(long iova, int level) {
            long t = root;
            for (int k = levels; k > level; k--) {
                long prefix = iova >>> (14 + 11 * (k - 1));
                Map<Long, Long> byPrefix = tables.computeIfAbsent(k - 1, x -> new HashMap<>());
                Long next = byPrefix.get(prefix);
                if (next == null) {
                    next = allocTable();
                    byPrefix.put(prefix, next);
                    write64(t + 8 * index(iova, k), pte.table(next));
                }
                t = next;
            }
            return t;
        }

        /** @return the PA of the entry for {@code iova} in its level-{@code level} table */
        long slot(long iova, int level) {
            return table(iova, level) + 8 * index(iova, level);
        }

        void map(long iova, long pa, boolean read, boolean write) {
            write64(slot(iova, 1), pte.leaf(pa, read, write));
        }

        void map(long iova, long pa) {
            map(iova, pa, true, true);
        }

        void unmap(long iova) {
            write64(slot(iova, 1), 0);
        }
    }
}
