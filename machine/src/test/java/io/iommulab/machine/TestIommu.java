package io.iommulab.machine;

import io.iommulab.api.Prot;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.StaleTranslation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A tiny IOMMU hardware model for the machine's tests: when CTRL.ENABLE is set it translates
 * {@code iova -> base + sid * window + OFFSET + iova} for IOVAs below its window, in 4 KiB pages;
 * outside the window it latches STATUS.FAULT, FAULT_ADDR and FAULT_SID and raises its interrupt.
 * Each stream caches the OFFSET it first used (its "IOTLB") until software writes FLUSH; while the
 * machine's translation check is enabled, a transaction served from a cached OFFSET that the
 * register no longer holds is reported stale.
 */
final class TestIommu implements IommuModel {
    static final int CTRL = 0x0;
    static final int CTRL_ENABLE = 1;
    static final int STATUS = 0x4;
    static final int STATUS_FAULT = 1;
    static final int FAULT_ADDR = 0x8;
    static final int FAULT_SID = 0xc;
    static final int ID = 0x10;
    static final int ID_VALUE = 0x7e570001;
    static final int PAGE = 0x1000;
    static final int OFFSET = 0x14;
    static final int FLUSH = 0x18;
    static final int STREAMS = 16;
    static final List<RegisterSpec> REGS = List.of(
            RegisterSpec.reg("CTRL", CTRL, 0, CTRL_ENABLE),
            RegisterSpec.w1c("STATUS", STATUS, STATUS_FAULT),
            RegisterSpec.ro("FAULT_ADDR", FAULT_ADDR, 0),
            RegisterSpec.ro("FAULT_SID", FAULT_SID, 0),
            RegisterSpec.ro("ID", ID, ID_VALUE),
            RegisterSpec.reg("OFFSET", OFFSET, 0, 0xffff_f000),
            RegisterSpec.reg("FLUSH", FLUSH, 0, 0));

    private final String node;
    private final TranslationCheck check;
    private final RegisterFile regs;
    /** Per stream: the cached OFFSET + 1 (0: nothing cached). */
    private final AtomicLongArray cached = new AtomicLongArray(STREAMS);
    private final IrqSource irq;
    private final long base;
    private final long window;
    final AtomicLong translations = new AtomicLong();

    TestIommu(ModelContext ctx, long base) {
        this.node = ctx.node().path();
        this.check = ctx.translationCheck();
        this.regs = ctx.registers(0, REGS, new RegisterHooks() {
            @Override
            public void onWrite(RegisterSpec reg, int index, int oldValue, int newValue, int value) {
                if (reg.offset() == FLUSH) {
                    for (int s = 0; s < STREAMS; s++) {
                        cached.set(s, 0);
                    }
                }
            }
        });
        this.irq = ctx.irq(0);
        this.base = base;
        this.window = Long.decode(ctx.options().getOrDefault("window", "0x10000"));
    }

    @Override
    public Translation translate(int sid, long iova, Access access) {
        translations.incrementAndGet();
        if ((regs.get(CTRL) & CTRL_ENABLE) == 0) {
            return fault(sid, iova, "translation disabled");
        }
        if (iova < 0 || iova >= window) {
            return fault(sid, iova, String.format("iova 0x%x outside window", iova));
        }
        long offset = offset(sid, iova, access);
        return Translation.of(base + (long) sid * window + offset + iova, PAGE - (iova & (PAGE - 1)));
    }

    /** @return the stream's cached OFFSET, caching the register's on first use */
    private long offset(int sid, long iova, Access access) {
        long now = regs.get(OFFSET) & 0xffff_ffffL;
        int s = sid & (STREAMS - 1);
        long c = cached.get(s);
        if (c == 0) {
            cached.compareAndSet(s, 0, now + 1);
            return now;
        }
        long old = c - 1;
        if (check.enabled() && old != now) {
            long stride = (long) sid * window + iova;
            check.stale(new StaleTranslation(node, sid, iova, access, base + stride + old, Prot.READ | Prot.WRITE,
                    base + stride + now, Prot.READ | Prot.WRITE, null, "OFFSET changed", "FLUSH"));
        }
        return old;
    }

    private Translation fault(int sid, long iova, String text) {
        regs.set(STATUS, regs.get(STATUS) | STATUS_FAULT);
        regs.set(FAULT_ADDR, (int) iova);
        regs.set(FAULT_SID, sid);
        irq.raise();
        return Translation.fault(text);
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of("translations", translations.get());
    }

    /** The streams' cached OFFSETs, each as one entry translating the stream's whole window read-write. */
    @Override
    public List<io.iommulab.api.hw.IotlbEntry> iotlbEntries() {
        List<io.iommulab.api.hw.IotlbEntry> out = new java.util.ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            long c = cached.get(s);
            if (c != 0) {
                out.add(new io.iommulab.api.hw.IotlbEntry(s, -1, -1, 0, base + s * window + c - 1, window,
                        Prot.READ | Prot.WRITE));
            }
        }
        return out;
    }

    /** Factory for "iommulab,test-iommu"; remembers each node's options and model. */
    static class Factory implements IommuModelFactory {
        final long base;
        final Map<String, Map<String, String>> options = new ConcurrentHashMap<>();
        final Map<String, TestIommu> models = new ConcurrentHashMap<>();

        Factory(long base) {
            this.base = base;
        }

        @Override
        public String name() {
            return "test-iommu";
        }

        @Override
        public List<String> compatibles() {
            return List.of("iommulab,test-iommu");
        }

        @Override
        public IommuModel create(ModelContext context) {
            options.put(context.node().path(), context.options());
            TestIommu m = new TestIommu(context, base);
            models.put(context.node().path(), m);
            return m;
        }
    }

    /** A factory whose models refuse to start. */
    static final class Failing implements IommuModelFactory {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public List<String> compatibles() {
            return List.of("iommulab,failing-iommu");
        }

        @Override
        public IommuModel create(ModelContext context) {
            // Map a block first: the host must unmap it again when create fails.
            context.registers(0, REGS, null);
            throw new IllegalStateException("refuses to start: locked by firmware");
        }
    }
}
