package io.iommulab.machine.testing;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamWindow;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test support for hardware-model bundles (published in the machine's test jar): wraps a model
 * factory so that its models read physical memory through a counter, everything else being the
 * machine's own (registers, interrupts, the translation check). A test counts what a model reads
 * for a transaction, e.g. that a sanitizer check that is off reads nothing.
 */
public final class ReadCountingFactory implements IommuModelFactory {

    private final IommuModelFactory factory;
    private final AtomicLong reads = new AtomicLong();

    public ReadCountingFactory(IommuModelFactory factory) {
        this.factory = factory;
    }

    /** @return memory reads (of any width) the models made so far */
    public long reads() {
        return reads.get();
    }

    @Override
    public String name() {
        return factory.name();
    }

    @Override
    public List<String> compatibles() {
        return factory.compatibles();
    }

    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        return factory.twin(linked);
    }

    @Override
    public boolean makesTwins() {
        return factory.makesTwins();
    }

    @Override
    public IommuModel create(ModelContext context) {
        return factory.create(new Context(context, new Counted(context.memory())));
    }

    private record Context(ModelContext context, PhysicalMemory memory) implements ModelContext {
        @Override
        public DtNode node() {
            return context.node();
        }

        @Override
        public RegisterFile registers(int index, List<RegisterSpec> specs, RegisterHooks hooks) {
            return context.registers(index, specs, hooks);
        }

        @Override
        public IrqSource irq(int index) {
            return context.irq(index);
        }

        @Override
        public Map<String, String> options() {
            return context.options();
        }

        @Override
        public ModelOptions modelOptions() {
            return context.modelOptions();
        }

        @Override
        public TranslationCheck translationCheck() {
            return context.translationCheck();
        }
    }

    /** The machine's memory, counting reads. */
    private final class Counted implements PhysicalMemory {
        private final PhysicalMemory memory;

        Counted(PhysicalMemory memory) {
            this.memory = memory;
        }

        @Override
        public int addressBits() {
            return memory.addressBits();
        }

        @Override
        public byte read8(long pa) {
            reads.incrementAndGet();
            return memory.read8(pa);
        }

        @Override
        public short read16(long pa) {
            reads.incrementAndGet();
            return memory.read16(pa);
        }

        @Override
        public int read32(long pa) {
            reads.incrementAndGet();
            return memory.read32(pa);
        }

        @Override
        public long read64(long pa) {
            reads.incrementAndGet();
            return memory.read64(pa);
        }

        @Override
        public void read(long pa, byte[] dst, int off, int len) {
            reads.incrementAndGet();
            memory.read(pa, dst, off, len);
        }

        @Override
        public long compareAndExchange64(long pa, long expected, long value) {
            reads.incrementAndGet();
            return memory.compareAndExchange64(pa, expected, value);
        }

        /** A window reads without this counter seeing it: none is handed out. */
        @Override
        public RamWindow window(long pa, int len) {
            return PhysicalMemory.super.window(pa, len);
        }

        @Override
        public void write8(long pa, byte value) {
            memory.write8(pa, value);
        }

        @Override
        public void write16(long pa, short value) {
            memory.write16(pa, value);
        }

        @Override
        public void write32(long pa, int value) {
            memory.write32(pa, value);
        }

        @Override
        public void write64(long pa, long value) {
            memory.write64(pa, value);
        }

        @Override
        public void write(long pa, byte[] src, int off, int len) {
            memory.write(pa, src, off, len);
        }

        @Override
        public void fill(long pa, long len, byte value) {
            memory.fill(pa, len, value);
        }

        @Override
        public boolean isRam(long pa) {
            return memory.isRam(pa);
        }
    }
}
