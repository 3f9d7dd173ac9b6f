package io.iommulab.testiommu.fake;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.machine.hosting.NodeModelOptions;
import java.util.List;
import java.util.Map;

/** What a test machine gives one model: a node, memory, a register file and one interrupt line. */
public final class FakeModelContext implements ModelContext {

    private final FakeNode node;
    private final PhysicalMemory memory;
    private final FakeIrqLine irq;
    private final Map<String, String> options;
    public FakeRegisterFile regs;

    public FakeModelContext(String path, PhysicalMemory memory, FakeIrqLine irq, Map<String, String> options) {
        this.node = new FakeNode(path);
        this.memory = memory;
        this.irq = irq;
        this.options = options;
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
    public RegisterFile registers(int index, List<RegisterSpec> specs, RegisterHooks hooks) {
        regs = new FakeRegisterFile(specs, hooks, 0x1000);
        return regs;
    }

    @Override
    public IrqSource irq(int index) {
        return irq;
    }

    @Override
    public Map<String, String> options() {
        return options;
    }

    /** The machine's own option reader, so a refusal reads as it does on a board. */
    @Override
    public ModelOptions modelOptions() {
        return new NodeModelOptions(node.path(), "test-iommu", options);
    }

    @Override
    public io.iommulab.api.hw.TranslationCheck translationCheck() {
        return new io.iommulab.api.hw.TranslationCheck() {
            @Override
            public boolean enabled() {
                return false;
            }

            @Override
            public void stale(io.iommulab.api.machine.StaleTranslation stale) {
            }
        };
    }
}
