package io.iommulab.machine.hosting;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.machine.mmio.MmioBlock;
import io.iommulab.machine.mmio.MmioBus;
import io.iommulab.machine.mmio.RegisterFileImpl;
import io.iommulab.machine.power.PowerGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What the machine gives one model instance: its node, memory, register blocks mapped at the
 * node's {@code reg} entries, the model ends of its interrupt lines, its options, and the machine's
 * fail-nth countdown for the model's hardware injection points. Records the
 * blocks it maps so that the host can unmap them when the model goes away.
 */
final class ModelContextImpl implements ModelContext {
    private final DtNode node;
    private final PhysicalMemory memory;
    private final MmioBus bus;
    private final PowerGate gate;
    private final BiFunction<DtNode, Integer, IrqSource> irqs;
    private final Map<String, String> options;
    private final ModelOptions modelOptions;
    private final List<MmioBlock> blocks = new ArrayList<>();
    private final TranslationCheck check;
    private final FailNth failNth;

    ModelContextImpl(DtNode node, PhysicalMemory memory, MmioBus bus, PowerGate gate,
                     BiFunction<DtNode, Integer, IrqSource> irqs, TranslationCheck check, String model,
                     Map<String, String> options, FailNth failNth) {
        this.check = check;
        this.failNth = failNth;
        this.node = node;
        this.memory = memory;
        this.bus = bus;
        this.gate = gate;
        this.irqs = irqs;
        this.options = options;
        this.modelOptions = new NodeModelOptions(node.path(), model, options);
    }

    @Override
    public TranslationCheck translationCheck() {
        return check;
    }

    /** The machine's fail-nth countdown, with this node as where the hit was asked. */
    @Override
    public boolean shouldFail(String point) {
        return failNth.shouldFail(point, node.path());
    }

    @Override
    public DtNode node() {
        return node;
    }

    @Override
    public PhysicalMemory memory() {
        return memory;
    }

    @Override
    public synchronized RegisterFile registers(int index, List<RegisterSpec> specs, RegisterHooks hooks) {
        List<RegRange> reg = node.reg();
        if (index < 0 || index >= reg.size()) {
            throw new IommuException(Errno.ENODEV, String.format("%s: no reg entry %d (it has %d)", node.path(), index, reg.size()));
        }
        RegRange r = reg.get(index);
        if (r.size() <= 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: reg[%d] at 0x%x has no size", node.path(), index, r.address()));
        }
        String name = index == 0 ? node.path() : node.path() + "[" + index + "]";
        RegisterFileImpl file = new RegisterFileImpl(name, r.size(), specs, hooks);
        blocks.add(bus.map(node, index, r, file, gate));
        return file;
    }

    @Override
    public IrqSource irq(int index) {
        return irqs.apply(node, index);
    }

    @Override
    public Map<String, String> options() {
        return options;
    }

    @Override
    public ModelOptions modelOptions() {
        return modelOptions;
    }

    synchronized List<MmioBlock> blocks() {
        return List.copyOf(blocks);
    }

    synchronized void unmapAll() {
        for (MmioBlock b : blocks) {
            bus.unmap(b);
        }
        blocks.clear();
    }
}
